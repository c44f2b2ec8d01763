package dev.mimo.core;

import dev.mimo.core.Payloads.TaskInfo;
import dev.mimo.core.Payloads.TaskStartResult;
import dev.mimo.core.ServerHarness.Recorder;
import dev.mimo.core.model.TaskState;
import dev.mimo.core.session.StdioServer;
import dev.mimo.core.session.TaskTracker;
import org.junit.After;
import org.junit.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static dev.mimo.core.ServerHarness.*;
import static org.junit.Assert.*;

/**
 * The server is killed (SIGKILL) in the middle of a task's slow command: the core notices, starts a new
 * server, catches up from mimo.task.events after the last seq it saw (no gap), marks the task interrupted,
 * and mimo.task.resume runs it to the end on the new server.
 */
public class RestartResumeTest {
    static final String SLOW = """
        [{"nodes": [{"id": "slow", "title": "Write, then run a slow command", "depends_on": [], "expected_output": "slept.txt"}]},
         {"thought": "first a file", "action": {"tool": "write_file", "path": "before.txt", "content": "written before the kill\\n"}},
         {"thought": "a slow command", "action": {"tool": "run_command", "command": "sleep 5 && echo slept > slept.txt"}},
         {"thought": "done", "action": {"tool": "finish", "summary": "slept"}}]
        """;

    Path dir;
    StdioServer server;

    @After
    public void tearDown() {
        if (server != null) server.stop();
        deleteTree(dir);
    }

    static boolean runsSleep(ProcessHandle h) {
        String cmd = h.info().commandLine().orElse(h.info().command().orElse(""));
        return cmd.contains("sleep");
    }

    @Test
    public void killedMidTaskRestartsCatchesUpWithoutAGapAndResumesToTheEnd() throws Exception {
        dir = tempDir("mimo-jb-restart-");
        Path ws = calculator(dir);
        server = new StdioServer(ws, settings(dir), 60_000);
        server.setConfirm(message -> "Yes"); // the default policy may ask before a command runs
        Recorder rec = new Recorder();
        server.tracker().addListener(rec);
        List<String> lifecycle = new CopyOnWriteArrayList<>();
        List<TaskTracker.CatchUp> catchUps = new CopyOnWriteArrayList<>();
        server.addListener(new StdioServer.Listener() {
            @Override
            public void serverStarted(boolean restarted, long pid) {
                lifecycle.add((restarted ? "restarted " : "started ") + pid);
            }

            @Override
            public void serverExited(Integer exitCode, String stderrTail, boolean expected) {
                lifecycle.add("exited " + exitCode + (expected ? "" : " unexpectedly"));
            }

            @Override
            public void catchUpDone(TaskTracker.CatchUp c) {
                catchUps.add(c);
            }

            @Override
            public void restartFailed(String message) {
                lifecycle.add("restart failed: " + message);
            }
        });
        server.start();
        ProcessHandle first = server.processHandle();
        String model = script(dir, "slow", SLOW);
        TaskStartResult started = server.startTask("write a file, then sleep", null, model);
        String taskId = started.taskId;

        // wait until the write is checkpointed and the slow command runs under the server
        await(() -> {
            for (Recorder.Ev e : rec.of(taskId))
                if (e.method.equals(Protocol.Notifications.CHECKPOINT) && e.params.toString().contains("before.txt")) return true;
            return false;
        }, "the checkpoint of before.txt", 60_000, () -> describe(server, rec));
        await(() -> first.descendants().anyMatch(RestartResumeTest::runsSleep), "the slow command to run", 60_000, () -> describe(server, rec));
        assertTrue(Files.exists(ws.resolve("before.txt")));
        // kill -9 of the server and of the command it runs (a crash that takes the process tree; an orphaned
        // sleep would write slept.txt behind the resumed task's back)
        List<ProcessHandle> tree = new ArrayList<>();
        first.descendants().forEach(tree::add);
        first.destroyForcibly();
        for (ProcessHandle h : tree) h.destroyForcibly();

        await(() -> !catchUps.isEmpty(), "a new server and the catch-up", 60_000, () -> describe(server, rec) + "\n" + lifecycle);
        ProcessHandle second = server.processHandle();
        assertNotEquals(first.pid(), second.pid());
        assertTrue(lifecycle.toString(), lifecycle.contains("restarted " + second.pid()));
        assertTrue(lifecycle.toString(), lifecycle.stream().anyMatch(l -> l.endsWith("unexpectedly")));
        TaskTracker.CatchUp c = catchUps.get(0);
        assertEquals(taskId, c.taskId);
        assertEquals("interrupted", c.status);
        // the live events of the dead server, then the catch-up's: every seq from 1 to the last, each once
        List<Recorder.Ev> evs = rec.of(taskId);
        int live = 0;
        while (live < evs.size() && !evs.get(live).replayed) live++;
        for (Recorder.Ev e : evs.subList(live, evs.size())) assertTrue(e + " came from the catch-up", e.replayed);
        assertEquals("the catch-up asks for the events after the last seq seen", evs.get(live - 1).seq(), c.afterSeq);
        assertEquals(evs.toString(), range(1, seqs(evs).size()), seqs(evs));
        assertEquals(c.events + 1, evs.size() - live); // + the client's own interrupted event
        assertEquals(Protocol.TASK_INTERRUPTED, evs.get(evs.size() - 1).method);
        TaskState st = server.tracker().state();
        assertTrue(st.statusText(), st.interrupted);
        assertEquals("MiMo: interrupted", st.statusText());
        assertEquals("[slow:interrupted]", server.tracker().plan().items().toString());
        List<String> statuses = new ArrayList<>();
        for (TaskInfo t : server.api().taskStatus(taskId, ws.toString()).tasks) statuses.add(t.status);
        assertEquals(List.of("interrupted"), statuses);
        assertFalse("the command never finished", Files.exists(ws.resolve("slept.txt")));

        // resume on the new server: its notifications number from 1 again
        int resumedFrom = rec.events.size();
        TaskStartResult resumed = server.resumeTask(taskId, null);
        assertEquals(taskId, resumed.taskId);
        await(() -> rec.done(taskId, resumedFrom) != null, "the resumed task's done", 90_000, () -> describe(server, rec));
        List<Recorder.Ev> run = rec.since(resumedFrom, taskId);
        assertEquals(run.toString(), range(1, run.size()), seqs(run));
        Events.DoneEvent done = Json.read(rec.done(taskId, resumedFrom).params, Events.DoneEvent.class);
        assertEquals(done.reason, "unverified", done.outcome);
        boolean replayedWrite = false;
        for (Recorder.Ev e : run)
            if (e.method.equals(Protocol.Notifications.STEP) && e.params.get("replayed").getAsBoolean()
                    && "write_file".equals(Json.str(e.params, "tool"))) replayedWrite = true;
        assertTrue("the write before the kill is replayed, not redone: " + run, replayedWrite);
        assertEquals("written before the kill\n", read(ws.resolve("before.txt")));
        assertEquals("slept\n", read(ws.resolve("slept.txt")));
        TaskState end = server.tracker().state();
        assertFalse(end.running);
        assertFalse(end.interrupted);
        assertEquals("MiMo: unverified", end.statusText());
        assertEquals("[slow:done]", server.tracker().plan().items().toString());
        statuses.clear();
        for (TaskInfo t : server.api().taskStatus(taskId, ws.toString()).tasks) statuses.add(t.status);
        assertEquals(List.of("finished"), statuses);
    }
}
