package dev.mimo.core;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.mimo.core.Payloads.ReviewDecision;
import dev.mimo.core.Payloads.ReviewGetResult;
import dev.mimo.core.Payloads.TaskStartParams;
import dev.mimo.core.Payloads.TaskStartResult;
import dev.mimo.core.ServerHarness.Recorder;
import dev.mimo.core.model.CheckpointModel;
import dev.mimo.core.model.PlanModel;
import dev.mimo.core.model.ReviewModel;
import dev.mimo.core.model.TaskState;
import dev.mimo.core.model.UnifiedDiff;
import dev.mimo.core.rpc.JsonRpcException;
import dev.mimo.core.session.MimoSettings;
import dev.mimo.core.session.StdioServer;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

import static dev.mimo.core.ServerHarness.*;
import static org.junit.Assert.*;

/**
 * The core against the REAL mimo-lsp server (scripted models, no mocks): initialize, tasks and their
 * notifications, the server's confirmations answered, review accept / reject on disk and through
 * workspace/applyEdit in an open buffer, and lost notifications fetched from mimo.task.events.
 * The policy is askEdits, so every edit of the agent asks this client (window/showMessageRequest).
 */
public class ServerTest {
    static final String ORIGINAL_ADD = "    return a - b\n";

    /** Two edits far apart in calc.py: two separate hunks. */
    static final String TWO_HUNKS = """
        [{"nodes": [{"id": "edit", "title": "Edit calc.py", "depends_on": [], "expected_output": "add fixed, multiply swapped"}]},
         {"thought": "look first", "action": {"tool": "read_file", "path": "calc.py"}},
         {"thought": "fix add", "action": {"tool": "edit_file", "path": "calc.py", "search": "return a - b", "replace": "return a + b"}},
         {"thought": "swap", "action": {"tool": "edit_file", "path": "calc.py", "search": "return a * b", "replace": "return b * a"}},
         {"thought": "done", "action": {"tool": "finish", "summary": "edited"}}]
        """;

    static final String FIX_ADD = """
        [{"nodes": [{"id": "fix", "title": "Fix add in calc.py", "depends_on": [], "expected_output": "add returns a + b"}]},
         {"thought": "look at the file", "action": {"tool": "read_file", "path": "calc.py"}},
         {"thought": "fix the operator", "action": {"tool": "edit_file", "path": "calc.py", "search": "return a - b", "replace": "return a + b"}},
         {"thought": "done", "action": {"tool": "finish", "summary": "add fixed"}}]
        """;

    static final String WRITE_NOTES = """
        [{"nodes": [{"id": "notes", "title": "Write notes.md", "depends_on": [], "expected_output": "notes written"}]},
         {"thought": "write it", "action": {"tool": "write_file", "path": "notes.md", "content": "hello\\n"}},
         {"thought": "done", "action": {"tool": "finish", "summary": "tried"}}]
        """;

    static Path dir;
    static Path ws;
    static String original;
    static StdioServer server;
    static final Recorder rec = new Recorder();
    static final List<String> confirmations = new CopyOnWriteArrayList<>();
    static volatile String answer = "Yes";

    @BeforeClass
    public static void startServer() throws Exception {
        dir = tempDir("mimo-jb-server-");
        ws = calculator(dir);
        original = read(ws.resolve("calc.py"));
        assertTrue("examples/calculator/calc.py has the bug the scripts fix", original.contains(ORIGINAL_ADD));
        MimoSettings s = settings(dir);
        s.policyMode = "askEdits";
        server = new StdioServer(ws, s, 60_000);
        server.setConfirm(message -> {
            confirmations.add(message);
            return answer;
        });
        server.tracker().addListener(rec);
        server.start();
    }

    @AfterClass
    public static void stopServer() {
        if (server != null) server.stop();
        deleteTree(dir);
    }

    static void restoreCalc() throws Exception {
        Files.writeString(ws.resolve("calc.py"), original);
    }

    /** Starts a scripted task through the session and waits for its done notification. */
    static String runScripted(String name, String replies, String goal) throws Exception {
        int from = rec.events.size();
        TaskStartResult r = server.startTask(goal, null, script(dir, name, replies));
        assertNotNull(r.taskId);
        // docs/protocol.md says "model = resolved manifest name or file name"; a scripted model comes back as its spec
        assertTrue(r.model, r.model.endsWith(name + ".json"));
        await(() -> rec.done(r.taskId, from) != null, "mimo/task/done of " + r.taskId, 90_000, () -> describe(server, rec));
        return r.taskId;
    }

    static Recorder.Ev first(List<Recorder.Ev> evs, String method) {
        for (Recorder.Ev e : evs) if (e.method.equals(method)) return e;
        return null;
    }

    @Test
    public void initializeAnswersAndInvalidParamsNameTheField() {
        JsonObject caps = server.initializeResult().getAsJsonObject("capabilities");
        assertNotNull("initialize returns capabilities", caps);
        JsonArray commands = caps.getAsJsonObject("executeCommandProvider").getAsJsonArray("commands");
        List<String> names = new ArrayList<>();
        for (JsonElement c : commands) names.add(c.getAsString());
        for (String used : List.of(Protocol.Commands.TASK_START, Protocol.Commands.TASK_EVENTS, Protocol.Commands.REVIEW_REJECT))
            assertTrue(used + " advertised: " + names, names.contains(used));
        try {
            server.api().taskStart(new TaskStartParams());
            fail("a task without a goal must be refused");
        } catch (JsonRpcException e) {
            assertEquals(JsonRpcException.INVALID_PARAMS, e.code);
            assertTrue(e.getMessage(), e.getMessage().contains("goal"));
        }
        try {
            server.api().taskEvents("no-such-task", 0, ws.toString());
            fail();
        } catch (JsonRpcException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("unknown task id"));
        }
    }

    @Test
    public void twoHunkTaskNotificationsInOrderThenAcceptOneHunkAndRejectTheOther() throws Exception {
        restoreCalc();
        answer = "Yes";
        int asked = confirmations.size();
        String taskId = runScripted("two-hunks", TWO_HUNKS, "fix add and swap multiply");
        List<Recorder.Ev> evs = rec.of(taskId);
        // seq 1..n, one by one across kinds, none missing, none from a catch-up
        assertEquals(evs.toString(), range(1, evs.size()), seqs(evs));
        for (Recorder.Ev e : evs) assertFalse(e + " came live", e.replayed);
        List<String> kinds = new ArrayList<>();
        for (Recorder.Ev e : evs) if (!e.method.equals(Protocol.Notifications.TOKEN)) kinds.add(Json.str(e.params, "kind"));
        assertEquals(evs.toString(), "plan", kinds.get(0));
        assertEquals("node", kinds.get(1));
        assertEquals("done", kinds.get(kinds.size() - 1));
        assertEquals(evs.toString(), 1, kinds.stream().filter("done"::equals).count());
        assertTrue(evs.toString(), kinds.contains("checkpoint"));
        // every method is a documented notification
        Set<String> known = Set.of(Protocol.Notifications.PLAN, Protocol.Notifications.NODE, Protocol.Notifications.STEP,
                Protocol.Notifications.CHECKPOINT, Protocol.Notifications.TOKEN, Protocol.Notifications.DONE);
        for (Recorder.Ev e : evs) assertTrue(e.method, known.contains(e.method));
        // both edits asked for confirmation (askEdits) and went through on "Yes"
        assertEquals(confirmations.subList(asked, confirmations.size()).toString(), 2, confirmations.size() - asked);
        assertTrue(confirmations.get(asked), confirmations.get(asked).contains("edit_file"));

        Events.DoneEvent done = Json.read(evs.get(evs.size() - 1).params, Events.DoneEvent.class);
        assertEquals(done.reason, "unverified", done.outcome);
        assertNull(done.checkPassed());
        String edited = read(ws.resolve("calc.py"));
        assertTrue(edited, edited.contains("return a + b") && edited.contains("return b * a"));

        // the models the tool window shows
        PlanModel plan = server.tracker().plan();
        assertEquals("[edit:done]", plan.items().toString());
        TaskState st = server.tracker().state();
        assertEquals("MiMo: unverified", st.statusText());
        assertEquals(evs.size(), st.lastSeq);
        assertEquals(4, st.steps);
        List<CheckpointModel.Item> cps = server.tracker().checkpoints().items();
        CheckpointModel.Item addStep = null;
        for (CheckpointModel.Item c : cps) if (c.diff.contains("+    return a + b")) addStep = c;
        assertNotNull("a checkpoint whose diff fixes add: " + cps, addStep);
        assertEquals(List.of("calc.py"), addStep.files);
        UnifiedDiff.FileDiff sides = UnifiedDiff.parse(addStep.diff).get(0);
        assertEquals("calc.py", sides.path());
        assertTrue(sides.left(), sides.left().contains("return a - b") && !sides.left().contains("return a + b"));
        assertTrue(sides.right(), sides.right().contains("return a + b"));

        // review: two separate pending hunks; accept the add fix, reject the multiply swap
        ReviewGetResult review = server.api().reviewGet(taskId, ws.toString());
        List<ReviewModel.HunkChoice> pending = ReviewModel.hunkChoices(review, true);
        assertEquals(Json.GSON.toJson(review), 2, pending.size());
        ReviewModel.HunkChoice add = null;
        ReviewModel.HunkChoice mul = null;
        for (ReviewModel.HunkChoice c : pending) {
            if (c.detail.contains("a + b")) add = c;
            if (c.detail.contains("b * a")) mul = c;
        }
        assertNotNull(pending.toString(), add);
        assertNotNull(pending.toString(), mul);
        assertEquals("calc.py", add.path);
        ReviewDecision accepted = server.api().reviewAccept(taskId, null, List.of(add.hunkId), ws.toString());
        assertEquals(List.of(add.hunkId), accepted.decided);
        assertTrue(accepted.conflicts.isEmpty());
        ReviewDecision rejected = server.api().reviewReject(taskId, "calc.py", List.of(mul.hunkId), ws.toString());
        assertEquals(List.of(mul.hunkId), rejected.decided);
        assertTrue(Json.GSON.toJson(rejected), rejected.conflicts.isEmpty());
        assertEquals("on disk: add fixed (accepted), multiply as it was (rejected)",
                original.replace("return a - b", "return a + b"), read(ws.resolve("calc.py")));
        ReviewGetResult after = server.api().reviewGet(taskId, ws.toString());
        assertEquals(0, ReviewModel.pendingCount(after));
        List<String> states = new ArrayList<>();
        for (ReviewModel.HunkChoice c : ReviewModel.hunkChoices(after, false)) states.add(c.hunkId + "=" + c.state);
        assertTrue(states.toString(), states.contains(add.hunkId + "=accepted"));
        assertTrue(states.toString(), states.contains(mul.hunkId + "=rejected"));
    }

    @Test
    public void aConfirmationAnsweredNoRefusesTheWrite() throws Exception {
        answer = "No";
        int asked = confirmations.size();
        try {
            String taskId = runScripted("write-notes", WRITE_NOTES, "write notes");
            assertEquals(1, confirmations.size() - asked);
            assertTrue(confirmations.get(asked), confirmations.get(asked).contains("write_file"));
            Recorder.Ev step = first(rec.of(taskId), Protocol.Notifications.STEP);
            Events.StepEvent s = Json.read(step.params, Events.StepEvent.class);
            assertEquals("write_file", s.tool);
            assertFalse(s.observation, s.ok);
            assertTrue(s.observation, s.observation.contains("refused"));
            assertFalse("the refused write left no file", Files.exists(ws.resolve("notes.md")));
        } finally {
            answer = "Yes";
        }
    }

    @Test
    public void rejectInAnOpenBufferArrivesAsAVersionedApplyEdit() throws Exception {
        restoreCalc();
        String taskId = runScripted("fix-add", FIX_ADD, "fix calc.add");
        Path calc = ws.resolve("calc.py");
        String fixed = read(calc);
        assertTrue(fixed.contains("return a + b"));
        server.didOpen(calc, fixed);
        try {
            ReviewGetResult review = server.api().reviewGet(taskId, ws.toString());
            List<ReviewModel.HunkChoice> pending = ReviewModel.hunkChoices(review, true);
            assertEquals(1, pending.size());
            assertEquals(Integer.valueOf(5), pending.get(0).hunk.currentLine);
            ReviewDecision r = server.api().reviewReject(taskId, null, List.of(pending.get(0).hunkId), ws.toString());
            assertEquals(List.of(pending.get(0).hunkId), r.decided);
            assertTrue(Json.GSON.toJson(r), r.conflicts.isEmpty());
            String buffer = server.documents().get(server.uriOf(calc)).text;
            assertEquals("the buffer holds the revert", original, buffer);
            assertEquals("the edit bumped the buffer's version", 2, server.documents().get(server.uriOf(calc)).version);
            assertEquals("the disk is untouched until the buffer is saved", fixed, read(calc));
            server.save(calc);
            assertEquals(original, read(calc));
            assertEquals(0, ReviewModel.pendingCount(server.api().reviewGet(taskId, ws.toString())));
        } finally {
            server.didClose(calc);
        }
    }

    @Test
    public void lostNotificationsAreFetchedFromTaskEventsBeforeTheNextOne() throws Exception {
        restoreCalc();
        // drop the 2nd and 3rd notification of the next task, as a flaky transport would
        server.setInboundFilter(m -> {
            if (!m.has("method") || !m.get("method").getAsString().startsWith(Protocol.NOTIFY_PREFIX)) return true;
            int seq = Json.integer(m.getAsJsonObject("params"), "seq", 0);
            return seq != 2 && seq != 3;
        });
        int fetches = server.tracker().sequencer().fetches();
        String taskId;
        try {
            taskId = runScripted("fix-add-lossy", FIX_ADD, "fix calc.add again");
        } finally {
            server.setInboundFilter(m -> true);
        }
        List<Recorder.Ev> evs = rec.of(taskId);
        assertEquals(evs.toString(), range(1, evs.size()), seqs(evs));
        for (Recorder.Ev e : evs) assertEquals(e.toString(), e.seq() == 2 || e.seq() == 3, e.replayed);
        assertEquals(fetches + 1, server.tracker().sequencer().fetches());
        assertTrue(server.tracker().sequencer().unfilledGaps().isEmpty());
        assertEquals("[fix:done]", server.tracker().plan().items().toString());
    }
}
