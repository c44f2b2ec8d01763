// The client side of a mimo-lsp session, independent of the transport: typed commands, the task's event
// stream kept gap-free (per task, seq 1, 2, 3...: an event past a gap waits while the missing ones are
// fetched with mimo.task.events; an event already seen is dropped), catch-up after a restart or reconnect,
// and the plan / checkpoint / task-state models. Mirrors the catch-up of editors/vscode/src/commands.ts
// (onServerStart). No Visual Studio types: the VSIX feeds it Visual Studio's LSP connection.
using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;

namespace Mimo.Core
{
    public sealed class MimoSession
    {
        private sealed class Track
        {
            public long LastSeq;
            public readonly List<TaskEvent> Events = new List<TaskEvent>();
            public readonly SortedDictionary<long, TaskEvent> Waiting = new SortedDictionary<long, TaskEvent>();
            public bool Fetching;
        }

        private readonly object gate = new object();
        private readonly Dictionary<string, Track> tracks = new Dictionary<string, Track>();
        private IRpcChannel channel;
        private TaskCompletionSource<bool> changed = NewSignal();
        private string currentTask;

        /// <summary>The workspace folder sent with commands that look things up in the journal (absolute path).</summary>
        public string Workspace;

        public readonly PlanModel Plan = new PlanModel();
        public readonly CheckpointModel Checkpoints = new CheckpointModel();
        public TaskState State { get; private set; }

        public Action<string> Log = s => { };

        /// <summary>Raised (outside the session's lock) after the models changed; replayed = from mimo.task.events.</summary>
        public event Action<TaskEvent, bool> EventApplied;

        /// <summary>Raised when the current task's state changed without an event (interrupted, resumed, switched).</summary>
        public event Action StateChanged;

        public MimoSession()
        {
            State = new TaskState();
        }

        private static TaskCompletionSource<bool> NewSignal()
        {
            return new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        public string CurrentTask
        {
            get { lock (gate) return currentTask; }
        }

        public bool IsAttached
        {
            get { lock (gate) return channel != null; }
        }

        public void Attach(IRpcChannel c)
        {
            lock (gate) channel = c;
        }

        public void Detach()
        {
            lock (gate) channel = null;
        }

        private IRpcChannel Channel
        {
            get
            {
                lock (gate)
                {
                    if (channel == null) throw new ConnectionClosedException("MiMo: the server is not running");
                    return channel;
                }
            }
        }

        // ---- commands ----------------------------------------------------------------------------

        /// <summary>workspace/executeCommand with ONE argument object, as the server expects.</summary>
        public async Task<TResult> ExecuteAsync<TResult>(string command, object parameters, CancellationToken ct = default(CancellationToken))
        {
            var args = JsonValue.NewObject().Set("command", command).Set("arguments", JsonValue.NewArray().Add(JsonBinder.Write(parameters)));
            Log("-> " + command + " " + JsonBinder.Write(parameters));
            var result = await Channel.RequestAsync(LspMethods.ExecuteCommand, args, ct).ConfigureAwait(false);
            return (TResult)JsonBinder.Read(typeof(TResult), result, command);
        }

        public async Task<TaskStartResult> StartTaskAsync(TaskStartParams p, CancellationToken ct = default(CancellationToken))
        {
            if (p.Workspace == null) p.Workspace = Workspace;
            var r = await ExecuteAsync<TaskStartResult>(MimoCommands.TaskStart, p, ct).ConfigureAwait(false);
            lock (gate)
            {
                // Its first notifications may have come before this answer: they are kept in its track.
                SwitchTo(r.TaskId);
                State.Goal = p.Goal;
                State.Model = r.Model;
                if (State.Outcome == null) State.Running = true;
            }
            RaiseStateChanged();
            return r;
        }

        public Task<TaskCancelResult> CancelTaskAsync(string taskId)
        {
            return ExecuteAsync<TaskCancelResult>(MimoCommands.TaskCancel, new TaskRefParams { TaskId = taskId ?? CurrentTask });
        }

        public Task<TaskStatusResult> TaskStatusAsync(string taskId = null)
        {
            return ExecuteAsync<TaskStatusResult>(MimoCommands.TaskStatus, new TaskStatusParams { TaskId = taskId, Workspace = Workspace });
        }

        /// <summary>Continues an interrupted, cancelled or restored task. The resumed run numbers its events
        /// from 1 again, so its track starts over before the request (its first events may beat the answer).</summary>
        public async Task<TaskStartResult> ResumeTaskAsync(string taskId, string model = null)
        {
            Track previous;
            lock (gate)
            {
                tracks.TryGetValue(taskId, out previous);
                tracks[taskId] = new Track();
                if (currentTask == taskId) ResetModels();
                SwitchTo(taskId);
                State.Running = true;
            }
            TaskStartResult r;
            try
            {
                r = await ExecuteAsync<TaskStartResult>(MimoCommands.TaskResume, new TaskResumeParams { TaskId = taskId, Workspace = Workspace, Model = model }).ConfigureAwait(false);
            }
            catch
            {
                lock (gate)
                {
                    if (previous != null) tracks[taskId] = previous;
                    else tracks.Remove(taskId);
                    if (currentTask == taskId) Rebuild();
                }
                throw;
            }
            lock (gate) if (currentTask == taskId) State.Model = r.Model;
            RaiseStateChanged();
            return r;
        }

        public Task<ReviewGetResult> ReviewGetAsync(string taskId)
        {
            return ExecuteAsync<ReviewGetResult>(MimoCommands.ReviewGet, new CheckpointListParams { TaskId = taskId, Workspace = Workspace });
        }

        /// <summary>accept or reject: every pending hunk (no path, no ids), one file's, or the given hunks.</summary>
        public Task<ReviewDecision> ReviewDecideAsync(string taskId, bool accept, string path = null, IEnumerable<string> hunkIds = null)
        {
            var p = new ReviewDecideParams { TaskId = taskId, Path = path, HunkIds = hunkIds == null ? null : hunkIds.ToList(), Workspace = Workspace };
            return ExecuteAsync<ReviewDecision>(accept ? MimoCommands.ReviewAccept : MimoCommands.ReviewReject, p);
        }

        public Task<CheckpointListResult> CheckpointListAsync(string taskId)
        {
            return ExecuteAsync<CheckpointListResult>(MimoCommands.CheckpointList, new CheckpointListParams { TaskId = taskId, Workspace = Workspace });
        }

        public async Task<string> CheckpointDiffAsync(string taskId, long fromCheckpoint, long? toCheckpoint)
        {
            var r = await ExecuteAsync<CheckpointDiffResult>(MimoCommands.CheckpointDiff,
                new CheckpointDiffParams { TaskId = taskId, FromCheckpoint = fromCheckpoint, ToCheckpoint = toCheckpoint, Workspace = Workspace }).ConfigureAwait(false);
            return r.Diff ?? "";
        }

        public Task<RestoreReport> RestoreCheckpointAsync(string taskId, long checkpointId, string mode)
        {
            return ExecuteAsync<RestoreReport>(MimoCommands.CheckpointRestore,
                new CheckpointRestoreParams { TaskId = taskId, CheckpointId = checkpointId, Mode = mode, Workspace = Workspace });
        }

        public Task<IndexSearchResult> SearchAsync(string query, int k = 20)
        {
            return ExecuteAsync<IndexSearchResult>(MimoCommands.IndexSearch, new IndexSearchParams { Query = query, K = k, Workspace = Workspace });
        }

        /// <summary>Left and right text of a file for the diff view of one checkpoint (null = no such file).</summary>
        public async Task<KeyValuePair<string, string>> CheckpointFileTextsAsync(string taskId, long checkpointId, string path, string currentText)
        {
            long prev;
            lock (gate) prev = Checkpoints.PreviousId(checkpointId);
            var afterDiff = await CheckpointDiffAsync(taskId, checkpointId, null).ConfigureAwait(false);
            var beforeDiff = await CheckpointDiffAsync(taskId, prev, null).ConfigureAwait(false);
            return new KeyValuePair<string, string>(
                CheckpointTexts.TextAt(path, currentText, beforeDiff),
                CheckpointTexts.TextAt(path, currentText, afterDiff));
        }

        /// <summary>A file's text when the task started (null: it did not exist), from its current text: the
        /// left side of the diff view of a pending hunk.</summary>
        public async Task<string> TaskStartTextAsync(string taskId, string path, string currentText)
        {
            var diff = await CheckpointDiffAsync(taskId, 0, null).ConfigureAwait(false);
            return CheckpointTexts.TextAt(path, currentText, diff);
        }

        // ---- notifications -------------------------------------------------------------------------

        /// <summary>A server notification (any method; only mimo/task/* are used). Thread-safe.</summary>
        public void HandleNotification(string method, JsonValue payload)
        {
            if (!MimoNotifications.IsTaskEvent(method)) return;
            TaskEvent ev;
            try { ev = MimoNotifications.Parse(method, payload); }
            catch (ProtocolException e)
            {
                Log("dropped " + method + ": " + e.Message);
                return;
            }
            if (ev.Kind == null) ev.Kind = method.Substring(MimoNotifications.Prefix.Length);
            Accept(ev, false);
        }

        /// <summary>Every event of a task applied so far, in order (seq 1..n without gaps).</summary>
        public List<TaskEvent> Events(string taskId)
        {
            lock (gate)
            {
                Track t;
                return tracks.TryGetValue(taskId, out t) ? new List<TaskEvent>(t.Events) : new List<TaskEvent>();
            }
        }

        public long LastSeq(string taskId)
        {
            lock (gate)
            {
                Track t;
                return tracks.TryGetValue(taskId, out t) ? t.LastSeq : 0;
            }
        }

        private void Accept(TaskEvent ev, bool replayed)
        {
            var applied = new List<TaskEvent>();
            bool fetch = false;
            lock (gate)
            {
                Track t;
                if (!tracks.TryGetValue(ev.TaskId, out t)) tracks[ev.TaskId] = t = new Track();
                if (ev.Seq <= t.LastSeq) return; // seen (a catch-up and the live stream overlap)
                if (ev.Seq > t.LastSeq + 1)
                {
                    t.Waiting[ev.Seq] = ev; // a gap: wait for the missing events
                    if (!t.Fetching && channel != null && !replayed)
                    {
                        t.Fetching = true;
                        fetch = true;
                    }
                }
                else
                {
                    ApplyInOrder(t, ev, applied);
                    TaskEvent next;
                    while (t.Waiting.TryGetValue(t.LastSeq + 1, out next))
                    {
                        t.Waiting.Remove(next.Seq);
                        ApplyInOrder(t, next, applied);
                    }
                    foreach (var k in t.Waiting.Keys.Where(k => k <= t.LastSeq).ToList()) t.Waiting.Remove(k);
                }
            }
            if (fetch)
            {
                Log("gap in task " + ev.TaskId + " before seq " + ev.Seq + ": fetching the missing events");
                _ = FillGapAsync(ev.TaskId);
            }
            Signal(applied, replayed);
        }

        private void ApplyInOrder(Track t, TaskEvent ev, List<TaskEvent> applied)
        {
            t.LastSeq = ev.Seq;
            t.Events.Add(ev);
            // A plan of another task makes it the current one (a task started elsewhere, e.g. a second window).
            if (ev is PlanEvent && currentTask != ev.TaskId && (currentTask == null || !IsRunning(currentTask)))
            {
                SwitchTo(ev.TaskId);
                applied.Add(ev);
                return;
            }
            if (currentTask == null) SwitchTo(ev.TaskId);
            else if (ev.TaskId == currentTask) ApplyToModels(ev);
            applied.Add(ev);
        }

        private bool IsRunning(string taskId)
        {
            return taskId == State.TaskId && State.Running;
        }

        private void ApplyToModels(TaskEvent ev)
        {
            Plan.Apply(ev);
            Checkpoints.Apply(ev);
            State.Apply(ev);
        }

        private void ResetModels()
        {
            Plan.Reset();
            Checkpoints.Clear();
            State = new TaskState();
        }

        /// <summary>Makes taskId current and rebuilds the models from its track. Call under the lock.</summary>
        private void SwitchTo(string taskId)
        {
            if (currentTask == taskId) return;
            currentTask = taskId;
            Rebuild();
        }

        private void Rebuild()
        {
            string goal = State.TaskId == currentTask ? State.Goal : null;
            string model = State.TaskId == currentTask ? State.Model : null;
            ResetModels();
            State.TaskId = currentTask;
            State.Goal = goal;
            State.Model = model;
            Track t;
            if (currentTask != null && tracks.TryGetValue(currentTask, out t))
                foreach (var e in t.Events) ApplyToModels(e);
            State.Goal = State.Goal ?? goal;
            State.Model = State.Model ?? model;
        }

        private async Task FillGapAsync(string taskId)
        {
            try
            {
                await CatchUpTaskAsync(taskId).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                Log("could not fetch the missing events of " + taskId + ": " + e.Message);
            }
            finally
            {
                lock (gate)
                {
                    Track t;
                    if (tracks.TryGetValue(taskId, out t)) t.Fetching = false;
                }
            }
        }

        /// <summary>Fetches a task's events after the last seq applied (mimo.task.events) and applies them.</summary>
        public async Task<int> CatchUpTaskAsync(string taskId)
        {
            long after = LastSeq(taskId);
            var r = await ExecuteAsync<TaskEventsResult>(MimoCommands.TaskEvents, new TaskEventsParams { TaskId = taskId, AfterSeq = after, Workspace = Workspace }).ConfigureAwait(false);
            int n = 0;
            foreach (var raw in r.Events ?? new List<JsonValue>())
            {
                string kind = raw.GetString("kind");
                if (kind == null) continue;
                var ev = MimoNotifications.Parse(MimoNotifications.MethodOf(kind), raw);
                if (ev.Seq > after) n++;
                Accept(ev, true);
            }
            Log("caught up on task " + taskId + ": " + n + " event(s) after seq " + after);
            return n;
        }

        /// <summary>After the server (re)started or the client reconnected: catch up on the current task
        /// (a new server answers from the workspace's event log), then ask whether it still runs; a task
        /// whose server died is "interrupted" (resumable) and its running nodes are marked so.</summary>
        public async Task CatchUpAsync(bool restarted)
        {
            string taskId = CurrentTask;
            if (taskId == null) return;
            try
            {
                await CatchUpTaskAsync(taskId).ConfigureAwait(false);
            }
            catch (JsonRpcException e)
            {
                Log("no events to catch up for task " + taskId + ": " + e.Message);
                return;
            }
            bool running;
            lock (gate) running = currentTask == taskId && State.Running;
            if (!running) return; // it ended (its done event came): nothing to ask
            TaskStatusResult st;
            try { st = await TaskStatusAsync(taskId).ConfigureAwait(false); }
            catch (JsonRpcException e)
            {
                Log("task status failed: " + e.Message);
                return;
            }
            var info = (st.Tasks ?? new List<TaskInfo>()).FirstOrDefault(x => x.TaskId == taskId);
            Log("task " + taskId + " status after " + (restarted ? "a restart" : "reconnecting") + ": " + (info == null ? "unknown" : info.Status));
            if (info == null || info.Status == "running" || info.Status == "starting") return;
            lock (gate)
            {
                if (currentTask != taskId || !State.Running) return;
                State.Running = false;
                State.Interrupted = info.Status == "interrupted";
                State.Outcome = info.Outcome ?? info.Status;
                if (State.Interrupted) Plan.MarkInterrupted(taskId);
            }
            Log("task " + taskId + " is " + info.Status + " on the " + (restarted ? "new " : "") + "server");
            RaiseStateChanged();
        }

        // ---- waiting -------------------------------------------------------------------------------

        private void Signal(List<TaskEvent> applied, bool replayed)
        {
            TaskCompletionSource<bool> old;
            lock (gate)
            {
                old = changed;
                changed = NewSignal();
            }
            old.TrySetResult(true);
            var h = EventApplied;
            if (h == null) return;
            foreach (var e in applied)
            {
                try { h(e, replayed); }
                catch (Exception x) { Log("listener error: " + x.Message); }
            }
        }

        private void RaiseStateChanged()
        {
            Signal(new List<TaskEvent>(), false);
            var h = StateChanged;
            if (h != null)
            {
                try { h(); }
                catch (Exception x) { Log("listener error: " + x.Message); }
            }
        }

        /// <summary>Waits until the predicate (checked under the session's lock) holds; throws TimeoutException.</summary>
        public async Task WaitUntilAsync(Func<MimoSession, bool> predicate, TimeSpan timeout, string what)
        {
            var deadline = DateTime.UtcNow + timeout;
            for (;;)
            {
                Task signal;
                lock (gate)
                {
                    if (predicate(this)) return;
                    signal = changed.Task;
                }
                var left = deadline - DateTime.UtcNow;
                if (left <= TimeSpan.Zero) throw new TimeoutException("timed out waiting for " + what);
                // Also re-check now and then: some conditions change without an event (a process exits).
                await Task.WhenAny(signal, Task.Delay(left < TimeSpan.FromMilliseconds(250) ? left : TimeSpan.FromMilliseconds(250))).ConfigureAwait(false);
            }
        }

        /// <summary>Runs fn under the session's lock (a consistent read of the models).</summary>
        public T Read<T>(Func<MimoSession, T> fn)
        {
            lock (gate) return fn(this);
        }

        /// <summary>The current task's done event, once it came.</summary>
        public DoneEvent DoneOf(string taskId)
        {
            lock (gate)
            {
                Track t;
                return tracks.TryGetValue(taskId, out t) ? t.Events.OfType<DoneEvent>().LastOrDefault() : null;
            }
        }
    }
}
