// The server is killed mid-task (SIGKILL, during a slow run_command): the supervisor starts a new one,
// the session catches up from the event log with no gap, sees the task interrupted, resumes it with
// mimo.task.resume and follows it to the end. Real server, scripted model.
using System;
using System.IO;
using System.Linq;
using System.Threading;
using Mimo.Core;
using NUnit.Framework;

namespace Mimo.Core.Tests
{
    [TestFixture]
    public class RestartTests
    {
        [Test]
        public void KilledMidTask_RestartCatchUpResumeToTheEnd()
        {
            var root = TestEnv.TempDir("mimo-vs-restart-");
            var ws = TestEnv.CalculatorWorkspace(root);
            var log = new System.Collections.Generic.List<string>();
            var session = new MimoSession { Workspace = ws, Log = s => { lock (log) log.Add(s); } };
            // `sleep` is not on the server's safe list: the policy asks; this user says Yes (also after the restart).
            var requests = new ClientRequests { Confirm = p => "Yes" };
            var supervisor = new ServerSupervisor(TestEnv.Settings(root), ws, session, requests) { Log = session.Log };
            int restarts = 0;
            supervisor.Started += (s, restarted) => { if (restarted) Interlocked.Increment(ref restarts); };
            Func<string> why = () => { lock (log) return "\nclient log:\n" + string.Join("\n", log) + "\nserver log:\n" + (supervisor.Current == null ? "(none)" : supervisor.Current.Stderr); };
            try
            {
                TestEnv.Run(() => supervisor.StartAsync());
                var firstPid = supervisor.Current.Pid;
                var model = TestEnv.Script(root, "slow", JsonValue.ArrayOf(new[]
                {
                    TestEnv.PlanReply("slow", "Write, then a slow command", "slept.txt exists"),
                    TestEnv.Action("mark", "write_file", "path", "marker.txt", "content", "before the kill\n"),
                    TestEnv.Action("slow", "run_command", "command", "sleep 5 && echo slept > slept.txt"),
                    TestEnv.Action("done", "finish", "summary", "slept"),
                }));
                var started = TestEnv.Run(() => session.StartTaskAsync(new TaskStartParams { Goal = "write, then sleep", Model = model }));
                var taskId = started.TaskId;
                // The write is checkpointed; the command runs next (its step event only comes when it ends).
                TestEnv.Wait(session, s => s.Events(taskId).OfType<CheckpointEvent>().Any(c => c.Files.Contains("marker.txt")),
                    TimeSpan.FromSeconds(60), "the marker.txt checkpoint", why);
                TestEnv.Wait(session, s => requests.Confirmations.Count == 1, TimeSpan.FromSeconds(30), "the confirmation of the sleep command", why);
                Thread.Sleep(1000); // inside `sleep 5` now
                var beforeKill = session.LastSeq(taskId);
                Assert.IsFalse(File.Exists(Path.Combine(ws, "slept.txt")), "the command has not finished before the kill");

                supervisor.Current.Process.Kill();

                // a new server, caught up; the task is interrupted there (its process died): resumable
                TestEnv.Wait(session, s => s.State.Interrupted, TimeSpan.FromSeconds(60), "the task marked interrupted", why);
                TestEnv.Wait(session, s => Thread.VolatileRead(ref restarts) == 1, TimeSpan.FromSeconds(10), "the Started event of the restart", why);
                Assert.AreNotEqual(firstPid, supervisor.Current.Pid);
                var status = TestEnv.Run(() => session.TaskStatusAsync(taskId)).Tasks.Single(t => t.TaskId == taskId);
                Assert.AreEqual("interrupted", status.Status);
                // Every event the dead server logged is in the session, none missing: a fresh session reading the
                // whole log from the new server (afterSeq 0) gets the same events. (The journaled TaskInfo's
                // lastSeq is 0 here, so it cannot tell.)
                var fresh = new MimoSession { Workspace = ws };
                fresh.Attach(supervisor.Current.Connection);
                TestEnv.Run(() => fresh.CatchUpTaskAsync(taskId));
                CollectionAssert.AreEqual(fresh.Events(taskId).Select(e => e.Seq + e.Kind), session.Events(taskId).Select(e => e.Seq + e.Kind),
                    "the session has every event the dead server logged (no gap)");
                Assert.GreaterOrEqual(session.LastSeq(taskId), beforeKill);
                var interrupted = session.Events(taskId);
                CollectionAssert.AreEqual(Enumerable.Range(1, interrupted.Count).Select(i => (long)i).ToList(), interrupted.Select(e => e.Seq).ToList());
                session.Read(s =>
                {
                    Assert.AreEqual("MiMo: interrupted", s.State.StatusText());
                    Assert.AreEqual("interrupted", s.Plan.Items().Single().Status);
                    return 0;
                });

                // resume to the end
                var resumed = TestEnv.Run(() => session.ResumeTaskAsync(taskId));
                Assert.AreEqual(taskId, resumed.TaskId);
                TestEnv.Wait(session, s => s.DoneOf(taskId) != null, TimeSpan.FromSeconds(90), "the resumed task's done", why);
                var done = session.DoneOf(taskId);
                Assert.AreEqual("unverified", done.Outcome, done.Reason + why());
                var events = session.Events(taskId);
                CollectionAssert.AreEqual(Enumerable.Range(1, events.Count).Select(i => (long)i).ToList(), events.Select(e => e.Seq).ToList(),
                    "the resumed run numbers its events from 1 again, without gaps");
                var steps = events.OfType<StepEvent>().ToList();
                Assert.IsTrue(steps.Any(s => s.Tool == "write_file" && s.Replayed), "the write before the kill is replayed, not redone: " + string.Join(", ", steps.Select(s => s.Tool + (s.Replayed ? "(replayed)" : ""))));
                Assert.IsTrue(steps.Any(s => s.Tool == "run_command" && s.Ok && !s.Replayed), "the interrupted command runs again live");
                Assert.AreEqual("before the kill\n", File.ReadAllText(Path.Combine(ws, "marker.txt")));
                Assert.AreEqual("slept\n", File.ReadAllText(Path.Combine(ws, "slept.txt")));
                session.Read(s =>
                {
                    Assert.IsFalse(s.State.Interrupted);
                    Assert.AreEqual("MiMo: unverified", s.State.StatusText());
                    Assert.AreEqual("done", s.Plan.Items().Single().Status);
                    return 0;
                });
                var final = TestEnv.Run(() => session.TaskStatusAsync(taskId)).Tasks.Single(t => t.TaskId == taskId);
                Assert.AreEqual("finished", final.Status);
            }
            finally
            {
                TestEnv.Run(() => supervisor.StopAsync());
                try { Directory.Delete(root, true); } catch (Exception) { }
            }
        }
    }
}
