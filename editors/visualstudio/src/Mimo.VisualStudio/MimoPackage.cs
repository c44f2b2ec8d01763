// The VSIX package: the MiMo menu (MimoPackage.vsct), the tool window, the options page; wires the MEF
// language client (settings, solution folder, log) and re-renders the tool window on every task event.
using System;
using System.ComponentModel.Design;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.VisualStudio.ComponentModelHost;
using Microsoft.VisualStudio.Shell;
using Task = System.Threading.Tasks.Task;

namespace Mimo.VisualStudio
{
    [PackageRegistration(UseManagedResourcesOnly = true, AllowsBackgroundLoading = true)]
    [Guid(PackageGuidString)]
    [ProvideMenuResource("Menus.ctmenu", 1)]
    [ProvideToolWindow(typeof(MimoToolWindow), Style = VsDockStyle.Tabbed, Window = "3ae79031-e1bc-11d0-8f78-00a0c9110057")] // next to Solution Explorer
    [ProvideOptionPage(typeof(MimoOptionsPage), "MiMo", "General", 0, 0, true)]
    public sealed class MimoPackage : AsyncPackage
    {
        public const string PackageGuidString = "290dc195-a55a-460b-8b0c-5591cb75dd62";
        public static readonly Guid CommandSet = new Guid("cb771e57-497f-4fe6-99ae-d8085da7df2b");

        public const int StartTaskId = 0x0100;
        public const int CancelTaskId = 0x0101;
        public const int ResumeTaskId = 0x0102;
        public const int ReviewChangesId = 0x0103;
        public const int RestoreCheckpointId = 0x0104;
        public const int SearchCodebaseId = 0x0105;
        public const int ShowWindowId = 0x0106;

        private MimoLanguageClient client;
        private volatile string solutionFolder;
        private MimoCommandHandlers handlers;

        protected override async Task InitializeAsync(CancellationToken cancellationToken, IProgress<ServiceProgressData> progress)
        {
            await JoinableTaskFactory.SwitchToMainThreadAsync(cancellationToken);
            var cm = (IComponentModel)await GetServiceAsync(typeof(SComponentModel));
            client = cm.GetService<MimoLanguageClient>();
            var options = (MimoOptionsPage)GetDialogPage(typeof(MimoOptionsPage));
            client.Settings = () => options.ToSettings();
            RefreshSolutionFolder();
            client.WorkspaceFolder = () => solutionFolder; // read on Visual Studio's activation thread: no UI calls there
            client.Log = line => Ui.Log(this, line);
            client.Session.Log = line => Ui.Log(this, line);
            client.Session.EventApplied += (ev, replayed) => Render();
            client.Session.StateChanged += Render;
            handlers = new MimoCommandHandlers(this, client);
            options.Applied += () =>
            {
                if (!client.Session.IsAttached) return; // the next command starts the server with the new settings
                client.Log("settings changed: restarting the server");
                handlers.Guard(() => client.RestartAsync());
            };

            var commands = (OleMenuCommandService)await GetServiceAsync(typeof(IMenuCommandService));
            Add(commands, StartTaskId, handlers.StartTaskAsync);
            Add(commands, CancelTaskId, handlers.CancelAsync);
            Add(commands, ResumeTaskId, handlers.ResumeAsync);
            Add(commands, ReviewChangesId, handlers.ReviewAsync);
            Add(commands, RestoreCheckpointId, handlers.RestoreCheckpointAsync);
            Add(commands, SearchCodebaseId, handlers.SearchAsync);
            Add(commands, ShowWindowId, () => ShowToolWindowAsync(w => { }));
        }

        private void Add(OleMenuCommandService commands, int id, Func<Task> action)
        {
            commands.AddCommand(new MenuCommand((s, e) => handlers.Guard(action), new CommandID(CommandSet, id)));
        }

        /// <summary>The open solution's (or folder's) directory: the server's workspace. UI thread.</summary>
        public void RefreshSolutionFolder()
        {
            ThreadHelper.ThrowIfNotOnUIThread();
            solutionFolder = Ui.SolutionFolder(this);
        }

        /// <summary>Shows the MiMo window and runs an update on its control (on the UI thread).</summary>
        public async Task ShowToolWindowAsync(Action<MimoToolWindowControl> update)
        {
            await JoinableTaskFactory.SwitchToMainThreadAsync();
            var window = (MimoToolWindow)await ShowToolWindowAsync(typeof(MimoToolWindow), 0, true, DisposalToken);
            window.Control.Attach(handlers);
            window.Control.Render(client.Session);
            update(window.Control);
        }

        private int renderQueued;

        /// <summary>Re-renders the window after task events (coalesced: tokens arrive many times a second).</summary>
        private void Render()
        {
            if (Interlocked.Exchange(ref renderQueued, 1) == 1) return;
            JoinableTaskFactory.RunAsync(async () =>
            {
                await Task.Delay(150);
                await JoinableTaskFactory.SwitchToMainThreadAsync(DisposalToken);
                Interlocked.Exchange(ref renderQueued, 0);
                var window = FindToolWindow(typeof(MimoToolWindow), 0, false) as MimoToolWindow;
                if (window == null) return;
                window.Control.Attach(handlers);
                window.Control.Render(client.Session);
            }).FileAndForget("mimo/render");
        }
    }
}
