package dev.mimo.core.session;

import com.google.gson.JsonObject;
import dev.mimo.core.Json;
import dev.mimo.core.Payloads.TaskInfo;
import dev.mimo.core.Payloads.TaskStatusResult;
import dev.mimo.core.Protocol;
import dev.mimo.core.model.CheckpointModel;
import dev.mimo.core.model.PlanModel;
import dev.mimo.core.model.TaskState;
import dev.mimo.core.rpc.JsonRpcException;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * The client's view of the current task: the plan, the checkpoint timeline and the status, built from the
 * mimo/task/* notifications (kept gap-free by an EventSequencer) and, after a server (re)start, from
 * mimo.task.events. Used alike by the core's stdio session and by the IDE glue over LSP4IJ.
 */
public final class TaskTracker {
    /** Called for every event delivered to the models, in order; replayed = it came from mimo.task.events. */
    public interface Listener {
        void onEvent(String method, JsonObject params, boolean replayed);
    }

    /** What a catch-up did: the events replayed after afterSeq and the task's status on the new server. */
    public static final class CatchUp {
        public final String taskId;
        public final int afterSeq;
        public final int events;
        public final String status;

        CatchUp(String taskId, int afterSeq, int events, String status) {
            this.taskId = taskId;
            this.afterSeq = afterSeq;
            this.events = events;
            this.status = status;
        }

        @Override
        public String toString() {
            return "catch-up of " + taskId + ": " + events + " event(s) after seq " + afterSeq + ", status " + status;
        }
    }

    private final MimoApi api;
    private final Consumer<String> log;
    private final EventSequencer sequencer = new EventSequencer();
    private final PlanModel plan = new PlanModel();
    private final CheckpointModel checkpoints = new CheckpointModel();
    private final List<Listener> listeners = new CopyOnWriteArrayList<>();
    private final Object deliver = new Object();
    private volatile String workspace;
    private TaskState state = new TaskState();

    public TaskTracker(MimoApi api, String workspace, Consumer<String> log) {
        this.api = api;
        this.workspace = workspace;
        this.log = log == null ? s -> {} : log;
    }

    public void setWorkspace(String workspace) {
        this.workspace = workspace;
    }

    public void addListener(Listener l) {
        listeners.add(l);
    }

    public void removeListener(Listener l) {
        listeners.remove(l);
    }

    public PlanModel plan() {
        return plan;
    }

    public CheckpointModel checkpoints() {
        return checkpoints;
    }

    public EventSequencer sequencer() {
        return sequencer;
    }

    /** A copy of the task state. */
    public TaskState state() {
        synchronized (deliver) {
            return state.copy();
        }
    }

    /** A live notification (any method; only mimo/task/* ones are used). */
    public void onNotification(String method, JsonObject params) {
        if (!Protocol.isTaskNotification(method) || params == null) return;
        synchronized (deliver) {
            for (JsonObject ev : sequencer.accept(params, this::fetch)) {
                String m = ev == params ? method : Protocol.methodOfKind(Json.str(ev, "kind"));
                deliverLocked(m, ev, ev != params);
            }
        }
    }

    private List<JsonObject> fetch(String taskId, int afterSeq) {
        List<JsonObject> events = api.taskEvents(taskId, afterSeq, workspace).events;
        log.accept("gap in task " + taskId + " after seq " + afterSeq + ": fetched " + events.size() + " event(s)");
        return events;
    }

    private void deliverLocked(String method, JsonObject ev, boolean replayed) {
        try {
            plan.apply(method, ev);
            checkpoints.apply(method, ev);
            state.apply(method, ev);
        } catch (RuntimeException e) { // a payload this client cannot read must not stop the others
            log.accept("could not apply " + method + " #" + Json.integer(ev, "seq", 0) + ": " + e);
        }
        for (Listener l : listeners) {
            try {
                l.onEvent(method, ev, replayed);
            } catch (RuntimeException e) {
                log.accept("listener failed on " + method + ": " + e);
            }
        }
    }

    /**
     * Call BEFORE sending mimo.task.start's answer is known for a resume (the resumed run's seq starts at 1 and
     * its first events may come before the answer): resets the task's sequence and state.
     */
    public void beginRun(String taskId, String goal) {
        synchronized (deliver) {
            sequencer.reset(taskId);
            state = TaskState.started(taskId, goal, null);
        }
    }

    /** mimo.task.start / resume answered: keep what the first events already said. */
    public void runStarted(String taskId, String goal, String model) {
        synchronized (deliver) {
            if (taskId.equals(state.taskId)) {
                if (goal != null) state.goal = goal;
                state.model = model;
            } else {
                state = TaskState.started(taskId, goal, model);
            }
        }
    }

    /** Show a task known from before (a remembered id after an IDE restart): the next catch-up replays it from seq 0. */
    public void follow(String taskId) {
        synchronized (deliver) {
            if (taskId == null || taskId.equals(state.taskId)) return;
            sequencer.reset(taskId);
            plan.reset();
            checkpoints.clear();
            state = new TaskState();
            state.taskId = taskId;
            state.running = true; // until the catch-up asks the server
        }
    }

    /**
     * After the server (re)started: replay the current task's events after the last seq seen (so there is no
     * gap across the restart), then ask whether it still runs; a task the dead server ran is "interrupted".
     * On a first start with events already seen, nothing is asked. Returns null when there is no task.
     */
    public CatchUp catchUp(boolean restarted) {
        String taskId;
        int afterSeq;
        synchronized (deliver) {
            taskId = state.taskId;
            if (taskId == null) return null;
            afterSeq = sequencer.lastSeq(taskId);
            if (!restarted && afterSeq > 0) return null;
        }
        List<JsonObject> events;
        try {
            events = api.taskEvents(taskId, afterSeq, workspace).events;
        } catch (JsonRpcException e) {
            log.accept("no events to catch up for task " + taskId + ": " + e.getMessage());
            return new CatchUp(taskId, afterSeq, 0, null);
        }
        int delivered = 0;
        boolean running;
        synchronized (deliver) {
            if (!taskId.equals(state.taskId)) return new CatchUp(taskId, afterSeq, 0, null); // a new task started meanwhile
            for (JsonObject ev : events) {
                for (JsonObject e : sequencer.accept(ev, null)) {
                    deliverLocked(Protocol.methodOfKind(Json.str(e, "kind")), e, true);
                    delivered++;
                }
            }
            running = state.running;
        }
        String status = null;
        if (running) {
            try {
                TaskStatusResult r = api.taskStatus(taskId, workspace);
                for (TaskInfo t : r.tasks) if (taskId.equals(t.taskId)) status = t.status;
            } catch (JsonRpcException e) {
                log.accept("task status failed: " + e.getMessage());
            }
            synchronized (deliver) {
                if (status != null && taskId.equals(state.taskId) && state.running && !"running".equals(status) && !"starting".equals(status)) {
                    if ("interrupted".equals(status)) {
                        JsonObject ev = new JsonObject();
                        ev.addProperty("taskId", taskId);
                        deliverLocked(Protocol.TASK_INTERRUPTED, ev, true);
                    } else {
                        state.running = false;
                        state.outcome = status;
                    }
                }
            }
        }
        CatchUp c = new CatchUp(taskId, afterSeq, delivered, status);
        log.accept(c.toString());
        return c;
    }
}
