package dev.mimo.core;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;

import java.util.ArrayList;
import java.util.List;

/**
 * Params and results of the mimo.* commands this client sends (docs/protocol.md), as gson maps them:
 * a field's name is its camelCase JSON key; a null field is left out of what is sent. Optional numbers
 * are boxed. ProtocolDriftTest checks every field here against the server's JSON Schema.
 */
public final class Payloads {
    private Payloads() {}

    // -- tasks -------------------------------------------------------------------------------------
    public static class TaskStartParams {
        public String goal;
        public String workspace;
        public String check;
        public String model;

        public TaskStartParams() {}

        public TaskStartParams(String goal, String workspace, String check, String model) {
            this.goal = goal;
            this.workspace = workspace;
            this.check = check;
            this.model = model;
        }
    }

    /** mimo.task.start and mimo.task.resume answer this. */
    public static class TaskStartResult {
        public String taskId;
        public String model;
    }

    public static class TaskRefParams {
        public String taskId;

        public TaskRefParams() {}

        public TaskRefParams(String taskId) {
            this.taskId = taskId;
        }
    }

    public static class TaskCancelResult {
        public String taskId;
        public boolean cancelled;
        public String status;
    }

    public static class TaskStatusParams {
        public String taskId;
        public String workspace;

        public TaskStatusParams() {}

        public TaskStatusParams(String taskId, String workspace) {
            this.taskId = taskId;
            this.workspace = workspace;
        }
    }

    public static class TaskInfo {
        public String taskId;
        public String goal;
        public String workspace;
        /** starting | running | finished (this server's tasks); interrupted | restored | cancelled | finished (journaled) */
        public String status;
        public String outcome;
        public String reason;
        public int steps;
        public int lastSeq;
    }

    public static class TaskStatusResult {
        public List<TaskInfo> tasks = new ArrayList<>();
    }

    public static class TaskResumeParams {
        public String taskId;
        public String workspace;
        public String model;

        public TaskResumeParams() {}

        public TaskResumeParams(String taskId, String workspace, String model) {
            this.taskId = taskId;
            this.workspace = workspace;
            this.model = model;
        }
    }

    public static class TaskEventsParams {
        public String taskId;
        public Integer afterSeq;
        public String workspace;

        public TaskEventsParams() {}

        public TaskEventsParams(String taskId, int afterSeq, String workspace) {
            this.taskId = taskId;
            this.afterSeq = afterSeq;
            this.workspace = workspace;
        }
    }

    /** Each event as it was sent, with its kind: the method is Protocol.methodOfKind(kind). */
    public static class TaskEventsResult {
        public List<JsonObject> events = new ArrayList<>();
    }

    // -- checkpoints -------------------------------------------------------------------------------
    /** Also the params of mimo.review.get. */
    public static class CheckpointListParams {
        public String taskId;
        public String workspace;

        public CheckpointListParams() {}

        public CheckpointListParams(String taskId, String workspace) {
            this.taskId = taskId;
            this.workspace = workspace;
        }
    }

    public static class CheckpointListResult {
        public List<CheckpointEntry> checkpoints = new ArrayList<>();
    }

    /** One journaled action (mimo.checkpoint.list); the server declares these as free-form objects. */
    public static class CheckpointEntry {
        public long id;
        public int step;
        public String nodeId;
        public String tool;
        public JsonElement args;
        /** done | rolled_back */
        public String state;
        public Boolean ok;
        public Boolean abandoned;
        public List<String> files = new ArrayList<>();
        public JsonElement created;
    }

    public static class CheckpointDiffParams {
        public String taskId;
        public Integer fromCheckpoint;
        public Integer toCheckpoint;
        public String workspace;

        public CheckpointDiffParams() {}

        public CheckpointDiffParams(String taskId, int fromCheckpoint, Integer toCheckpoint, String workspace) {
            this.taskId = taskId;
            this.fromCheckpoint = fromCheckpoint;
            this.toCheckpoint = toCheckpoint;
            this.workspace = workspace;
        }
    }

    public static class CheckpointDiffResult {
        public String diff;
    }

    public static class CheckpointRestoreParams {
        public String taskId;
        public long checkpointId;
        /** files | task | both */
        public String mode;
        public String workspace;

        public CheckpointRestoreParams() {}

        public CheckpointRestoreParams(String taskId, long checkpointId, String mode, String workspace) {
            this.taskId = taskId;
            this.checkpointId = checkpointId;
            this.mode = mode;
            this.workspace = workspace;
        }
    }

    public static class PathConflict {
        public String path;
        public String reason;
    }

    public static class RestoreReport {
        public String taskId;
        public long checkpointId;
        public String mode;
        public List<String> restored = new ArrayList<>();
        public List<PathConflict> conflicts = new ArrayList<>();
        public List<String> notCaptured = new ArrayList<>();
        public Long actionId;
    }

    // -- review ------------------------------------------------------------------------------------
    public static class Hunk {
        public String id;
        public String header;
        public int oldStart;
        public int oldLines;
        public int newStart;
        public int newLines;
        /** lines with their line endings */
        public List<String> old = new ArrayList<>();
        /** JSON key "new" (a Java keyword) */
        @com.google.gson.annotations.SerializedName("new")
        public List<String> added = new ArrayList<>();
        /** pending | accepted | rejected */
        public String state;
        /** 0-based line of the new lines now (open buffer, else disk); null: not found (a reject would conflict) */
        public Integer currentLine;
    }

    public static class FileReview {
        public String path;
        /** added | modified | deleted | binary */
        public String status;
        public boolean modifiedSince;
        public List<Hunk> hunks = new ArrayList<>();
    }

    public static class ReviewGetResult {
        public List<FileReview> files = new ArrayList<>();
    }

    public static class ReviewDecideParams {
        public String taskId;
        public String path;
        public List<String> hunkIds;
        public String workspace;

        public ReviewDecideParams() {}

        public ReviewDecideParams(String taskId, String path, List<String> hunkIds, String workspace) {
            this.taskId = taskId;
            this.path = path;
            this.hunkIds = hunkIds;
            this.workspace = workspace;
        }
    }

    public static class HunkConflict {
        public String hunkId;
        public String path;
        public String reason;
    }

    public static class BufferEdit {
        public String path;
        public String text;
    }

    public static class ReviewDecision {
        public String taskId;
        public String verdict;
        public List<String> decided = new ArrayList<>();
        public List<HunkConflict> conflicts = new ArrayList<>();
        public List<BufferEdit> bufferEdits = new ArrayList<>();
        public Long actionId;
    }

    // -- index -------------------------------------------------------------------------------------
    public static class IndexSearchParams {
        public String query;
        public Integer k;
        public String workspace;
        /** hybrid | vector | lexical */
        public String mode;

        public IndexSearchParams() {}

        public IndexSearchParams(String query, int k, String workspace) {
            this.query = query;
            this.k = k;
            this.workspace = workspace;
        }
    }

    public static class IndexSearchHit {
        public String path;
        /** 1-based */
        public int startLine;
        public int endLine;
        public String symbol;
        public String kind;
        public String language;
        public double score;
        public String snippet;
    }

    public static class IndexSearchResult {
        public List<IndexSearchHit> hits = new ArrayList<>();
    }

    public static class IndexStatusParams {
        public String workspace;

        public IndexStatusParams() {}

        public IndexStatusParams(String workspace) {
            this.workspace = workspace;
        }
    }

    public static class IndexStatusResult {
        public int files;
        public int chunks;
        public int pending;
        public int embedded;
        public int errors;
        public List<String> errorList = new ArrayList<>();
        public int embedFailures;
        public String lastEmbedError;
        public boolean indexing;
    }
}
