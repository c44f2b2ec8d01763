package dev.mimo.core.session;

import com.google.gson.JsonObject;
import dev.mimo.core.Json;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Keeps each task's notifications gap-free and in order. The server numbers a task run's notifications
 * 1, 2, 3, ... across kinds; an event whose seq skips ahead makes this ask mimo.task.events for what is
 * missing before the event is delivered; an event already seen (seq at or below the last one) is dropped.
 * A resumed task run numbers from 1 again: call reset(taskId) before resuming.
 */
public final class EventSequencer {
    /** mimo.task.events: the task's events after afterSeq, in order. */
    public interface Fetcher {
        List<JsonObject> eventsAfter(String taskId, int afterSeq) throws Exception;
    }

    private final Map<String, Integer> last = new HashMap<>();
    private final List<String> unfilled = new ArrayList<>();
    private int fetches;

    public synchronized int lastSeq(String taskId) {
        return last.getOrDefault(taskId, 0);
    }

    public synchronized void reset(String taskId) {
        last.remove(taskId);
    }

    /** Gaps that mimo.task.events could not fill ("taskId: seq a..b"), for the log. */
    public synchronized List<String> unfilledGaps() {
        return List.copyOf(unfilled);
    }

    /** How many times a gap was fetched. */
    public synchronized int fetches() {
        return fetches;
    }

    /**
     * The events to deliver, in order, for this incoming one: nothing (a duplicate), the event alone, or the
     * fetched events that were missing followed by the event. Events without a taskId or seq pass through.
     */
    public synchronized List<JsonObject> accept(JsonObject event, Fetcher fetcher) {
        String taskId = Json.str(event, "taskId");
        int seq = Json.integer(event, "seq", 0);
        List<JsonObject> out = new ArrayList<>();
        if (taskId == null || seq <= 0) {
            out.add(event);
            return out;
        }
        int cur = last.getOrDefault(taskId, 0);
        if (seq <= cur) return out;
        if (seq > cur + 1 && fetcher != null) {
            fetches++;
            try {
                List<JsonObject> fetched = new ArrayList<>(fetcher.eventsAfter(taskId, cur));
                fetched.sort(Comparator.comparingInt(e -> Json.integer(e, "seq", 0)));
                for (JsonObject e : fetched) {
                    int s = Json.integer(e, "seq", 0);
                    if (s == cur + 1 && s < seq) {
                        out.add(e);
                        cur = s;
                    }
                }
            } catch (Exception e) {
                unfilled.add(taskId + ": fetch failed: " + e.getMessage());
            }
        }
        if (seq > cur + 1) unfilled.add(taskId + ": seq " + (cur + 1) + ".." + (seq - 1));
        out.add(event);
        last.put(taskId, seq);
        return out;
    }
}
