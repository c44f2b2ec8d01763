package dev.mimo.core.model;

import com.google.gson.JsonObject;
import dev.mimo.core.Events;
import dev.mimo.core.Json;
import dev.mimo.core.Protocol;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The plan tree of one task, from mimo/task/plan and mimo/task/node (mirrors the VS Code client's planModel.ts). */
public final class PlanModel {
    /** pending | running | done | failed | skipped | interrupted */
    public static final class Item {
        public final String id;
        public final String title;
        public final String status;
        public final String detail;
        public final List<String> dependsOn;

        Item(String id, String title, String status, String detail, List<String> dependsOn) {
            this.id = id;
            this.title = title;
            this.status = status;
            this.detail = detail;
            this.dependsOn = List.copyOf(dependsOn);
        }

        /** One line shown next to the title: the status and what the node waits for. */
        public String description() {
            return dependsOn.isEmpty() ? status : status + " (after " + String.join(", ", dependsOn) + ")";
        }

        @Override
        public String toString() {
            return id + ":" + status;
        }
    }

    private static final class Node {
        String title;
        List<String> dependsOn;
        String status;
        String detail;
    }

    private String taskId;
    private int attempt;
    private final Map<String, Node> nodes = new LinkedHashMap<>();

    public synchronized String taskId() {
        return taskId;
    }

    public synchronized int attempt() {
        return attempt;
    }

    /** Applies a plan (replacing the previous one), a node status or an interruption. True when the model changed. */
    public synchronized boolean apply(String method, JsonObject params) {
        String evTask = Json.str(params, "taskId");
        if (Protocol.Notifications.PLAN.equals(method)) {
            Events.PlanEvent plan = Json.read(params, Events.PlanEvent.class);
            taskId = plan.taskId;
            attempt = plan.attempt;
            nodes.clear();
            for (Events.PlanNode n : plan.nodes) {
                Node node = new Node();
                node.title = n.title;
                node.dependsOn = n.dependsOn == null ? List.of() : n.dependsOn;
                node.status = n.status == null ? "pending" : n.status;
                node.detail = n.expectedOutput == null ? "" : n.expectedOutput;
                nodes.put(n.id, node);
            }
            return true;
        }
        if (evTask == null || !evTask.equals(taskId)) return false;
        if (Protocol.TASK_INTERRUPTED.equals(method)) {
            boolean changed = false;
            for (Node n : nodes.values()) {
                if ("running".equals(n.status)) {
                    n.status = "interrupted";
                    changed = true;
                }
            }
            return changed;
        }
        if (Protocol.Notifications.NODE.equals(method)) {
            Events.NodeEvent ev = Json.read(params, Events.NodeEvent.class);
            Node n = nodes.get(ev.nodeId);
            if (n == null) return false;
            n.status = ev.status;
            if (ev.detail != null && !ev.detail.isEmpty()) n.detail = ev.detail;
            return true;
        }
        return false;
    }

    public synchronized void reset() {
        taskId = null;
        attempt = 0;
        nodes.clear();
    }

    public synchronized List<Item> items() {
        List<Item> out = new ArrayList<>();
        nodes.forEach((id, n) -> out.add(new Item(id, n.title, n.status, n.detail, n.dependsOn)));
        return out;
    }
}
