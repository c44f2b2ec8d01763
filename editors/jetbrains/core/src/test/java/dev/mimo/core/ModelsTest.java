package dev.mimo.core;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.mimo.core.model.CheckpointModel;
import dev.mimo.core.model.PlanModel;
import dev.mimo.core.model.ReviewModel;
import dev.mimo.core.model.TaskState;
import dev.mimo.core.model.UnifiedDiff;
import dev.mimo.core.session.EventSequencer;
import dev.mimo.core.session.MimoSettings;
import dev.mimo.core.session.OpenDocuments;
import org.junit.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.Assert.*;

/** The client-side models on fixed payloads shaped as docs/protocol.md describes them. */
public class ModelsTest {
    static JsonObject ev(String json) {
        return Json.object(json);
    }

    @Test
    public void planFollowsNodesReplansAndInterruption() {
        PlanModel plan = new PlanModel();
        assertTrue(plan.apply(Protocol.Notifications.PLAN, ev("{\"taskId\":\"t1\",\"seq\":1,\"kind\":\"plan\",\"attempt\":1,\"nodes\":["
                + "{\"id\":\"a\",\"title\":\"Read\",\"dependsOn\":[],\"expectedOutput\":\"known\",\"status\":\"pending\"},"
                + "{\"id\":\"b\",\"title\":\"Fix\",\"dependsOn\":[\"a\"],\"expectedOutput\":\"fixed\",\"status\":\"pending\"}]}")));
        assertEquals("[a:pending, b:pending]", plan.items().toString());
        assertEquals("pending (after a)", plan.items().get(1).description());
        plan.apply(Protocol.Notifications.NODE, ev("{\"taskId\":\"t1\",\"seq\":2,\"kind\":\"node\",\"nodeId\":\"a\",\"status\":\"running\",\"detail\":\"\"}"));
        plan.apply(Protocol.Notifications.NODE, ev("{\"taskId\":\"t1\",\"seq\":3,\"kind\":\"node\",\"nodeId\":\"a\",\"status\":\"done\",\"detail\":\"read it\"}"));
        assertFalse("another task's node is ignored",
                plan.apply(Protocol.Notifications.NODE, ev("{\"taskId\":\"t2\",\"seq\":4,\"kind\":\"node\",\"nodeId\":\"b\",\"status\":\"failed\"}")));
        assertEquals("[a:done, b:pending]", plan.items().toString());
        assertEquals("read it", plan.items().get(0).detail);
        // a revised plan keeps done nodes done
        plan.apply(Protocol.Notifications.PLAN, ev("{\"taskId\":\"t1\",\"seq\":5,\"kind\":\"plan\",\"attempt\":2,\"nodes\":["
                + "{\"id\":\"a\",\"title\":\"Read\",\"dependsOn\":[],\"expectedOutput\":\"known\",\"status\":\"done\"},"
                + "{\"id\":\"c\",\"title\":\"Repair\",\"dependsOn\":[\"a\"],\"expectedOutput\":\"ok\",\"status\":\"pending\"}]}"));
        assertEquals(2, plan.attempt());
        plan.apply(Protocol.Notifications.NODE, ev("{\"taskId\":\"t1\",\"seq\":6,\"kind\":\"node\",\"nodeId\":\"c\",\"status\":\"running\"}"));
        assertTrue(plan.apply(Protocol.TASK_INTERRUPTED, ev("{\"taskId\":\"t1\"}")));
        assertEquals("[a:done, c:interrupted]", plan.items().toString());
    }

    @Test
    public void checkpointsAreDeduplicatedAndBelongToOneTask() {
        CheckpointModel cps = new CheckpointModel();
        String cp = "{\"taskId\":\"t1\",\"seq\":%d,\"kind\":\"checkpoint\",\"checkpointId\":%d,\"nodeId\":\"fix\",\"step\":%d,"
                + "\"files\":[%s],\"diff\":\"d\",\"replayed\":%s}";
        cps.apply(Protocol.Notifications.CHECKPOINT, ev(String.format(cp, 3, 7, 1, "", "false")));
        cps.apply(Protocol.Notifications.CHECKPOINT, ev(String.format(cp, 5, 8, 2, "\"calc.py\"", "false")));
        assertFalse("a resumed task replays checkpoints already shown",
                cps.apply(Protocol.Notifications.CHECKPOINT, ev(String.format(cp, 2, 8, 2, "\"calc.py\"", "true"))));
        assertEquals(2, cps.items().size());
        assertEquals("#7 step 1: no file changes", cps.items().get(0).label());
        assertEquals("#8 step 2: calc.py", cps.items().get(1).label());
        cps.apply(Protocol.Notifications.PLAN, ev("{\"taskId\":\"t2\",\"seq\":1,\"kind\":\"plan\",\"nodes\":[]}"));
        assertTrue("a new task's plan clears the timeline", cps.items().isEmpty());
    }

    @Test
    public void taskStateCountsAndStatusText() {
        TaskState s = TaskState.started("t1", "fix add", "scripted.json");
        assertEquals("MiMo 0/? \u00b7 0 step(s) \u00b7 0 chars", s.statusText());
        s.apply(Protocol.Notifications.PLAN, ev("{\"taskId\":\"t1\",\"seq\":1,\"kind\":\"plan\",\"nodes\":[{\"id\":\"a\",\"title\":\"x\",\"dependsOn\":[],\"status\":\"pending\"}]}"));
        s.apply(Protocol.Notifications.TOKEN, ev("{\"taskId\":\"t1\",\"seq\":2,\"kind\":\"token\",\"text\":\"" + "x".repeat(1500) + "\",\"purpose\":\"plan\"}"));
        s.apply(Protocol.Notifications.STEP, ev("{\"taskId\":\"t1\",\"seq\":3,\"kind\":\"step\",\"nodeId\":\"a\",\"step\":4,\"tool\":\"read_file\",\"args\":{},\"ok\":true}"));
        assertEquals("fix add", s.goal);
        assertEquals("MiMo 0/1 \u00b7 4 step(s) \u00b7 1.5k chars", s.statusText());
        s.apply(Protocol.Notifications.NODE, ev("{\"taskId\":\"t1\",\"seq\":4,\"kind\":\"node\",\"nodeId\":\"a\",\"status\":\"done\"}"));
        s.apply(Protocol.Notifications.DONE, ev("{\"taskId\":\"t1\",\"seq\":5,\"kind\":\"done\",\"outcome\":\"verified\",\"reason\":\"all criteria pass\",\"steps\":4,\"check\":{\"passed\":true}}"));
        assertEquals(5, s.lastSeq);
        assertFalse(s.running);
        assertEquals("MiMo: verified", s.statusText());
        assertTrue(s.tooltip(null), s.tooltip(null).contains("verified: all criteria pass"));
        assertTrue(s.tooltip(null), s.tooltip(null).contains("model: scripted.json"));
        TaskState unchecked = TaskState.started("t1", null, null);
        unchecked.apply(Protocol.Notifications.DONE, ev("{\"taskId\":\"t1\",\"seq\":1,\"kind\":\"done\",\"outcome\":\"unverified\",\"check\":null,\"stats\":{}}"));
        assertEquals("a done without completion criteria has check: null", "MiMo: unverified", unchecked.statusText());
        assertNull(Json.read(ev("{\"outcome\":\"failed\",\"check\":null}"), Events.DoneEvent.class).checkPassed());
        assertEquals(Boolean.FALSE, Json.read(ev("{\"outcome\":\"failed\",\"check\":{\"passed\":false}}"), Events.DoneEvent.class).checkPassed());
        TaskState other = TaskState.started("t1", null, null);
        other.apply(Protocol.TASK_INTERRUPTED, ev("{\"taskId\":\"t1\"}"));
        assertEquals("MiMo: interrupted", other.statusText());
    }

    static Payloads.ReviewGetResult review() {
        return Json.GSON.fromJson("{\"files\":[{\"path\":\"calc.py\",\"status\":\"modified\",\"modifiedSince\":false,\"hunks\":["
                + "{\"id\":\"h1\",\"header\":\"@@ -6 +6 @@\",\"oldStart\":6,\"oldLines\":1,\"newStart\":6,\"newLines\":1,"
                + "\"old\":[\"    return a - b\\n\"],\"new\":[\"    return a + b\\n\"],\"state\":\"pending\",\"currentLine\":5},"
                + "{\"id\":\"h2\",\"header\":\"@@ -11 +11 @@\",\"oldStart\":11,\"oldLines\":1,\"newStart\":11,\"newLines\":1,"
                + "\"old\":[\"    return a * b\\n\"],\"new\":[\"    return b * a\\n\"],\"state\":\"accepted\",\"currentLine\":null}]},"
                + "{\"path\":\"notes.md\",\"status\":\"added\",\"modifiedSince\":true,\"hunks\":[{\"id\":\"h3\",\"header\":\"@@ -0,0 +1 @@\","
                + "\"oldStart\":0,\"oldLines\":0,\"newStart\":1,\"newLines\":1,\"old\":[],\"new\":[\"hi\\n\"],\"state\":\"pending\",\"currentLine\":null}]}]}",
                Payloads.ReviewGetResult.class);
    }

    @Test
    public void reviewChoicesPreviewsAndPlacement() {
        Payloads.ReviewGetResult r = review();
        assertEquals(2, ReviewModel.pendingCount(r));
        List<ReviewModel.HunkChoice> pending = ReviewModel.hunkChoices(r, true);
        assertEquals(List.of("h1", "h3"), List.of(pending.get(0).hunkId, pending.get(1).hunkId));
        assertEquals("calc.py @@ -6 +6 @@", pending.get(0).label);
        assertEquals("modified, -1 +1", pending.get(0).description);
        assertEquals("+ return a + b", pending.get(0).detail);
        assertEquals("added, -0 +1, changed since", pending.get(1).description);
        assertEquals(3, ReviewModel.hunkChoices(r, false).size());
        assertEquals("--- a/calc.py\n+++ b/calc.py\n@@ -6 +6 @@\n-    return a - b\n+    return a + b\n",
                ReviewModel.hunkPreview("calc.py", pending.get(0).hunk));
        List<ReviewModel.PlacedFile> placed = ReviewModel.placedFiles(r);
        assertEquals(2, placed.size());
        assertEquals(5, placed.get(0).hunks.get(0).line);
        assertEquals(0, placed.get(0).unplaced);
        assertEquals("a pending hunk with currentLine null cannot be placed", 1, placed.get(1).unplaced);
    }

    @Test
    public void unifiedDiffSidesForTheDiffViewer() {
        String diff = "--- a/calc.py\n+++ b/calc.py\n@@ -4,3 +4,3 @@\n def add(a, b):\n     \"\"\"Return the sum of a and b.\"\"\"\n"
                + "-    return a - b\n+    return a + b\n@@ -12 +12,2 @@\n-x\n+y\n+z\n--- /dev/null\n+++ b/notes.md\n@@ -0,0 +1,2 @@\n+hi\n+-- not a header\n";
        List<UnifiedDiff.FileDiff> files = UnifiedDiff.parse(diff);
        assertEquals(2, files.size());
        UnifiedDiff.FileDiff calc = files.get(0);
        assertEquals("calc.py", calc.path());
        assertEquals("\u22ef 3 unchanged line(s) \u22ef\ndef add(a, b):\n    \"\"\"Return the sum of a and b.\"\"\"\n    return a - b\n"
                + "\u22ef 5 unchanged line(s) \u22ef\nx\n", calc.left());
        assertEquals("\u22ef 3 unchanged line(s) \u22ef\ndef add(a, b):\n    \"\"\"Return the sum of a and b.\"\"\"\n    return a + b\n"
                + "\u22ef 5 unchanged line(s) \u22ef\ny\nz\n", calc.right());
        assertEquals(3, calc.added());
        assertEquals(2, calc.removed());
        UnifiedDiff.FileDiff notes = files.get(1);
        assertTrue(notes.isNew());
        assertEquals("notes.md", notes.path());
        assertEquals("", notes.left());
        assertEquals("hi\n-- not a header\n", notes.right());
        assertTrue(UnifiedDiff.parse("").isEmpty());
    }

    @Test
    public void sequencerFillsGapsDropsDuplicatesAndRestartsOnReset() {
        EventSequencer seq = new EventSequencer();
        List<JsonObject> log = new ArrayList<>();
        for (int i = 1; i <= 6; i++) log.add(ev("{\"taskId\":\"t\",\"seq\":" + i + ",\"kind\":\"token\",\"text\":\"" + i + "\"}"));
        List<Integer> asked = new ArrayList<>();
        EventSequencer.Fetcher fetcher = (task, after) -> {
            asked.add(after);
            List<JsonObject> out = new ArrayList<>();
            for (JsonObject e : log) if (e.get("seq").getAsInt() > after) out.add(e);
            return out;
        };
        assertEquals(1, seq.accept(log.get(0), fetcher).size());
        List<JsonObject> got = seq.accept(log.get(4), fetcher); // 2, 3, 4 were lost
        assertEquals(List.of(1), asked);
        assertEquals(List.of(2, 3, 4, 5), seqs(got));
        assertTrue(seq.accept(log.get(2), fetcher).isEmpty());
        assertEquals(List.of(6), seqs(seq.accept(log.get(5), fetcher)));
        assertTrue(seq.unfilledGaps().isEmpty());
        seq.reset("t");
        assertEquals("a resumed run starts at seq 1 again", List.of(1), seqs(seq.accept(log.get(0), fetcher)));
        EventSequencer.Fetcher broken = (task, after) -> {
            throw new IllegalStateException("server gone");
        };
        assertEquals(List.of(3), seqs(seq.accept(log.get(2), broken)));
        assertEquals(2, seq.unfilledGaps().size());
    }

    static List<Integer> seqs(List<JsonObject> evs) {
        List<Integer> out = new ArrayList<>();
        for (JsonObject e : evs) out.add(e.get("seq").getAsInt());
        return out;
    }

    @Test
    public void openDocumentsApplyVersionedEdits() {
        OpenDocuments docs = new OpenDocuments();
        docs.open("file:///w/a.py", "x = 1\n\ud83d\ude00 = 2\nz = 3\n");
        JsonObject edit = ev("{\"documentChanges\":[{\"textDocument\":{\"uri\":\"file:///w/a.py\",\"version\":1},\"edits\":["
                + "{\"range\":{\"start\":{\"line\":1,\"character\":2},\"end\":{\"line\":1,\"character\":3}},\"newText\":\":\"},"
                + "{\"range\":{\"start\":{\"line\":0,\"character\":0},\"end\":{\"line\":1,\"character\":0}},\"newText\":\"\"}]}]}");
        OpenDocuments.Applied r = docs.apply(edit);
        assertTrue(r.failureReason, r.applied);
        assertEquals("a surrogate pair is two UTF-16 columns", "\ud83d\ude00:= 2\nz = 3\n", docs.get("file:///w/a.py").text);
        assertEquals(2, docs.get("file:///w/a.py").version);
        OpenDocuments.Applied stale = docs.apply(edit);
        assertFalse("an edit for version 1 of a buffer now at version 2 is refused", stale.applied);
        assertTrue(stale.failureReason.contains("version 1"));
        assertFalse(docs.apply(ev("{\"changes\":{\"file:///w/closed.py\":[]}}")).applied);
        JsonArray whole = Json.GSON.fromJson("[{\"range\":{\"start\":{\"line\":0,\"character\":0},\"end\":{\"line\":9,\"character\":0}},\"newText\":\"new\\n\"}]", JsonArray.class);
        assertEquals("new\n", OpenDocuments.applyEdits("a\nb\n", whole));
    }

    @Test
    public void settingsLaunchCommandAndInitializationOptions() {
        MimoSettings s = new MimoSettings();
        s.pythonPath = "/opt/mimo/.venv/bin/python";
        assertEquals(List.of("/opt/mimo/.venv/bin/python", "-m", "mimo_lsp.server"), s.launchCommand());
        assertEquals("{}", s.initializationOptions().toString());
        s.serverCommand = new ArrayList<>(List.of("mimo-lsp", "", "--stdio"));
        assertEquals(List.of("mimo-lsp", "--stdio"), s.launchCommand());
        s.model = " scripted:/tmp/r.json ";
        s.gpuLayers = 0;
        s.policyMode = "askEdits";
        JsonObject opts = s.initializationOptions();
        assertEquals("scripted:/tmp/r.json", opts.getAsJsonObject("model").get("spec").getAsString());
        assertEquals(0, opts.getAsJsonObject("model").get("n_gpu_layers").getAsInt());
        JsonArray rules = opts.getAsJsonObject("safety").getAsJsonArray("rules");
        assertEquals(2, rules.size());
        assertEquals("ask", rules.get(0).getAsJsonObject().get("action").getAsString());
        assertEquals(3, MimoSettings.policyRules("readOnly").size());
        String msg = MimoSettings.startFailureMessage(List.of("/no/python", "-m", "mimo_lsp.server"), "No such file");
        assertTrue(msg, msg.startsWith("MiMo: could not start the server \"/no/python -m mimo_lsp.server\": No such file. How to fix:"));
    }
}
