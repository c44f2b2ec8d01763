package dev.mimo.core.model;

import com.google.gson.JsonObject;
import dev.mimo.core.Events;
import dev.mimo.core.Json;
import dev.mimo.core.Protocol;

import java.util.ArrayList;
import java.util.List;

/** The checkpoint timeline of one task, from mimo/task/checkpoint (mirrors checkpointModel.ts). */
public final class CheckpointModel {
    public static final class Item {
        public final String taskId;
        public final long checkpointId;
        public final int step;
        public final String nodeId;
        public final List<String> files;
        /** the step's unified diff */
        public final String diff;
        public final boolean replayed;

        Item(Events.CheckpointEvent ev) {
            taskId = ev.taskId;
            checkpointId = ev.checkpointId;
            step = ev.step;
            nodeId = ev.nodeId;
            files = List.copyOf(ev.files == null ? List.of() : ev.files);
            diff = ev.diff == null ? "" : ev.diff;
            replayed = ev.replayed;
        }

        public String label() {
            String f = files.isEmpty() ? "no file changes" : String.join(", ", files);
            return "#" + checkpointId + " step " + step + ": " + f;
        }

        public String description() {
            return nodeId + (replayed ? " (replayed)" : "");
        }

        @Override
        public String toString() {
            return label();
        }
    }

    private final List<Item> list = new ArrayList<>();

    public synchronized boolean apply(String method, JsonObject params) {
        String taskId = Json.str(params, "taskId");
        if (Protocol.Notifications.PLAN.equals(method)) {
            if (!list.isEmpty() && !list.get(0).taskId.equals(taskId)) list.clear();
            return true;
        }
        if (!Protocol.Notifications.CHECKPOINT.equals(method)) return false;
        Events.CheckpointEvent ev = Json.read(params, Events.CheckpointEvent.class);
        if (!list.isEmpty() && !list.get(0).taskId.equals(ev.taskId)) list.clear();
        for (Item i : list) if (i.checkpointId == ev.checkpointId) return false; // a resumed task replays them
        list.add(new Item(ev));
        return true;
    }

    public synchronized List<Item> items() {
        return List.copyOf(list);
    }

    public synchronized void clear() {
        list.clear();
    }
}
