// End to end against the REAL mimo-lsp server process (scripted model, no mocks): initialize, a task's
// notifications in order without gaps, the models built from them, review accept / reject with the
// files on disk checked, the diff view's texts, confirmations, applyEdit to an open buffer, gap filling.
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using Mimo.Core;
using NUnit.Framework;

namespace Mimo.Core.Tests
{
    [TestFixture]
    public class ServerTests
    {
        private string root;
        private string ws;
        private MimoSession session;
        private ServerSupervisor supervisor;
        private readonly List<string> log = new List<string>();
        private static readonly TimeSpan TaskTimeout = TimeSpan.FromSeconds(90);

        [TestFixtureSetUp]
        public void StartServer()
        {
            root = TestEnv.TempDir("mimo-vs-test-");
            ws = TestEnv.CalculatorWorkspace(root);
            session = new MimoSession { Workspace = ws, Log = s => { lock (log) log.Add(s); } };
            supervisor = new ServerSupervisor(TestEnv.Settings(root), ws, session, new ClientRequests()) { Log = session.Log };
            TestEnv.Run(() => supervisor.StartAsync());
        }

        [TestFixtureTearDown]
        public void StopServer()
        {
            if (supervisor != null) TestEnv.Run(() => supervisor.StopAsync());
            try { Directory.Delete(root, true); } catch (Exception) { }
        }

        [SetUp]
        public void FreshFiles()
        {
            File.WriteAllText(Path.Combine(ws, "calc.py"), TestEnv.OriginalCalc);
            supervisor.Requests.Confirm = p => null;
        }

        private string Why()
        {
            var s = supervisor.Current;
            lock (log) return "\nclient log:\n" + string.Join("\n", log.Skip(Math.Max(0, log.Count - 30))) + "\nserver log:\n" + (s == null ? "(no server)" : s.Stderr);
        }

        private async Task<DoneEvent> RunTask(string goal, JsonValue replies, string check = null)
        {
            var model = TestEnv.Script(root, "replies-" + Guid.NewGuid().ToString("N").Substring(0, 6), replies);
            var r = await session.StartTaskAsync(new TaskStartParams { Goal = goal, Model = model, Check = check });
            Assert.IsNotNullOrEmpty(r.TaskId);
            try
            {
                await session.WaitUntilAsync(x => x.DoneOf(r.TaskId) != null, TaskTimeout, "mimo/task/done of " + r.TaskId);
            }
            catch (TimeoutException e)
            {
                throw new TimeoutException(e.Message + Why());
            }
            return session.DoneOf(r.TaskId);
        }

        private static void AssertGapFree(List<TaskEvent> events)
        {
            CollectionAssert.AreEqual(Enumerable.Range(1, events.Count).Select(i => (long)i).ToList(), events.Select(e => e.Seq).ToList(),
                "seq is 1..n without gaps");
        }

        [Test]
        public void InitializeAdvertisesEveryCommandTheCoreSends()
        {
            var caps = supervisor.Current.InitializeResult["capabilities"];
            var advertised = caps["executeCommandProvider"]["commands"].Items.Select(c => c.AsString()).ToList();
            foreach (var spec in MimoCommands.All) CollectionAssert.Contains(advertised, spec.Name);
        }

        [Test]
        public void InvalidParamsAreAJsonRpcErrorNamingTheField()
        {
            var e = Assert.Throws<JsonRpcException>(() => TestEnv.Run(() => session.ExecuteAsync<TaskStartResult>(MimoCommands.TaskStart, JsonValue.NewObject())));
            Assert.AreEqual(JsonRpcErrorCodes.InvalidParams, e.Code);
            StringAssert.Contains("goal", e.Message);
            var u = Assert.Throws<JsonRpcException>(() => TestEnv.Run(() => session.CancelTaskAsync("no-such-task")));
            StringAssert.Contains("unknown task id", u.Message);
        }

        [Test]
        public void TwoHunkTask_NotificationsModelsReviewAndDiskAgree()
        {
            var done = TestEnv.Run(() => RunTask("split the docstring, fix add", TestEnv.TwoHunks(), TestEnv.PythonCheck));
            var taskId = done.TaskId;
            var events = session.Events(taskId);
            AssertGapFree(events);
            CollectionAssert.AreEqual(new[] { "plan", "node", "step", "checkpoint", "step", "checkpoint", "step", "checkpoint", "node", "done" },
                TestEnv.Methods(events), Why());
            Assert.AreEqual("verified", done.Outcome, done.Reason + Why());
            Assert.IsTrue(done.Check.Passed);
            Assert.AreEqual(0, done.Check.ExitCode);

            // the models, as the tool window shows them
            session.Read(s =>
            {
                Assert.AreEqual(taskId, s.CurrentTask);
                var plan = s.Plan.Items();
                Assert.AreEqual(1, plan.Count);
                Assert.AreEqual("edit", plan[0].Id);
                Assert.AreEqual("done", plan[0].Status);
                var cps = s.Checkpoints.Items();
                Assert.AreEqual(3, cps.Count);
                CollectionAssert.AreEqual(new[] { "calc.py" }, cps[0].Files);
                StringAssert.Contains("+Used by the README's main job.\"\"\"", cps[0].Diff);
                StringAssert.Contains("+    return a + b", cps[1].Diff);
                Assert.AreEqual("MiMo: verified", s.State.StatusText());
                Assert.AreEqual(3, s.State.Steps);
                Assert.AreEqual("split the docstring, fix add", s.State.Goal);
                return 0;
            });

            // the checkpoint diff view's texts: the docstring step, before and after
            var firstCp = session.Read(s => s.Checkpoints.Items()[0].CheckpointId);
            var current = File.ReadAllText(Path.Combine(ws, "calc.py"));
            var texts = TestEnv.Run(() => session.CheckpointFileTextsAsync(taskId, firstCp, "calc.py", current));
            Assert.AreEqual(TestEnv.OriginalCalc, texts.Key, "left side = task start");
            Assert.AreEqual(TestEnv.OriginalCalc.Replace(TestEnv.DocOld, TestEnv.DocNew), texts.Value, "right side = after the docstring edit");

            Assert.AreEqual(TestEnv.OriginalCalc, TestEnv.Run(() => session.TaskStartTextAsync(taskId, "calc.py", current)), "a pending hunk's diff view: task start");

            // review: two separate hunks in calc.py
            var review = TestEnv.Run(() => session.ReviewGetAsync(taskId));
            var choices = ReviewModel.Choices(review);
            Assert.AreEqual(2, choices.Count, review.ToString());
            Assert.IsTrue(choices.All(c => c.Path == "calc.py" && c.State == "pending"));
            var doc = choices.Single(c => c.Detail.Contains("A tiny calculator."));
            var add = choices.Single(c => c.Detail.Contains("return a + b"));
            Assert.AreEqual(0, doc.Line);
            StringAssert.StartsWith("calc.py @@", add.Label);

            var accepted = TestEnv.Run(() => session.ReviewDecideAsync(taskId, true, "calc.py", new[] { add.HunkId }));
            CollectionAssert.AreEqual(new[] { add.HunkId }, accepted.Decided);
            var rejected = TestEnv.Run(() => session.ReviewDecideAsync(taskId, false, "calc.py", new[] { doc.HunkId }));
            CollectionAssert.AreEqual(new[] { doc.HunkId }, rejected.Decided);
            CollectionAssert.IsEmpty(rejected.Conflicts);

            // on disk: the fix kept, the docstring reverted
            Assert.AreEqual(TestEnv.OriginalCalc.Replace("return a - b", "return a + b"), File.ReadAllText(Path.Combine(ws, "calc.py")));
            var after = TestEnv.Run(() => session.ReviewGetAsync(taskId));
            Assert.AreEqual(0, ReviewModel.PendingCount(after));
            var states = ReviewModel.Choices(after, false).ToDictionary(c => c.HunkId, c => c.State);
            Assert.AreEqual("accepted", states[add.HunkId]);
            Assert.AreEqual("rejected", states[doc.HunkId]);
        }

        [Test]
        public void ASecondClientCatchesUpFromTheEventLogToTheSameModels()
        {
            var done = TestEnv.Run(() => RunTask("fix add", JsonValue.ArrayOf(new[]
            {
                TestEnv.PlanReply("fix", "Fix add in calc.py", "add returns a + b"),
                TestEnv.Action("look", "read_file", "path", "calc.py"),
                TestEnv.Action("fix", "edit_file", "path", "calc.py", "search", "return a - b", "replace", "return a + b"),
                TestEnv.Action("done", "finish", "summary", "fixed"),
            })));
            Assert.AreEqual("unverified", done.Outcome, done.Reason);
            // A second session on the same connection, that saw none of the notifications: it asks for the
            // events after seq 0 of the task and builds the same plan, timeline and status.
            var late = new MimoSession { Workspace = ws };
            late.Attach(supervisor.Current.Connection);
            TestEnv.Run(() => late.CatchUpTaskAsync(done.TaskId));
            var live = session.Events(done.TaskId);
            var replayed = late.Events(done.TaskId);
            CollectionAssert.AreEqual(live.Select(e => e.Seq + e.Kind), replayed.Select(e => e.Seq + e.Kind));
            Assert.AreEqual(session.Read(s => string.Join("|", s.Checkpoints.Items().Select(c => c.Label))), late.Read(s => string.Join("|", s.Checkpoints.Items().Select(c => c.Label))));
            Assert.AreEqual(session.Read(s => string.Join("|", s.Plan.Items().Select(p => p.Id + p.Status))), late.Read(s => string.Join("|", s.Plan.Items().Select(p => p.Id + p.Status))));
            Assert.AreEqual("MiMo: unverified", late.Read(s => s.State.StatusText()));
            Assert.AreEqual(0, TestEnv.Run(() => late.CatchUpTaskAsync(done.TaskId)), "nothing new after the last seq");
        }

        [Test]
        public void MissedNotificationsAreFetchedSoTheStreamHasNoGap()
        {
            // A session that misses seq 2..4 of the live stream (as after a dropped message): the event with
            // seq 5 waits while 2..4 come from mimo.task.events, then everything applies in order.
            var lossyLog = new List<string>();
            var lossy = new MimoSession { Workspace = ws, Log = m => { lock (lossyLog) lossyLog.Add(m); } };
            lossy.Attach(supervisor.Current.Connection);
            Action<string, JsonValue> filter = (m, p) =>
            {
                long seq = p.GetLong("seq") ?? 0;
                if (seq >= 2 && seq <= 4) return;
                lossy.HandleNotification(m, p);
            };
            supervisor.Current.Connection.Notification += filter;
            try
            {
                var done = TestEnv.Run(() => RunTask("split the docstring, fix add", TestEnv.TwoHunks()));
                TestEnv.Run(() => lossy.WaitUntilAsync(s => s.DoneOf(done.TaskId) != null, TaskTimeout, "the lossy session's done"));
                var events = lossy.Events(done.TaskId);
                AssertGapFree(events);
                Assert.AreEqual(session.Events(done.TaskId).Count, events.Count);
                lock (lossyLog) Assert.IsTrue(lossyLog.Any(m => m.StartsWith("gap in task " + done.TaskId + " before seq 5")), string.Join("\n", lossyLog));
            }
            finally
            {
                supervisor.Current.Connection.Notification -= filter;
            }
        }

        [Test]
        public void ConfirmationsAreAnsweredWithTheConfiguredAnswer()
        {
            supervisor.Requests.Confirm = p => p.Actions.Any(a => a.Title == "No") ? "No" : null;
            int before = supervisor.Requests.Confirmations.Count;
            var done = TestEnv.Run(() => RunTask("fetch the docs", JsonValue.ArrayOf(new[]
            {
                TestEnv.PlanReply("fetch", "Fetch the docs", "docs fetched"),
                TestEnv.Action("fetch", "run_command", "command", "curl -s https://example.invalid/calc"),
                TestEnv.Action("done", "finish", "summary", "gave up"),
            })));
            var asked = supervisor.Requests.Confirmations.Skip(before).ToList();
            Assert.AreEqual(1, asked.Count, Why());
            StringAssert.Contains("curl", asked[0].Key.Message);
            Assert.AreEqual("No", asked[0].Value);
            CollectionAssert.IsSubsetOf(new[] { "Yes", "No" }, asked[0].Key.Actions.Select(a => a.Title).ToList());
            var step = session.Events(done.TaskId).OfType<StepEvent>().First(s => s.Tool == "run_command");
            Assert.IsFalse(step.Ok);
            StringAssert.Contains("refused", step.Observation);
        }

        [Test]
        public void RejectInAnOpenBufferArrivesAsApplyEditAndLeavesTheDiskAlone()
        {
            var done = TestEnv.Run(() => RunTask("split the docstring, fix add", TestEnv.TwoHunks()));
            var path = Path.Combine(ws, "calc.py");
            var agentText = File.ReadAllText(path);
            var uri = FileUri.FromPath(path);
            var conn = supervisor.Current.Connection;
            supervisor.Requests.Documents.Open(uri, 1, agentText);
            conn.SendNotification(LspMethods.DidOpen, JsonValue.NewObject().Set("textDocument",
                JsonValue.NewObject().Set("uri", uri).Set("languageId", "python").Set("version", 1).Set("text", agentText)));
            try
            {
                var review = TestEnv.Run(() => session.ReviewGetAsync(done.TaskId));
                var add = ReviewModel.Choices(review).Single(c => c.Detail.Contains("return a + b"));
                int edits = supervisor.Requests.AppliedEdits.Count;
                var r = TestEnv.Run(() => session.ReviewDecideAsync(done.TaskId, false, null, new[] { add.HunkId }));
                CollectionAssert.AreEqual(new[] { add.HunkId }, r.Decided, Why());
                CollectionAssert.IsEmpty(r.Conflicts);
                Assert.AreEqual(edits + 1, supervisor.Requests.AppliedEdits.Count, "one workspace/applyEdit");
                Assert.IsNull(supervisor.Requests.AppliedEdits.Last().Value, "applied");
                Assert.AreEqual(agentText.Replace("return a + b", "return a - b"), supervisor.Requests.Documents.Get(uri).Text, "the buffer is reverted");
                Assert.AreEqual(agentText, File.ReadAllText(path), "the disk is untouched until the user saves");
            }
            finally
            {
                conn.SendNotification(LspMethods.DidClose, JsonValue.NewObject().Set("textDocument", JsonValue.NewObject().Set("uri", uri)));
                supervisor.Requests.Documents.Close(uri);
            }
        }
    }
}
