// The MiMo menu's commands: Start Task (goal prompt), Cancel, Resume, Review Changes, Restore Checkpoint,
// Search Codebase, MiMo Window. Each asks the user (Ui) and calls the core's session; results go to the
// tool window. No protocol logic here: payloads, catch-up and models are the core's (tested on Linux).
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.VisualStudio.ComponentModelHost;
using Microsoft.VisualStudio.LanguageServer.Client;
using Microsoft.VisualStudio.Shell;
using Mimo.Core;

namespace Mimo.VisualStudio
{
    public sealed class MimoCommandHandlers
    {
        private readonly MimoPackage package;
        private readonly MimoLanguageClient client;
        private MimoSession Session { get { return client.Session; } }

        public MimoCommandHandlers(MimoPackage package, MimoLanguageClient client)
        {
            this.package = package;
            this.client = client;
        }

        /// <summary>Runs a command; an error becomes a message box and a line in the MiMo output pane.</summary>
        public void Guard(Func<Task> action)
        {
            package.JoinableTaskFactory.RunAsync(async () =>
            {
                try
                {
                    await action();
                }
                catch (Exception e)
                {
                    await package.JoinableTaskFactory.SwitchToMainThreadAsync();
                    Ui.Log(package, "command failed: " + e);
                    Ui.Error(package, e.Message);
                }
            }).FileAndForget("mimo/command");
        }

        /// <summary>The server, started if no MiMo document opened it yet (ILanguageClientBroker.LoadAsync).</summary>
        private async Task EnsureServerAsync()
        {
            if (Session.IsAttached) return;
            await package.JoinableTaskFactory.SwitchToMainThreadAsync();
            package.RefreshSolutionFolder();
            if (!client.IsLoaded)
            {
                var cm = (IComponentModel)await package.GetServiceAsync(typeof(SComponentModel));
                var broker = cm.GetService<ILanguageClientBroker>();
                await broker.LoadAsync(new MimoClientMetadata(), client);
            }
            for (int i = 0; i < 600 && !Session.IsAttached; i++) await Task.Delay(100);
            if (!Session.IsAttached) throw new InvalidOperationException("MiMo: the server did not start; see the MiMo output pane and Tools > Options > MiMo");
        }

        private async Task<string> RequireTaskAsync()
        {
            var id = Session.CurrentTask;
            if (id != null) return id;
            return await PickTaskAsync("Pick a task", t => true);
        }

        private async Task<string> PickTaskAsync(string title, Func<TaskInfo, bool> filter)
        {
            var tasks = (await Session.TaskStatusAsync()).Tasks.Where(filter).ToList();
            await package.JoinableTaskFactory.SwitchToMainThreadAsync();
            if (tasks.Count == 0)
            {
                Ui.Info(package, "MiMo: no matching task.");
                return null;
            }
            int i = Ui.Pick(title, "Tasks of this workspace:", tasks.Select(t => t.Goal + "  (" + t.Status + (t.Outcome != null ? ", " + t.Outcome : "") + ")  " + t.TaskId).ToList());
            return i < 0 ? null : tasks[i].TaskId;
        }

        public async Task StartTaskAsync()
        {
            await package.JoinableTaskFactory.SwitchToMainThreadAsync();
            var goal = Ui.Prompt("MiMo: Start Task", "What should the agent do?");
            if (string.IsNullOrWhiteSpace(goal)) return;
            var check = Ui.Prompt("MiMo: acceptance command (optional)", "Command run in the workspace at the end; exit 0 = verified. Leave empty to skip.");
            if (check == null) return;
            await EnsureServerAsync();
            var p = new TaskStartParams { Goal = goal.Trim(), Check = string.IsNullOrWhiteSpace(check) ? null : check.Trim(), Model = client.Settings().Model };
            var r = await Session.StartTaskAsync(p);
            Ui.Log(package, "task " + r.TaskId + " started with model " + r.Model);
            await package.ShowToolWindowAsync(w => w.ShowPlan());
        }

        public async Task CancelAsync()
        {
            await EnsureServerAsync();
            var id = await RequireTaskAsync();
            if (id == null) return;
            var r = await Session.CancelTaskAsync(id);
            await package.JoinableTaskFactory.SwitchToMainThreadAsync();
            Ui.Info(package, "MiMo: cancel " + (r.Cancelled ? "requested" : "not needed") + " (" + r.Status + ")");
        }

        public async Task ResumeAsync()
        {
            await EnsureServerAsync();
            var id = await PickTaskAsync("MiMo: Resume which task?", t => t.Status == "interrupted" || t.Status == "cancelled" || t.Status == "restored");
            if (id == null) return;
            var r = await Session.ResumeTaskAsync(id, client.Settings().Model);
            Ui.Log(package, "task " + r.TaskId + " resumed with model " + r.Model);
            await package.ShowToolWindowAsync(w => w.ShowPlan());
        }

        public async Task ReviewAsync()
        {
            await EnsureServerAsync();
            if (await RequireTaskAsync() == null) return;
            await RefreshReviewAsync();
        }

        public async Task RefreshReviewAsync()
        {
            var id = Session.CurrentTask;
            if (id == null) return;
            var review = await Session.ReviewGetAsync(id);
            var choices = ReviewModel.Choices(review);
            await package.ShowToolWindowAsync(w => w.ShowReview(choices));
            if (choices.Count == 0) Ui.Info(package, "MiMo: no pending hunks to review.");
        }

        /// <summary>Accept / reject the given hunks (null: every pending hunk of the task).</summary>
        public async Task DecideAsync(bool accept, List<HunkChoice> hunks)
        {
            var id = Session.CurrentTask;
            if (id == null || (hunks != null && hunks.Count == 0)) return;
            await package.JoinableTaskFactory.SwitchToMainThreadAsync();
            if (!accept && hunks == null && !Ui.Confirm(package, "MiMo: revert every pending hunk of the task?")) return;
            var r = await Session.ReviewDecideAsync(id, accept, null, hunks == null ? null : hunks.Select(h => h.HunkId));
            if (r.Conflicts != null && r.Conflicts.Count > 0)
            {
                await package.JoinableTaskFactory.SwitchToMainThreadAsync();
                Ui.Info(package, "MiMo: " + r.Decided.Count + " hunk(s) " + r.Verdict + "; conflicts:" + Environment.NewLine +
                                 Ui.Lines(r.Conflicts.Select(c => c.Path + ": " + c.Reason)));
            }
            await RefreshReviewAsync();
        }

        public async Task ShowHunkDiffAsync(HunkChoice hunk)
        {
            var id = Session.CurrentTask;
            if (hunk == null || id == null) return;
            var full = Path.Combine(Session.Workspace ?? "", hunk.Path);
            var current = File.Exists(full) ? File.ReadAllText(full) : null;
            var before = await Session.TaskStartTextAsync(id, hunk.Path, current);
            await package.JoinableTaskFactory.SwitchToMainThreadAsync();
            Ui.Diff(package, hunk.Path, before, current, "task start", "now", "MiMo: " + hunk.Label);
        }

        public async Task ShowCheckpointDiffAsync(CheckpointItem cp)
        {
            if (cp == null) return;
            if (cp.Files.Count == 0)
            {
                await package.JoinableTaskFactory.SwitchToMainThreadAsync();
                Ui.Info(package, "MiMo: checkpoint #" + cp.CheckpointId + " changed no file.");
                return;
            }
            string path = cp.Files[0];
            if (cp.Files.Count > 1)
            {
                await package.JoinableTaskFactory.SwitchToMainThreadAsync();
                int i = Ui.Pick("MiMo: checkpoint #" + cp.CheckpointId, "Which file?", cp.Files);
                if (i < 0) return;
                path = cp.Files[i];
            }
            var full = Path.Combine(Session.Workspace ?? "", path);
            var current = File.Exists(full) ? File.ReadAllText(full) : null;
            var texts = await Session.CheckpointFileTextsAsync(cp.TaskId, cp.CheckpointId, path, current);
            await package.JoinableTaskFactory.SwitchToMainThreadAsync();
            Ui.Diff(package, path, texts.Key, texts.Value, "before step " + cp.Step, "after step " + cp.Step, "MiMo: " + cp.Label);
        }

        public async Task RestoreCheckpointAsync()
        {
            await EnsureServerAsync();
            var id = await RequireTaskAsync();
            if (id == null) return;
            var list = (await Session.CheckpointListAsync(id)).Checkpoints;
            await package.JoinableTaskFactory.SwitchToMainThreadAsync();
            var labels = new List<string> { "#0 task start (before any change)" };
            labels.AddRange(list.Select(c => "#" + c.Id + " step " + c.Step + " " + c.Tool + "  " + c.State + " " + string.Join(", ", c.Files)));
            int i = Ui.Pick("MiMo: Restore Checkpoint", "Restore which checkpoint?", labels);
            if (i < 0) return;
            await RestoreAsync(id, i == 0 ? 0 : list[i - 1].Id);
        }

        public Task RestoreAsync(CheckpointItem cp)
        {
            return cp == null ? Task.CompletedTask : RestoreAsync(cp.TaskId, cp.CheckpointId);
        }

        private async Task RestoreAsync(string taskId, long checkpointId)
        {
            await package.JoinableTaskFactory.SwitchToMainThreadAsync();
            var modes = new[] { "both", "files", "task" };
            int m = Ui.Pick("MiMo: restore checkpoint #" + checkpointId, "Restore what?", new[]
            {
                "both: files and task state",
                "files: the working tree as right after that checkpoint",
                "task: set later actions aside so Resume continues from there",
            });
            if (m < 0) return;
            var r = await Session.RestoreCheckpointAsync(taskId, checkpointId, modes[m]);
            await package.JoinableTaskFactory.SwitchToMainThreadAsync();
            var msg = "MiMo: restored " + r.Restored.Count + " file(s)";
            if (r.Conflicts != null && r.Conflicts.Count > 0) msg += "; conflicts:" + Environment.NewLine + Ui.Lines(r.Conflicts.Select(c => c.Path + ": " + c.Reason));
            Ui.Info(package, msg);
        }

        public async Task SearchAsync()
        {
            await package.JoinableTaskFactory.SwitchToMainThreadAsync();
            var query = Ui.Prompt("MiMo: Search Codebase", "Describe what you are looking for");
            if (string.IsNullOrWhiteSpace(query)) return;
            await EnsureServerAsync();
            var r = await Session.SearchAsync(query.Trim());
            await package.ShowToolWindowAsync(w => w.ShowSearch(r.Hits));
        }

        public void OpenHit(IndexSearchHit hit)
        {
            ThreadHelper.ThrowIfNotOnUIThread();
            var path = Path.IsPathRooted(hit.Path) ? hit.Path : Path.Combine(Session.Workspace ?? "", hit.Path);
            Ui.OpenAt(package, path, (int)Math.Max(0, hit.StartLine - 1));
        }
    }
}
