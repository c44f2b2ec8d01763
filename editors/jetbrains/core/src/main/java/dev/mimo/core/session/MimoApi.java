package dev.mimo.core.session;

import com.google.gson.JsonElement;
import dev.mimo.core.Json;
import dev.mimo.core.Payloads.*;
import dev.mimo.core.Protocol.Commands;
import dev.mimo.core.rpc.JsonRpcException;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** The mimo.* commands, typed. Blocking calls wait at most timeoutMs; never call them on a UI thread. */
public final class MimoApi {
    private final CommandTransport transport;
    private final long timeoutMs;

    public MimoApi(CommandTransport transport, long timeoutMs) {
        this.transport = transport;
        this.timeoutMs = timeoutMs;
    }

    public <T> CompletableFuture<T> async(String command, Object params, Class<T> result) {
        return transport.executeCommand(command, params).thenApply(json -> Json.read(json, result));
    }

    public <T> T call(String command, Object params, Class<T> result) {
        CompletableFuture<JsonElement> f = transport.executeCommand(command, params);
        try {
            return Json.read(f.get(timeoutMs, TimeUnit.MILLISECONDS), result);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof JsonRpcException) throw (JsonRpcException) c;
            throw new JsonRpcException(JsonRpcException.INTERNAL_ERROR, command + " failed: " + c, null);
        } catch (TimeoutException e) {
            f.cancel(true);
            throw new JsonRpcException(JsonRpcException.INTERNAL_ERROR, command + ": no answer within " + timeoutMs + " ms", null);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new JsonRpcException(JsonRpcException.INTERNAL_ERROR, command + ": interrupted", null);
        }
    }

    public TaskStartResult taskStart(TaskStartParams p) {
        return call(Commands.TASK_START, p, TaskStartResult.class);
    }

    public TaskCancelResult taskCancel(String taskId) {
        return call(Commands.TASK_CANCEL, new TaskRefParams(taskId), TaskCancelResult.class);
    }

    public TaskStatusResult taskStatus(String taskId, String workspace) {
        return call(Commands.TASK_STATUS, new TaskStatusParams(taskId, workspace), TaskStatusResult.class);
    }

    public TaskStartResult taskResume(TaskResumeParams p) {
        return call(Commands.TASK_RESUME, p, TaskStartResult.class);
    }

    public TaskEventsResult taskEvents(String taskId, int afterSeq, String workspace) {
        return call(Commands.TASK_EVENTS, new TaskEventsParams(taskId, afterSeq, workspace), TaskEventsResult.class);
    }

    public CheckpointListResult checkpointList(String taskId, String workspace) {
        return call(Commands.CHECKPOINT_LIST, new CheckpointListParams(taskId, workspace), CheckpointListResult.class);
    }

    public CheckpointDiffResult checkpointDiff(String taskId, int from, Integer to, String workspace) {
        return call(Commands.CHECKPOINT_DIFF, new CheckpointDiffParams(taskId, from, to, workspace), CheckpointDiffResult.class);
    }

    public RestoreReport checkpointRestore(String taskId, long checkpointId, String mode, String workspace) {
        return call(Commands.CHECKPOINT_RESTORE, new CheckpointRestoreParams(taskId, checkpointId, mode, workspace), RestoreReport.class);
    }

    public ReviewGetResult reviewGet(String taskId, String workspace) {
        return call(Commands.REVIEW_GET, new CheckpointListParams(taskId, workspace), ReviewGetResult.class);
    }

    public ReviewDecision reviewAccept(String taskId, String path, List<String> hunkIds, String workspace) {
        return call(Commands.REVIEW_ACCEPT, new ReviewDecideParams(taskId, path, hunkIds, workspace), ReviewDecision.class);
    }

    public ReviewDecision reviewReject(String taskId, String path, List<String> hunkIds, String workspace) {
        return call(Commands.REVIEW_REJECT, new ReviewDecideParams(taskId, path, hunkIds, workspace), ReviewDecision.class);
    }

    public IndexSearchResult indexSearch(String query, int k, String workspace) {
        return call(Commands.INDEX_SEARCH, new IndexSearchParams(query, k, workspace), IndexSearchResult.class);
    }

    public IndexStatusResult indexStatus(String workspace) {
        return call(Commands.INDEX_STATUS, new IndexStatusParams(workspace), IndexStatusResult.class);
    }
}
