// The MiMo tool window: status line, Plan, Checkpoints (double-click = Visual Studio's diff view of that
// step; Restore), Review (pending hunks: Accept / Reject / Diff), Search hits. WPF built in code; it binds
// to the core's models (PlanModel, CheckpointModel, TaskState, ReviewModel) and calls the command handlers.
using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.InteropServices;
using System.Windows;
using System.Windows.Controls;
using Microsoft.VisualStudio.Shell;
using Mimo.Core;

namespace Mimo.VisualStudio
{
    [Guid("0c81617c-6592-47b9-bd82-4cb5ca69adec")]
    public sealed class MimoToolWindow : ToolWindowPane
    {
        public MimoToolWindow() : base(null)
        {
            Caption = "MiMo";
            Content = new MimoToolWindowControl();
        }

        public MimoToolWindowControl Control { get { return (MimoToolWindowControl)Content; } }
    }

    public sealed class MimoToolWindowControl : UserControl
    {
        private readonly TextBlock status = new TextBlock { Margin = new Thickness(6), TextWrapping = TextWrapping.Wrap };
        private readonly ListView plan = new ListView();
        private readonly ListView checkpoints = new ListView();
        private readonly ListView review = new ListView();
        private readonly ListView search = new ListView();
        private readonly TabControl tabs = new TabControl();
        private MimoCommandHandlers handlers;

        public MimoToolWindowControl()
        {
            plan.View = Columns(("Node", "Title", 220), ("Status", "Description", 160), ("Detail", "Detail", 360));
            checkpoints.View = Columns(("Checkpoint", "Label", 360), ("Node", "Description", 160));
            review.View = Columns(("Hunk", "Label", 300), ("Change", "Description", 160), ("First line", "Detail", 300));
            search.View = Columns(("Hit", "Label", 320), ("Symbol", "Description", 200), ("Snippet", "Detail", 360));
            checkpoints.MouseDoubleClick += (s, e) => Run(h => h.ShowCheckpointDiffAsync(checkpoints.SelectedItem as CheckpointItem));
            search.MouseDoubleClick += (s, e) => { var hit = search.SelectedItem as SearchRow; if (hit != null) handlers.OpenHit(hit.Hit); };
            review.MouseDoubleClick += (s, e) => Run(h => h.ShowHunkDiffAsync(review.SelectedItem as HunkChoice));

            tabs.Items.Add(new TabItem { Header = "Plan", Content = plan });
            tabs.Items.Add(new TabItem { Header = "Checkpoints", Content = WithButtons(checkpoints,
                ("Diff", () => Run(h => h.ShowCheckpointDiffAsync(checkpoints.SelectedItem as CheckpointItem))),
                ("Restore...", () => Run(h => h.RestoreAsync(checkpoints.SelectedItem as CheckpointItem)))) });
            tabs.Items.Add(new TabItem { Header = "Review", Content = WithButtons(review,
                ("Accept", () => Run(h => h.DecideAsync(true, review.SelectedItems.Cast<HunkChoice>().ToList()))),
                ("Reject", () => Run(h => h.DecideAsync(false, review.SelectedItems.Cast<HunkChoice>().ToList()))),
                ("Diff", () => Run(h => h.ShowHunkDiffAsync(review.SelectedItem as HunkChoice))),
                ("Accept all", () => Run(h => h.DecideAsync(true, null))),
                ("Reject all", () => Run(h => h.DecideAsync(false, null))),
                ("Refresh", () => Run(h => h.RefreshReviewAsync()))) });
            tabs.Items.Add(new TabItem { Header = "Search", Content = search });
            var root = new DockPanel();
            DockPanel.SetDock(status, Dock.Top);
            root.Children.Add(status);
            root.Children.Add(tabs);
            Content = root;
        }

        public void Attach(MimoCommandHandlers h) { handlers = h; }

        private void Run(Func<MimoCommandHandlers, System.Threading.Tasks.Task> action)
        {
            if (handlers == null) return;
            handlers.Guard(() => action(handlers));
        }

        private static GridView Columns(params (string header, string path, double width)[] cols)
        {
            var v = new GridView();
            foreach (var c in cols)
                v.Columns.Add(new GridViewColumn { Header = c.header, DisplayMemberBinding = new System.Windows.Data.Binding(c.path), Width = c.width });
            return v;
        }

        private static UIElement WithButtons(ListView list, params (string label, Action click)[] buttons)
        {
            var bar = new StackPanel { Orientation = Orientation.Horizontal, Margin = new Thickness(4) };
            foreach (var b in buttons)
            {
                var button = new Button { Content = b.label, Margin = new Thickness(0, 0, 6, 0), Padding = new Thickness(8, 2, 8, 2) };
                var click = b.click;
                button.Click += (s, e) => click();
                bar.Children.Add(button);
            }
            var panel = new DockPanel();
            DockPanel.SetDock(bar, Dock.Top);
            panel.Children.Add(bar);
            panel.Children.Add(list);
            return panel;
        }

        /// <summary>Re-reads the session's models (on the UI thread).</summary>
        public void Render(MimoSession session)
        {
            ThreadHelper.ThrowIfNotOnUIThread();
            session.Read(s =>
            {
                status.Text = s.State.StatusText();
                status.ToolTip = s.State.Tooltip();
                plan.ItemsSource = s.Plan.Items();
                checkpoints.ItemsSource = s.Checkpoints.Items();
                return 0;
            });
        }

        public void ShowReview(List<HunkChoice> choices)
        {
            review.ItemsSource = choices;
            tabs.SelectedIndex = 2;
        }

        public void ShowSearch(IEnumerable<IndexSearchHit> hits)
        {
            search.ItemsSource = hits.Select(h => new SearchRow(h)).ToList();
            tabs.SelectedIndex = 3;
        }

        public void ShowPlan() { tabs.SelectedIndex = 0; }

        public sealed class SearchRow
        {
            public readonly IndexSearchHit Hit;
            public SearchRow(IndexSearchHit h) { Hit = h; }
            public string Label { get { return Hit.Path + ":" + Hit.StartLine; } }
            public string Description { get { return (Hit.Symbol ?? "") + " " + (Hit.Kind ?? "") + " " + Hit.Score.ToString("0.000"); } }
            public string Detail { get { return (Hit.Snippet ?? "").Split('\n').FirstOrDefault(); } }
        }
    }
}
