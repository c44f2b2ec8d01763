// View models (public properties: the tool window binds to them) built from the task's notifications (live, or replayed from mimo.task.events): the plan,
// the checkpoint timeline and the task state / status text. Mirrors editors/vscode/src/planModel.ts,
// checkpointModel.ts and taskState.ts. No Visual Studio types: the tool window binds to these.
using System;
using System.Collections.Generic;
using System.Linq;

namespace Mimo.Core
{
    public sealed class PlanItem
    {
        public string Id { get; set; }
        public string Title { get; set; }
        /// <summary>pending | running | done | failed | skipped | interrupted</summary>
        public string Status { get; set; }
        public string Detail { get; set; }
        public List<string> DependsOn { get; set; }
        /// <summary>One line next to the title: the status and what the node waits for.</summary>
        public string Description { get; set; }
    }

    public sealed class PlanModel
    {
        public string TaskId { get; private set; }
        public long Attempt { get; private set; }
        private readonly List<string> order = new List<string>();
        private readonly Dictionary<string, PlanItem> nodes = new Dictionary<string, PlanItem>();

        /// <summary>Applies a plan (replacing the previous one) or a node status. True when the model changed.</summary>
        public bool Apply(TaskEvent ev)
        {
            var plan = ev as PlanEvent;
            if (plan != null)
            {
                TaskId = plan.TaskId;
                Attempt = plan.Attempt;
                order.Clear();
                nodes.Clear();
                foreach (var n in plan.Nodes ?? new List<PlanNode>())
                {
                    if (nodes.ContainsKey(n.Id)) continue;
                    order.Add(n.Id);
                    nodes[n.Id] = new PlanItem
                    {
                        Id = n.Id,
                        Title = n.Title,
                        Status = string.IsNullOrEmpty(n.Status) ? "pending" : n.Status,
                        Detail = n.ExpectedOutput ?? "",
                        DependsOn = n.DependsOn ?? new List<string>(),
                    };
                }
                return true;
            }
            var node = ev as NodeEvent;
            if (node != null)
            {
                if (node.TaskId != TaskId) return false;
                PlanItem cur;
                if (!nodes.TryGetValue(node.NodeId, out cur)) return false;
                cur.Status = node.Status;
                if (!string.IsNullOrEmpty(node.Detail)) cur.Detail = node.Detail;
                return true;
            }
            return false;
        }

        /// <summary>The task's server died mid-task: running nodes are interrupted (not spinning forever).</summary>
        public bool MarkInterrupted(string taskId)
        {
            if (taskId != TaskId) return false;
            bool changed = false;
            foreach (var n in nodes.Values)
            {
                if (n.Status != "running") continue;
                n.Status = "interrupted";
                changed = true;
            }
            return changed;
        }

        public void Reset()
        {
            TaskId = null;
            Attempt = 0;
            order.Clear();
            nodes.Clear();
        }

        public List<PlanItem> Items()
        {
            return order.Select(id =>
            {
                var n = nodes[id];
                string deps = n.DependsOn.Count > 0 ? " (after " + string.Join(", ", n.DependsOn) + ")" : "";
                return new PlanItem { Id = n.Id, Title = n.Title, Status = n.Status, Detail = n.Detail, DependsOn = new List<string>(n.DependsOn), Description = n.Status + deps };
            }).ToList();
        }
    }

    public sealed class CheckpointItem
    {
        public string TaskId { get; set; }
        public long CheckpointId { get; set; }
        public long Step { get; set; }
        public string NodeId { get; set; }
        public List<string> Files { get; set; }
        public string Diff { get; set; }
        public string Label { get; set; }
        public string Description { get; set; }
    }

    public sealed class CheckpointModel
    {
        private readonly List<CheckpointItem> list = new List<CheckpointItem>();

        public static string Label(CheckpointEvent ev)
        {
            string files = ev.Files != null && ev.Files.Count > 0 ? string.Join(", ", ev.Files) : "no file changes";
            return "#" + ev.CheckpointId + " step " + ev.Step + ": " + files;
        }

        public bool Apply(TaskEvent ev)
        {
            if (ev is PlanEvent)
            {
                if (list.Count > 0 && list[0].TaskId != ev.TaskId) list.Clear();
                return true;
            }
            var cp = ev as CheckpointEvent;
            if (cp == null) return false;
            if (list.Count > 0 && list[0].TaskId != cp.TaskId) list.Clear();
            if (list.Any(c => c.CheckpointId == cp.CheckpointId)) return false;
            list.Add(new CheckpointItem
            {
                TaskId = cp.TaskId,
                CheckpointId = cp.CheckpointId,
                Step = cp.Step,
                NodeId = cp.NodeId,
                Files = cp.Files ?? new List<string>(),
                Diff = cp.Diff ?? "",
                Label = Label(cp),
                Description = cp.NodeId + (cp.Replayed ? " (replayed)" : ""),
            });
            return true;
        }

        public List<CheckpointItem> Items() { return new List<CheckpointItem>(list); }

        public void Clear() { list.Clear(); }

        /// <summary>The checkpoint before this one in the timeline (0 = task start): the left side of its diff view.</summary>
        public long PreviousId(long checkpointId)
        {
            long prev = 0;
            foreach (var c in list)
            {
                if (c.CheckpointId == checkpointId) return prev;
                prev = c.CheckpointId;
            }
            throw new ArgumentException("no checkpoint #" + checkpointId + " in the timeline");
        }
    }

    /// <summary>The current task and what the status line says about it.</summary>
    public sealed class TaskState
    {
        public string TaskId;
        public string Goal;
        /// <summary>The model the server resolved for the task (mimo.task.start's result).</summary>
        public string Model;
        public bool Running;
        public string Outcome;
        public string Reason;
        public int NodesDone;
        public int NodesTotal;
        public long Steps;
        /// <summary>Characters of model output streamed so far (mimo/task/token).</summary>
        public long Streamed;
        /// <summary>Set when the server says the task's process died (status interrupted): resumable.</summary>
        public bool Interrupted;

        public TaskState Clone() { return (TaskState)MemberwiseClone(); }

        public void Apply(TaskEvent ev)
        {
            var plan = ev as PlanEvent;
            if (plan != null)
            {
                bool same = plan.TaskId == TaskId;
                TaskId = plan.TaskId;
                Running = true;
                Outcome = null;
                Reason = null;
                Interrupted = false;
                NodesTotal = plan.Nodes == null ? 0 : plan.Nodes.Count;
                NodesDone = plan.Nodes == null ? 0 : plan.Nodes.Count(n => n.Status == "done");
                if (!same)
                {
                    Steps = 0;
                    Streamed = 0;
                    Goal = null;
                    Model = null;
                }
                return;
            }
            if (ev.TaskId != TaskId) return;
            var node = ev as NodeEvent;
            if (node != null)
            {
                if (node.Status != "running") NodesDone++;
                return;
            }
            var step = ev as StepEvent;
            if (step != null)
            {
                Steps = Math.Max(Steps, step.Step);
                return;
            }
            var token = ev as TokenEvent;
            if (token != null)
            {
                Streamed += (token.Text ?? "").Length;
                return;
            }
            var done = ev as DoneEvent;
            if (done != null)
            {
                Running = false;
                Outcome = done.Outcome;
                Reason = done.Reason;
                if (done.Steps > 0) Steps = done.Steps;
            }
        }

        public string StatusText()
        {
            if (TaskId == null) return "MiMo";
            if (Interrupted) return "MiMo: interrupted";
            if (Running) return "MiMo " + NodesDone + "/" + (NodesTotal > 0 ? NodesTotal.ToString() : "?") + " \u00b7 " + Steps + " step(s) \u00b7 " + Compact(Streamed) + " chars";
            return "MiMo: " + (Outcome ?? "idle");
        }

        public string Tooltip()
        {
            if (TaskId == null) return "MiMo: no task. MiMo > Start Task starts one.";
            string head = "task " + TaskId + (Goal != null ? ": " + Goal : "");
            string counts = NodesDone + " of " + NodesTotal + " plan nodes finished, " + Steps + " step(s), " + Streamed + " chars streamed";
            string model = "model: " + (Model ?? "the server's default");
            if (Interrupted) return head + "\ninterrupted (the server stopped mid-task): MiMo > Resume Task continues it\n" + counts + "\n" + model;
            if (Running) return head + "\nrunning: " + counts + "\n" + model;
            return head + "\n" + (Outcome ?? "") + (string.IsNullOrEmpty(Reason) ? "" : ": " + Reason) + "\n" + counts + "\n" + model;
        }

        private static string Compact(long n)
        {
            if (n >= 10000) return Math.Round(n / 1000.0) + "k";
            if (n >= 1000) return (n / 1000.0).ToString("0.0", System.Globalization.CultureInfo.InvariantCulture) + "k";
            return n.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
    }
}
