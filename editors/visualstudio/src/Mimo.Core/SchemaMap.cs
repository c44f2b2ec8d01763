// Which definition of the server's protocol schema (mimo_lsp/protocol/schema.json, definition names =
// the server's pydantic class names in mimo_lsp/protocol/) each payload class of the core corresponds to. The drift test
// (tests/Mimo.Core.Tests/SchemaDriftTests.cs) checks every wire name of these classes against it.
using System;
using System.Collections.Generic;

namespace Mimo.Core
{
    public static class ProtocolSchemaMap
    {
        /// <summary>Core class -> schema definition name.</summary>
        public static readonly Dictionary<Type, string> Definitions = new Dictionary<Type, string>
        {
            // commands: params and results (mimo_lsp/protocol/payloads.py and the classes it returns)
            { typeof(TaskStartParams), "TaskStartParams" },
            { typeof(CriteriaParams), "CriteriaParams" },
            { typeof(FileCriterion), "FileCriterion" },
            { typeof(TaskStartResult), "TaskStartResult" },
            { typeof(TaskRefParams), "TaskRefParams" },
            { typeof(TaskCancelResult), "TaskCancelResult" },
            { typeof(TaskStatusParams), "TaskStatusParams" },
            { typeof(TaskStatusResult), "TaskStatusResult" },
            { typeof(TaskInfo), "TaskInfo" },
            { typeof(TaskResumeParams), "TaskResumeParams" },
            { typeof(TaskEventsParams), "TaskEventsParams" },
            { typeof(TaskEventsResult), "TaskEventsResult" },
            { typeof(IndexSearchParams), "IndexSearchParams" },
            { typeof(IndexSearchFilters), "IndexSearchFilters" },
            { typeof(IndexSearchResult), "IndexSearchResult" },
            { typeof(IndexSearchHit), "IndexSearchHit" },
            { typeof(CheckpointListParams), "CheckpointListParams" },
            { typeof(CheckpointListResult), "CheckpointListResult" },
            { typeof(CheckpointInfo), "CheckpointInfo" },
            { typeof(CheckpointDiffParams), "CheckpointDiffParams" },
            { typeof(CheckpointDiffResult), "CheckpointDiffResult" },
            { typeof(CheckpointRestoreParams), "CheckpointRestoreParams" },
            { typeof(RestoreReport), "RestoreReport" },
            { typeof(PathConflict), "Conflict" },
            { typeof(ReviewGetResult), "ReviewGetResult" },
            { typeof(FileReview), "FileReview" },
            { typeof(Hunk), "Hunk" },
            { typeof(ReviewDecideParams), "ReviewDecideParams" },
            { typeof(ReviewDecision), "ReviewDecision" },
            { typeof(BufferEdit), "BufferEdit" },
            { typeof(HunkConflict), "ReviewConflict" },
            // notifications (mimo_lsp/protocol/notifications.py)
            { typeof(PlanEvent), "PlanNotification" },
            { typeof(PlanNode), "PlanNodeWire" },
            { typeof(NodeEvent), "NodeNotification" },
            { typeof(StepEvent), "StepNotification" },
            { typeof(CheckpointEvent), "CheckpointNotification" },
            { typeof(TokenEvent), "TokenNotification" },
            { typeof(DoneEvent), "DoneNotification" },
            { typeof(CheckSummary), "CheckReport" },
            { typeof(CheckResult), "CheckResultWire" },
        };

    }
}
