package dev.mimo.core;

import com.google.gson.JsonElement;

import java.util.ArrayList;
import java.util.List;

/** The mimo/task/* notifications (docs/protocol.md), as gson reads them. Checked by ProtocolDriftTest. */
public final class Events {
    private Events() {}

    /** Every notification: the task, its number in the task run (1, 2, ... across kinds), and its kind. */
    public static class TaskEvent {
        public String taskId;
        public int seq;
        public String kind;
    }

    public static class PlanNode {
        public String id;
        public String title;
        public List<String> dependsOn = new ArrayList<>();
        public String expectedOutput;
        public List<String> files = new ArrayList<>();
        public Integer maxSteps;
        /** present on revised plans: done nodes stay "done" */
        public String status;
    }

    public static class PlanEvent extends TaskEvent {
        public List<PlanNode> nodes = new ArrayList<>();
        /** 1 = first plan; more = revised */
        public int attempt;
    }

    public static class NodeEvent extends TaskEvent {
        public String nodeId;
        /** running | done | failed | skipped */
        public String status;
        public String detail;
    }

    public static class StepEvent extends TaskEvent {
        public String nodeId;
        public int step;
        public String thought;
        public String tool;
        /** passed through as the model wrote them */
        public JsonElement args;
        public String observation;
        public boolean ok;
        public boolean replayed;
    }

    public static class CheckpointEvent extends TaskEvent {
        public long checkpointId;
        public String nodeId;
        public int step;
        public List<String> files = new ArrayList<>();
        /** unified diff of that step */
        public String diff;
        public boolean replayed;
    }

    public static class TokenEvent extends TaskEvent {
        public String text;
        /** plan | node:&lt;id&gt; */
        public String purpose;
    }

    public static class DoneEvent extends TaskEvent {
        /** verified | failed | unverified | cancelled */
        public String outcome;
        public String reason;
        public String diff;
        /** {passed, command, exitCode, output, results} or null: kept as sent (JsonNull when null) */
        public JsonElement check;
        public int steps;
        public int checkpoints;
        /** {replans, retries, nodeRejections, goalRejections, failedAttempts, lessons, modelCalls, ...} */
        public JsonElement stats;

        /** check.passed, or null when no completion criteria were checked. */
        public Boolean checkPassed() {
            if (check == null || !check.isJsonObject()) return null;
            JsonElement p = check.getAsJsonObject().get("passed");
            return p == null || p.isJsonNull() ? null : p.getAsBoolean();
        }
    }

    /** The class gson reads a notification of this method into, or null for methods that are not task events. */
    public static Class<? extends TaskEvent> classOf(String method) {
        if (method == null) return null;
        switch (method) {
            case Protocol.Notifications.PLAN: return PlanEvent.class;
            case Protocol.Notifications.NODE: return NodeEvent.class;
            case Protocol.Notifications.STEP: return StepEvent.class;
            case Protocol.Notifications.CHECKPOINT: return CheckpointEvent.class;
            case Protocol.Notifications.TOKEN: return TokenEvent.class;
            case Protocol.Notifications.DONE: return DoneEvent.class;
            default: return null;
        }
    }
}
