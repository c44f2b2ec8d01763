// The mimo-lsp protocol as the Visual Studio client uses it (docs/protocol.md): command and notification
// names and the payload classes. Wire names are camelCase, given by [DataMember(Name = ...)].
// Mirrors editors/vscode/src/protocol.ts. No Visual Studio types.
using System.Collections.Generic;
using System.Runtime.Serialization;

namespace Mimo.Core
{
    /// <summary>workspace/executeCommand names; arguments is a list holding ONE object.</summary>
    public static class MimoCommands
    {
        public const string TaskStart = "mimo.task.start";
        public const string TaskCancel = "mimo.task.cancel";
        public const string TaskStatus = "mimo.task.status";
        public const string TaskResume = "mimo.task.resume";
        public const string TaskEvents = "mimo.task.events";
        public const string IndexSearch = "mimo.index.search";
        public const string CheckpointList = "mimo.checkpoint.list";
        public const string CheckpointDiff = "mimo.checkpoint.diff";
        public const string CheckpointRestore = "mimo.checkpoint.restore";
        public const string ReviewGet = "mimo.review.get";
        public const string ReviewAccept = "mimo.review.accept";
        public const string ReviewReject = "mimo.review.reject";

        /// <summary>Every command the core sends, with the payload classes it sends and reads.</summary>
        public static readonly CommandSpec[] All =
        {
            new CommandSpec(TaskStart, typeof(TaskStartParams), typeof(TaskStartResult)),
            new CommandSpec(TaskCancel, typeof(TaskRefParams), typeof(TaskCancelResult)),
            new CommandSpec(TaskStatus, typeof(TaskStatusParams), typeof(TaskStatusResult)),
            new CommandSpec(TaskResume, typeof(TaskResumeParams), typeof(TaskStartResult)),
            new CommandSpec(TaskEvents, typeof(TaskEventsParams), typeof(TaskEventsResult)),
            new CommandSpec(IndexSearch, typeof(IndexSearchParams), typeof(IndexSearchResult)),
            new CommandSpec(CheckpointList, typeof(CheckpointListParams), typeof(CheckpointListResult)),
            new CommandSpec(CheckpointDiff, typeof(CheckpointDiffParams), typeof(CheckpointDiffResult)),
            new CommandSpec(CheckpointRestore, typeof(CheckpointRestoreParams), typeof(RestoreReport)),
            new CommandSpec(ReviewGet, typeof(CheckpointListParams), typeof(ReviewGetResult)),
            new CommandSpec(ReviewAccept, typeof(ReviewDecideParams), typeof(ReviewDecision)),
            new CommandSpec(ReviewReject, typeof(ReviewDecideParams), typeof(ReviewDecision)),
        };
    }

    public sealed class CommandSpec
    {
        public readonly string Name;
        public readonly System.Type Params;
        public readonly System.Type Result;

        public CommandSpec(string name, System.Type p, System.Type r) { Name = name; Params = p; Result = r; }
    }

    /// <summary>Server -> client notifications: "mimo/task/" + the event's kind.</summary>
    public static class MimoNotifications
    {
        public const string Prefix = "mimo/task/";
        public const string Plan = "mimo/task/plan";
        public const string Node = "mimo/task/node";
        public const string Step = "mimo/task/step";
        public const string Checkpoint = "mimo/task/checkpoint";
        public const string Token = "mimo/task/token";
        public const string Done = "mimo/task/done";

        /// <summary>Every notification the core handles, with the payload class it reads.</summary>
        public static readonly KeyValuePair<string, System.Type>[] All =
        {
            new KeyValuePair<string, System.Type>(Plan, typeof(PlanEvent)),
            new KeyValuePair<string, System.Type>(Node, typeof(NodeEvent)),
            new KeyValuePair<string, System.Type>(Step, typeof(StepEvent)),
            new KeyValuePair<string, System.Type>(Checkpoint, typeof(CheckpointEvent)),
            new KeyValuePair<string, System.Type>(Token, typeof(TokenEvent)),
            new KeyValuePair<string, System.Type>(Done, typeof(DoneEvent)),
        };

        public static string MethodOf(string kind) { return Prefix + kind; }

        public static bool IsTaskEvent(string method) { return method != null && method.StartsWith(Prefix, System.StringComparison.Ordinal); }

        /// <summary>The typed event of a notification (or of one mimo.task.events entry, by its kind).</summary>
        public static TaskEvent Parse(string method, JsonValue payload)
        {
            switch (method)
            {
                case Plan: return JsonBinder.Read<PlanEvent>(payload);
                case Node: return JsonBinder.Read<NodeEvent>(payload);
                case Step: return JsonBinder.Read<StepEvent>(payload);
                case Checkpoint: return JsonBinder.Read<CheckpointEvent>(payload);
                case Token: return JsonBinder.Read<TokenEvent>(payload);
                case Done: return JsonBinder.Read<DoneEvent>(payload);
                default: return JsonBinder.Read<TaskEvent>(payload); // a kind this client does not know: seq still counts
            }
        }
    }

    /// <summary>Standard LSP methods the core sends or answers.</summary>
    public static class LspMethods
    {
        public const string Initialize = "initialize";
        public const string Initialized = "initialized";
        public const string Shutdown = "shutdown";
        public const string Exit = "exit";
        public const string ExecuteCommand = "workspace/executeCommand";
        public const string ShowMessageRequest = "window/showMessageRequest";
        public const string ApplyEdit = "workspace/applyEdit";
        public const string WorkDoneProgressCreate = "window/workDoneProgress/create";
        public const string Configuration = "workspace/configuration";
        public const string RegisterCapability = "client/registerCapability";
        public const string UnregisterCapability = "client/unregisterCapability";
        public const string DidOpen = "textDocument/didOpen";
        public const string DidChange = "textDocument/didChange";
        public const string DidClose = "textDocument/didClose";
    }

    // ---- commands ----------------------------------------------------------------------------------

    [DataContract]
    public class FileCriterion
    {
        [DataMember(Name = "path")] public string Path { get; set; }
        [DataMember(Name = "exists")] public bool? Exists { get; set; }
        [DataMember(Name = "contains")] public string Contains { get; set; }
        [DataMember(Name = "notContains")] public string NotContains { get; set; }
        [DataMember(Name = "matches")] public string Matches { get; set; }
    }

    [DataContract]
    public class CriteriaParams
    {
        [DataMember(Name = "commands")] public List<string> Commands { get; set; }
        [DataMember(Name = "files")] public List<FileCriterion> Files { get; set; }
        [DataMember(Name = "criterion")] public string Criterion { get; set; }
    }

    [DataContract]
    public class TaskStartParams
    {
        [DataMember(Name = "goal")] public string Goal { get; set; }
        [DataMember(Name = "workspace")] public string Workspace { get; set; }
        [DataMember(Name = "check")] public string Check { get; set; }
        [DataMember(Name = "criteria")] public CriteriaParams Criteria { get; set; }
        [DataMember(Name = "model")] public string Model { get; set; }
    }

    [DataContract]
    public class TaskStartResult
    {
        [DataMember(Name = "taskId")] public string TaskId { get; set; }
        [DataMember(Name = "model")] public string Model { get; set; }
    }

    [DataContract]
    public class TaskRefParams
    {
        [DataMember(Name = "taskId")] public string TaskId { get; set; }
    }

    [DataContract]
    public class TaskCancelResult
    {
        [DataMember(Name = "taskId")] public string TaskId { get; set; }
        [DataMember(Name = "cancelled")] public bool Cancelled { get; set; }
        [DataMember(Name = "status")] public string Status { get; set; }
    }

    [DataContract]
    public class TaskStatusParams
    {
        [DataMember(Name = "taskId")] public string TaskId { get; set; }
        [DataMember(Name = "workspace")] public string Workspace { get; set; }
    }

    [DataContract]
    public class TaskInfo
    {
        [DataMember(Name = "taskId")] public string TaskId { get; set; }
        [DataMember(Name = "goal")] public string Goal { get; set; }
        [DataMember(Name = "workspace")] public string Workspace { get; set; }
        /// <summary>starting | running | finished (this server); interrupted | restored | cancelled | finished (journaled)</summary>
        [DataMember(Name = "status")] public string Status { get; set; }
        [DataMember(Name = "outcome")] public string Outcome { get; set; }
        [DataMember(Name = "reason")] public string Reason { get; set; }
        [DataMember(Name = "steps")] public long Steps { get; set; }
        [DataMember(Name = "lastSeq")] public long LastSeq { get; set; }
    }

    [DataContract]
    public class TaskStatusResult
    {
        [DataMember(Name = "tasks")] public List<TaskInfo> Tasks { get; set; }
    }

    [DataContract]
    public class TaskResumeParams
    {
        [DataMember(Name = "taskId")] public string TaskId { get; set; }
        [DataMember(Name = "workspace")] public string Workspace { get; set; }
        [DataMember(Name = "model")] public string Model { get; set; }
    }

    [DataContract]
    public class TaskEventsParams
    {
        [DataMember(Name = "taskId")] public string TaskId { get; set; }
        [DataMember(Name = "afterSeq")] public long AfterSeq { get; set; }
        [DataMember(Name = "workspace")] public string Workspace { get; set; }
    }

    /// <summary>Events as sent, each with its kind: parsed one by one with MimoNotifications.Parse.</summary>
    [DataContract]
    public class TaskEventsResult
    {
        [DataMember(Name = "events")] public List<JsonValue> Events { get; set; }
    }

    [DataContract]
    public class IndexSearchFilters
    {
        [DataMember(Name = "language")] public List<string> Language { get; set; }
        [DataMember(Name = "path")] public string Path { get; set; }
        [DataMember(Name = "kind")] public List<string> Kind { get; set; }
    }

    [DataContract]
    public class IndexSearchParams
    {
        [DataMember(Name = "query")] public string Query { get; set; }
        [DataMember(Name = "k")] public int? K { get; set; }
        [DataMember(Name = "workspace")] public string Workspace { get; set; }
        [DataMember(Name = "filters")] public IndexSearchFilters Filters { get; set; }
        /// <summary>hybrid | vector | lexical</summary>
        [DataMember(Name = "mode")] public string Mode { get; set; }
    }

    [DataContract]
    public class IndexSearchHit
    {
        [DataMember(Name = "path")] public string Path { get; set; }
        [DataMember(Name = "startLine")] public long StartLine { get; set; }
        [DataMember(Name = "endLine")] public long EndLine { get; set; }
        [DataMember(Name = "symbol")] public string Symbol { get; set; }
        [DataMember(Name = "kind")] public string Kind { get; set; }
        [DataMember(Name = "language")] public string Language { get; set; }
        [DataMember(Name = "score")] public double Score { get; set; }
        [DataMember(Name = "snippet")] public string Snippet { get; set; }
    }

    [DataContract]
    public class IndexSearchResult
    {
        [DataMember(Name = "hits")] public List<IndexSearchHit> Hits { get; set; }
    }

    [DataContract]
    public class CheckpointListParams
    {
        [DataMember(Name = "taskId")] public string TaskId { get; set; }
        [DataMember(Name = "workspace")] public string Workspace { get; set; }
    }

    [DataContract]
    public class CheckpointInfo
    {
        [DataMember(Name = "id")] public long Id { get; set; }
        [DataMember(Name = "step")] public long Step { get; set; }
        [DataMember(Name = "nodeId")] public string NodeId { get; set; }
        [DataMember(Name = "tool")] public string Tool { get; set; }
        [DataMember(Name = "args")] public JsonValue Args { get; set; }
        /// <summary>done (a checkpoint) | rolled_back (an interrupted action, undone on resume)</summary>
        [DataMember(Name = "state")] public string State { get; set; }
        [DataMember(Name = "ok")] public bool? Ok { get; set; }
        [DataMember(Name = "abandoned")] public bool Abandoned { get; set; }
        [DataMember(Name = "files")] public List<string> Files { get; set; }
        [DataMember(Name = "created")] public double Created { get; set; }
    }

    [DataContract]
    public class CheckpointListResult
    {
        [DataMember(Name = "checkpoints")] public List<CheckpointInfo> Checkpoints { get; set; }
    }

    [DataContract]
    public class CheckpointDiffParams
    {
        [DataMember(Name = "taskId")] public string TaskId { get; set; }
        /// <summary>0 = task start</summary>
        [DataMember(Name = "fromCheckpoint")] public long FromCheckpoint { get; set; }
        /// <summary>null = the working tree</summary>
        [DataMember(Name = "toCheckpoint")] public long? ToCheckpoint { get; set; }
        [DataMember(Name = "workspace")] public string Workspace { get; set; }
    }

    [DataContract]
    public class CheckpointDiffResult
    {
        [DataMember(Name = "diff")] public string Diff { get; set; }
    }

    [DataContract]
    public class CheckpointRestoreParams
    {
        [DataMember(Name = "taskId")] public string TaskId { get; set; }
        [DataMember(Name = "checkpointId")] public long CheckpointId { get; set; }
        /// <summary>files | task | both</summary>
        [DataMember(Name = "mode")] public string Mode { get; set; }
        [DataMember(Name = "workspace")] public string Workspace { get; set; }
    }

    [DataContract]
    public class PathConflict
    {
        [DataMember(Name = "path")] public string Path { get; set; }
        [DataMember(Name = "reason")] public string Reason { get; set; }
    }

    [DataContract]
    public class RestoreReport
    {
        [DataMember(Name = "taskId")] public string TaskId { get; set; }
        [DataMember(Name = "checkpointId")] public long CheckpointId { get; set; }
        [DataMember(Name = "mode")] public string Mode { get; set; }
        [DataMember(Name = "restored")] public List<string> Restored { get; set; }
        [DataMember(Name = "conflicts")] public List<PathConflict> Conflicts { get; set; }
        [DataMember(Name = "notCaptured")] public List<string> NotCaptured { get; set; }
        [DataMember(Name = "actionId")] public long? ActionId { get; set; }
    }

    [DataContract]
    public class Hunk
    {
        [DataMember(Name = "id")] public string Id { get; set; }
        [DataMember(Name = "header")] public string Header { get; set; }
        [DataMember(Name = "oldStart")] public long OldStart { get; set; }
        [DataMember(Name = "oldLines")] public long OldLines { get; set; }
        [DataMember(Name = "newStart")] public long NewStart { get; set; }
        [DataMember(Name = "newLines")] public long NewLines { get; set; }
        /// <summary>Lines with their own line endings.</summary>
        [DataMember(Name = "old")] public List<string> Old { get; set; }
        [DataMember(Name = "new")] public List<string> New { get; set; }
        /// <summary>pending | accepted | rejected</summary>
        [DataMember(Name = "state")] public string State { get; set; }
        /// <summary>0-based line of the new lines now (open buffer, else disk); null: not found (a conflict).</summary>
        [DataMember(Name = "currentLine")] public long? CurrentLine { get; set; }
    }

    [DataContract]
    public class FileReview
    {
        [DataMember(Name = "path")] public string Path { get; set; }
        /// <summary>added | modified | deleted | binary</summary>
        [DataMember(Name = "status")] public string Status { get; set; }
        [DataMember(Name = "modifiedSince")] public bool ModifiedSince { get; set; }
        [DataMember(Name = "hunks")] public List<Hunk> Hunks { get; set; }
    }

    [DataContract]
    public class ReviewGetResult
    {
        [DataMember(Name = "files")] public List<FileReview> Files { get; set; }
    }

    [DataContract]
    public class ReviewDecideParams
    {
        [DataMember(Name = "taskId")] public string TaskId { get; set; }
        [DataMember(Name = "path")] public string Path { get; set; }
        [DataMember(Name = "hunkIds")] public List<string> HunkIds { get; set; }
        [DataMember(Name = "workspace")] public string Workspace { get; set; }
    }

    [DataContract]
    public class HunkConflict
    {
        [DataMember(Name = "hunkId")] public string HunkId { get; set; }
        [DataMember(Name = "path")] public string Path { get; set; }
        [DataMember(Name = "reason")] public string Reason { get; set; }
    }

    [DataContract]
    public class BufferEdit
    {
        [DataMember(Name = "path")] public string Path { get; set; }
        [DataMember(Name = "text")] public string Text { get; set; }
    }

    [DataContract]
    public class ReviewDecision
    {
        [DataMember(Name = "taskId")] public string TaskId { get; set; }
        [DataMember(Name = "verdict")] public string Verdict { get; set; }
        [DataMember(Name = "decided")] public List<string> Decided { get; set; }
        [DataMember(Name = "conflicts")] public List<HunkConflict> Conflicts { get; set; }
        [DataMember(Name = "bufferEdits")] public List<BufferEdit> BufferEdits { get; set; }
        [DataMember(Name = "actionId")] public long? ActionId { get; set; }
    }

    // ---- notifications -----------------------------------------------------------------------------

    /// <summary>Every notification carries {taskId, seq, kind}; seq is 1, 2, 3... per task, across kinds.</summary>
    [DataContract]
    public class TaskEvent
    {
        [DataMember(Name = "taskId")] public string TaskId { get; set; }
        [DataMember(Name = "seq")] public long Seq { get; set; }
        [DataMember(Name = "kind")] public string Kind { get; set; }
    }

    [DataContract]
    public class PlanNode
    {
        [DataMember(Name = "id")] public string Id { get; set; }
        [DataMember(Name = "title")] public string Title { get; set; }
        [DataMember(Name = "dependsOn")] public List<string> DependsOn { get; set; }
        [DataMember(Name = "expectedOutput")] public string ExpectedOutput { get; set; }
        [DataMember(Name = "files")] public List<string> Files { get; set; }
        [DataMember(Name = "maxSteps")] public long? MaxSteps { get; set; }
        /// <summary>pending | running | done | failed | skipped (a revised plan keeps done nodes done)</summary>
        [DataMember(Name = "status")] public string Status { get; set; }
    }

    [DataContract]
    public class PlanEvent : TaskEvent
    {
        [DataMember(Name = "nodes")] public List<PlanNode> Nodes { get; set; }
        /// <summary>1 = the first plan; more = revised after a failure</summary>
        [DataMember(Name = "attempt")] public long Attempt { get; set; }
    }

    [DataContract]
    public class NodeEvent : TaskEvent
    {
        [DataMember(Name = "nodeId")] public string NodeId { get; set; }
        /// <summary>running | done | failed | skipped</summary>
        [DataMember(Name = "status")] public string Status { get; set; }
        [DataMember(Name = "detail")] public string Detail { get; set; }
    }

    [DataContract]
    public class StepEvent : TaskEvent
    {
        [DataMember(Name = "nodeId")] public string NodeId { get; set; }
        [DataMember(Name = "step")] public long Step { get; set; }
        [DataMember(Name = "thought")] public string Thought { get; set; }
        [DataMember(Name = "tool")] public string Tool { get; set; }
        /// <summary>As the model wrote them.</summary>
        [DataMember(Name = "args")] public JsonValue Args { get; set; }
        [DataMember(Name = "observation")] public string Observation { get; set; }
        [DataMember(Name = "ok")] public bool Ok { get; set; }
        [DataMember(Name = "replayed")] public bool Replayed { get; set; }
    }

    [DataContract]
    public class CheckpointEvent : TaskEvent
    {
        [DataMember(Name = "checkpointId")] public long CheckpointId { get; set; }
        [DataMember(Name = "nodeId")] public string NodeId { get; set; }
        [DataMember(Name = "step")] public long Step { get; set; }
        [DataMember(Name = "files")] public List<string> Files { get; set; }
        [DataMember(Name = "diff")] public string Diff { get; set; }
        [DataMember(Name = "replayed")] public bool Replayed { get; set; }
    }

    [DataContract]
    public class TokenEvent : TaskEvent
    {
        [DataMember(Name = "text")] public string Text { get; set; }
        /// <summary>plan | node:&lt;id&gt;</summary>
        [DataMember(Name = "purpose")] public string Purpose { get; set; }
    }

    [DataContract]
    public class CheckResult
    {
        [DataMember(Name = "check")] public string Check { get; set; }
        [DataMember(Name = "passed")] public bool Passed { get; set; }
        [DataMember(Name = "evidence")] public string Evidence { get; set; }
        [DataMember(Name = "exitCode")] public long? ExitCode { get; set; }
    }

    /// <summary>mimo/task/done's check: the first failing criterion (else the first), and every result.</summary>
    [DataContract]
    public class CheckSummary
    {
        [DataMember(Name = "passed")] public bool Passed { get; set; }
        [DataMember(Name = "command")] public string Command { get; set; }
        [DataMember(Name = "exitCode")] public long? ExitCode { get; set; }
        [DataMember(Name = "output")] public string Output { get; set; }
        [DataMember(Name = "results")] public List<CheckResult> Results { get; set; }
    }

    [DataContract]
    public class DoneEvent : TaskEvent
    {
        /// <summary>verified | failed | unverified | cancelled</summary>
        [DataMember(Name = "outcome")] public string Outcome { get; set; }
        [DataMember(Name = "reason")] public string Reason { get; set; }
        [DataMember(Name = "diff")] public string Diff { get; set; }
        [DataMember(Name = "check")] public CheckSummary Check { get; set; }
        [DataMember(Name = "steps")] public long Steps { get; set; }
        [DataMember(Name = "checkpoints")] public long Checkpoints { get; set; }
        [DataMember(Name = "stats")] public Dictionary<string, long> Stats { get; set; }
    }

    // ---- standard LSP payloads the core answers ----------------------------------------------------

    [DataContract]
    public class MessageActionItem
    {
        [DataMember(Name = "title")] public string Title { get; set; }
    }

    [DataContract]
    public class ShowMessageRequestParams
    {
        /// <summary>1 error, 2 warning, 3 info, 4 log</summary>
        [DataMember(Name = "type")] public int Type { get; set; }
        [DataMember(Name = "message")] public string Message { get; set; }
        [DataMember(Name = "actions")] public List<MessageActionItem> Actions { get; set; }
    }
}
