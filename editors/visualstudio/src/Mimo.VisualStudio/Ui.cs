// Small Visual Studio UI helpers for the commands: prompts, a pick list, messages, the MiMo output pane,
// Visual Studio's diff view, opening a file at a line. Only SDK calls; no protocol logic here.
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Windows;
using System.Windows.Controls;
using Microsoft.VisualStudio;
using Microsoft.VisualStudio.PlatformUI;
using Microsoft.VisualStudio.Shell;
using Microsoft.VisualStudio.Shell.Interop;
using Microsoft.VisualStudio.TextManager.Interop;

namespace Mimo.VisualStudio
{
    internal static class Ui
    {
        private static readonly Guid OutputPaneGuid = new Guid("3298936c-22ec-4de9-a444-58daab17c3c3");
        private static IVsOutputWindowPane pane;

        public static void Log(IServiceProvider sp, string line)
        {
            ThreadHelper.JoinableTaskFactory.RunAsync(async () =>
            {
                await ThreadHelper.JoinableTaskFactory.SwitchToMainThreadAsync();
                if (pane == null)
                {
                    var output = (IVsOutputWindow)sp.GetService(typeof(SVsOutputWindow));
                    if (output == null) return;
                    var g = OutputPaneGuid;
                    output.CreatePane(ref g, "MiMo", 1, 1);
                    output.GetPane(ref g, out pane);
                }
                if (pane != null) pane.OutputStringThreadSafe(DateTime.Now.ToString("HH:mm:ss") + " " + line + Environment.NewLine);
            }).FileAndForget("mimo/log");
        }

        public static string Prompt(string title, string prompt, string initial = "")
        {
            ThreadHelper.ThrowIfNotOnUIThread();
            var box = new TextBox { Text = initial, MinWidth = 480, Margin = new Thickness(0, 6, 0, 6), AcceptsReturn = false };
            var ok = Show(title, prompt, box);
            return ok ? box.Text : null;
        }

        /// <summary>A modal pick list; returns the index picked or -1.</summary>
        public static int Pick(string title, string prompt, IList<string> items)
        {
            ThreadHelper.ThrowIfNotOnUIThread();
            if (items.Count == 0) return -1;
            var list = new ListBox { ItemsSource = items, MinWidth = 560, MaxHeight = 420, SelectedIndex = 0, Margin = new Thickness(0, 6, 0, 6) };
            var ok = Show(title, prompt, list, list);
            return ok ? list.SelectedIndex : -1;
        }

        private static bool Show(string title, string prompt, UIElement input, ListBox doubleClickOk = null)
        {
            var dialog = new DialogWindow { Title = title, SizeToContent = SizeToContent.WidthAndHeight, ResizeMode = ResizeMode.NoResize, HasMinimizeButton = false, HasMaximizeButton = false };
            var okButton = new Button { Content = "OK", IsDefault = true, MinWidth = 80, Margin = new Thickness(0, 0, 8, 0) };
            var cancelButton = new Button { Content = "Cancel", IsCancel = true, MinWidth = 80 };
            okButton.Click += (s, e) => dialog.DialogResult = true;
            if (doubleClickOk != null) doubleClickOk.MouseDoubleClick += (s, e) => dialog.DialogResult = true;
            var buttons = new StackPanel { Orientation = Orientation.Horizontal, HorizontalAlignment = HorizontalAlignment.Right };
            buttons.Children.Add(okButton);
            buttons.Children.Add(cancelButton);
            var panel = new StackPanel { Margin = new Thickness(12) };
            panel.Children.Add(new TextBlock { Text = prompt, TextWrapping = TextWrapping.Wrap, MaxWidth = 560 });
            panel.Children.Add(input);
            panel.Children.Add(buttons);
            dialog.Content = panel;
            return dialog.ShowModal() == true;
        }

        public static void Info(IServiceProvider sp, string message)
        {
            VsShellUtilities.ShowMessageBox(sp, message, "MiMo", OLEMSGICON.OLEMSGICON_INFO, OLEMSGBUTTON.OLEMSGBUTTON_OK, OLEMSGDEFBUTTON.OLEMSGDEFBUTTON_FIRST);
        }

        public static void Error(IServiceProvider sp, string message)
        {
            VsShellUtilities.ShowMessageBox(sp, message.StartsWith("MiMo", StringComparison.Ordinal) ? message : "MiMo: " + message, "MiMo",
                OLEMSGICON.OLEMSGICON_CRITICAL, OLEMSGBUTTON.OLEMSGBUTTON_OK, OLEMSGDEFBUTTON.OLEMSGDEFBUTTON_FIRST);
        }

        public static bool Confirm(IServiceProvider sp, string message)
        {
            return VsShellUtilities.ShowMessageBox(sp, message, "MiMo", OLEMSGICON.OLEMSGICON_WARNING, OLEMSGBUTTON.OLEMSGBUTTON_OKCANCEL,
                OLEMSGDEFBUTTON.OLEMSGDEFBUTTON_SECOND) == (int)VSConstants.MessageBoxResult.IDOK;
        }

        /// <summary>Visual Studio's diff view of two texts (null = the file does not exist on that side).</summary>
        public static void Diff(IServiceProvider sp, string path, string left, string right, string leftLabel, string rightLabel, string caption)
        {
            ThreadHelper.ThrowIfNotOnUIThread();
            var dir = Path.Combine(Path.GetTempPath(), "mimo-diff", Guid.NewGuid().ToString("N").Substring(0, 8));
            Directory.CreateDirectory(dir);
            var name = Path.GetFileName(path);
            var leftFile = Path.Combine(dir, "before." + name);
            var rightFile = Path.Combine(dir, "after." + name);
            File.WriteAllText(leftFile, left ?? "");
            File.WriteAllText(rightFile, right ?? "");
            var diff = (IVsDifferenceService)sp.GetService(typeof(SVsDifferenceService));
            uint options = (uint)(__VSDIFFSERVICEOPTIONS.VSDIFFOPT_LeftFileIsTemporary | __VSDIFFSERVICEOPTIONS.VSDIFFOPT_RightFileIsTemporary);
            diff.OpenComparisonWindow2(leftFile, rightFile, caption, path,
                left == null ? leftLabel + " (no file)" : leftLabel, right == null ? rightLabel + " (no file)" : rightLabel, caption, null, options);
        }

        /// <summary>Opens a file with the caret on a 0-based line.</summary>
        public static void OpenAt(IServiceProvider sp, string path, int line)
        {
            ThreadHelper.ThrowIfNotOnUIThread();
            VsShellUtilities.OpenDocument(sp, path, Guid.Empty, out _, out _, out _, out IVsTextView view);
            if (view == null) return;
            view.SetCaretPos(Math.Max(0, line), 0);
            view.CenterLines(Math.Max(0, line), 1);
        }

        public static string SolutionFolder(IServiceProvider sp)
        {
            ThreadHelper.ThrowIfNotOnUIThread();
            var solution = (IVsSolution)sp.GetService(typeof(SVsSolution));
            if (solution == null) return null;
            solution.GetSolutionInfo(out string dir, out _, out _);
            return string.IsNullOrEmpty(dir) ? null : dir.TrimEnd('\\', '/');
        }

        public static string Lines(IEnumerable<string> items)
        {
            return string.Join(Environment.NewLine, items.Take(20));
        }
    }
}
