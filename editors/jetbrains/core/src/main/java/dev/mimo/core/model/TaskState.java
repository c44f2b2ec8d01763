package dev.mimo.core.model;

import com.google.gson.JsonObject;
import dev.mimo.core.Events;
import dev.mimo.core.Json;
import dev.mimo.core.Protocol;

/** The current task and its status line, from command results and notifications (mirrors taskState.ts). */
public final class TaskState {
    public String taskId;
    public String goal;
    /** the model the server resolved for the task (mimo.task.start's result) */
    public String model;
    public boolean running;
    public String outcome;
    public String reason;
    public int nodesDone;
    public int nodesTotal;
    public int steps;
    /** characters of model output streamed so far (mimo/task/token) */
    public long streamed;
    /** highest seq seen of the current run: what a reconnecting client asks mimo.task.events for */
    public int lastSeq;
    /** the task's server process died while it ran: resumable */
    public boolean interrupted;

    public TaskState copy() {
        TaskState s = new TaskState();
        s.taskId = taskId;
        s.goal = goal;
        s.model = model;
        s.running = running;
        s.outcome = outcome;
        s.reason = reason;
        s.nodesDone = nodesDone;
        s.nodesTotal = nodesTotal;
        s.steps = steps;
        s.streamed = streamed;
        s.lastSeq = lastSeq;
        s.interrupted = interrupted;
        return s;
    }

    /** A new task run (started or resumed): counters and seq start again. */
    public static TaskState started(String taskId, String goal, String model) {
        TaskState s = new TaskState();
        s.taskId = taskId;
        s.goal = goal;
        s.model = model;
        s.running = true;
        return s;
    }

    /** Applies one notification (live or replayed) in place. */
    public void apply(String method, JsonObject params) {
        String evTask = Json.str(params, "taskId");
        int seq = Json.integer(params, "seq", 0);
        if (Protocol.Notifications.PLAN.equals(method)) {
            Events.PlanEvent plan = Json.read(params, Events.PlanEvent.class);
            boolean same = evTask != null && evTask.equals(taskId);
            if (!same) {
                goal = null;
                model = null;
                steps = 0;
                streamed = 0;
                lastSeq = 0;
            }
            taskId = evTask;
            running = true;
            outcome = null;
            reason = null;
            interrupted = false;
            int done = 0;
            for (Events.PlanNode n : plan.nodes) if ("done".equals(n.status)) done++;
            nodesDone = done;
            nodesTotal = plan.nodes.size();
            lastSeq = Math.max(lastSeq, seq);
            return;
        }
        if (evTask == null || !evTask.equals(taskId)) return;
        lastSeq = Math.max(lastSeq, seq);
        if (Protocol.TASK_INTERRUPTED.equals(method)) {
            running = false;
            interrupted = true;
            outcome = "interrupted";
        } else if (Protocol.Notifications.NODE.equals(method)) {
            if (!"running".equals(Json.str(params, "status"))) nodesDone++;
        } else if (Protocol.Notifications.STEP.equals(method)) {
            steps = Math.max(steps, Json.integer(params, "step", 0));
        } else if (Protocol.Notifications.TOKEN.equals(method)) {
            String text = Json.str(params, "text");
            streamed += text == null ? 0 : text.length();
        } else if (Protocol.Notifications.DONE.equals(method)) {
            Events.DoneEvent d = Json.read(params, Events.DoneEvent.class);
            running = false;
            interrupted = false;
            outcome = d.outcome;
            reason = d.reason;
            if (d.steps > 0) steps = d.steps;
        }
    }

    /** The status-bar text. */
    public String statusText() {
        if (taskId == null) return "MiMo";
        if (interrupted) return "MiMo: interrupted";
        if (running) return "MiMo " + nodesDone + "/" + (nodesTotal == 0 ? "?" : String.valueOf(nodesTotal)) + " \u00b7 " + steps
                + " step(s) \u00b7 " + compact(streamed) + " chars";
        return "MiMo: " + (outcome == null ? "idle" : outcome);
    }

    public String tooltip(String configuredModel) {
        String m = model != null ? model : (configuredModel == null || configuredModel.isEmpty() ? "the server's default" : configuredModel);
        String tail = "model: " + m;
        if (taskId == null) return "MiMo: no task.\n" + tail;
        String head = "task " + taskId + (goal != null ? ": " + goal : "");
        String counts = nodesDone + " of " + nodesTotal + " plan nodes finished, " + steps + " step(s), " + streamed + " chars streamed";
        if (interrupted) return head + "\ninterrupted (the server stopped mid-task): Resume Task continues it\n" + counts + "\n" + tail;
        if (running) return head + "\nrunning: " + counts + "\n" + tail;
        return head + "\n" + (outcome == null ? "" : outcome) + (reason != null && !reason.isEmpty() ? ": " + reason : "") + "\n" + counts + "\n" + tail;
    }

    static String compact(long n) {
        if (n >= 10_000) return Math.round(n / 1000.0) + "k";
        if (n >= 1000) return String.format(java.util.Locale.ROOT, "%.1fk", n / 1000.0);
        return String.valueOf(n);
    }
}
