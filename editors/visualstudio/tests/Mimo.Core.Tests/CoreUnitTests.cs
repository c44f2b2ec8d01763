// Unit tests of the core's pieces that need no server: JSON, the binder, Content-Length framing, diffs.
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using Mimo.Core;
using NUnit.Framework;

namespace Mimo.Core.Tests
{
    [TestFixture]
    public class JsonTests
    {
        [Test]
        public void ParsesAndWritesEscapesNumbersAndNesting()
        {
            var v = JsonValue.Parse("{\"a\": [1, -2.5e3, true, null, \"x\\n\\u00e9\\\"\"], \"b\": {}}");
            Assert.AreEqual(1, v["a"][0].AsLong());
            Assert.AreEqual(-2500.0, v["a"][1].AsDouble());
            Assert.IsTrue(v["a"][2].AsBool());
            Assert.IsTrue(v["a"][3].IsNull);
            Assert.AreEqual("x\n\u00e9\"", v["a"][4].AsString());
            Assert.AreEqual("{\"a\":[1,-2.5e3,true,null,\"x\\n\u00e9\\\"\"],\"b\":{}}", v.ToString());
            Assert.IsTrue(JsonValue.Parse(v.ToString()).DeepEquals(v));
        }

        [TestCase("{\"a\":1,}")]
        [TestCase("[1 2]")]
        [TestCase("\"unterminated")]
        [TestCase("{\"a\":1} trailing")]
        [TestCase("")]
        public void RejectsInvalidJson(string text)
        {
            Assert.Throws<JsonException>(() => JsonValue.Parse(text));
        }

        [Test]
        public void RefusesNestingDeeperThanTheLimit()
        {
            var deep = new string('[', 40) + new string(']', 40);
            Assert.AreEqual(JsonKind.Array, JsonValue.Parse(deep, 64).Kind);
            Assert.Throws<JsonException>(() => JsonValue.Parse(deep, 16));
        }
    }

    [TestFixture]
    public class BinderTests
    {
        [Test]
        public void ReadsNestedPayloadsAndKeepsFreeFormArgs()
        {
            var json = JsonValue.Parse("{\"files\":[{\"path\":\"calc.py\",\"status\":\"modified\",\"modifiedSince\":false,\"hunks\":[" +
                                       "{\"id\":\"h1\",\"header\":\"@@ -6,1 +6,1 @@\",\"oldStart\":6,\"oldLines\":1,\"newStart\":6,\"newLines\":1," +
                                       "\"old\":[\"a\\n\"],\"new\":[\"b\\n\"],\"state\":\"pending\",\"currentLine\":null,\"futureField\":1}]}]}");
            var r = JsonBinder.Read<ReviewGetResult>(json);
            var h = r.Files[0].Hunks[0];
            Assert.AreEqual("h1", h.Id);
            Assert.IsNull(h.CurrentLine);
            Assert.AreEqual(new[] { "b\n" }, h.New.ToArray());
            var step = JsonBinder.Read<StepEvent>(JsonValue.Parse("{\"taskId\":\"t\",\"seq\":3,\"kind\":\"step\",\"tool\":\"edit_file\",\"args\":{\"path\":\"x\",\"n\":[1]},\"ok\":true}"));
            Assert.AreEqual(3, step.Seq);
            Assert.AreEqual("{\"path\":\"x\",\"n\":[1]}", step.Args.ToString());
        }

        [Test]
        public void AWrongTypeNamesTheJsonPath()
        {
            var e = Assert.Throws<ProtocolException>(() =>
                JsonBinder.Read<ReviewGetResult>(JsonValue.Parse("{\"files\":[{\"path\":\"a\",\"hunks\":[{\"oldStart\":\"six\"}]}]}")));
            StringAssert.Contains("$.files[0].hunks[0].oldStart", e.Message);
        }

        [Test]
        public void WritesCamelCaseAndLeavesNullsOut()
        {
            var p = new ReviewDecideParams { TaskId = "t1", HunkIds = new List<string> { "a", "b" } };
            Assert.AreEqual("{\"taskId\":\"t1\",\"hunkIds\":[\"a\",\"b\"]}", JsonBinder.Write(p).ToString());
            var d = new CheckpointDiffParams { TaskId = "t1", FromCheckpoint = 0 };
            Assert.AreEqual("{\"taskId\":\"t1\",\"fromCheckpoint\":0}", JsonBinder.Write(d).ToString());
        }

        [Test]
        public void InitializationOptionsFollowTheSettings()
        {
            var s = new MimoSettings { Model = "scripted:/x.json", GpuLayers = 0, PolicyMode = "readOnly" };
            var o = ServerLaunch.InitializationOptions(s);
            Assert.AreEqual("scripted:/x.json", o["model"].GetString("spec"));
            Assert.AreEqual(0, o["model"].GetLong("n_gpu_layers"));
            Assert.AreEqual(new[] { "write_file", "edit_file", "run_command" }, o["safety"]["rules"].Items.Select(r => r.GetString("tool")).ToArray());
            Assert.IsTrue(o["safety"]["rules"].Items.All(r => r.GetString("action") == "deny"));
            Assert.AreEqual("{}", ServerLaunch.InitializationOptions(new MimoSettings()).ToString());
        }

        [Test]
        public void LaunchCommandUsesTheInterpreterOrTheOverride()
        {
            var c = ServerLaunch.Command(new MimoSettings { PythonPath = "/opt/py/bin/python" });
            Assert.AreEqual("/opt/py/bin/python", c.Program);
            CollectionAssert.AreEqual(new[] { "-m", "mimo_lsp.server" }, c.Arguments);
            var o = ServerLaunch.Command(new MimoSettings { PythonPath = "ignored", ServerCommand = new List<string> { "mimo-lsp", "--log-level", "DEBUG" } });
            Assert.AreEqual("mimo-lsp", o.Program);
            CollectionAssert.AreEqual(new[] { "--log-level", "DEBUG" }, o.Arguments);
            Assert.AreEqual("\"C:\\Program Files\\py\\python.exe\"", ServerLaunch.QuoteArgument("C:\\Program Files\\py\\python.exe"));
            Assert.AreEqual("\"a \\\"b\\\" c\\\\\"", ServerLaunch.QuoteArgument("a \"b\" c\\"));
        }
    }

    [TestFixture]
    public class LaunchTests
    {
        [Test]
        public void SettingsCommandLinesSplitOnSpacesOutsideQuotes()
        {
            CollectionAssert.AreEqual(new[] { "C:\\Program Files\\py\\python.exe", "-m", "mimo_lsp.server", "" },
                ServerLaunch.SplitCommandLine("\"C:\\Program Files\\py\\python.exe\"  -m mimo_lsp.server \"\""));
            CollectionAssert.IsEmpty(ServerLaunch.SplitCommandLine("   "));
        }

        [Test]
        public void RestartsAreCappedWithinTheWindow()
        {
            var p = new RestartPolicy { MaxRestarts = 2, Window = TimeSpan.FromMinutes(3) };
            var t0 = new DateTime(2026, 1, 1, 12, 0, 0, DateTimeKind.Utc);
            Assert.IsTrue(p.TryRestart(t0));
            Assert.IsTrue(p.TryRestart(t0.AddMinutes(1)));
            Assert.IsFalse(p.TryRestart(t0.AddMinutes(2)), "a third crash within 3 minutes: give up");
            Assert.IsTrue(p.TryRestart(t0.AddMinutes(3.5)), "the first restart has left the window");
        }

        [Test]
        public void FileUrisRoundTrip()
        {
            Assert.AreEqual("file:///tmp/a%20b/c%23.py", FileUri.FromPath("/tmp/a b/c#.py"));
            Assert.AreEqual("/tmp/a b/c#.py", FileUri.ToPath("file:///tmp/a%20b/c%23.py"));
            Assert.AreEqual("C:\\x\\y.py", FileUri.ToPath("file:///C:/x/y.py"));
        }
    }

    [TestFixture]
    public class FramingTests
    {
        private static byte[] Frame(string json)
        {
            var body = Encoding.UTF8.GetBytes(json);
            var head = Encoding.ASCII.GetBytes("Content-Length: " + body.Length + "\r\nContent-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n");
            return head.Concat(body).ToArray();
        }

        [Test]
        public void ReadsFramesByByteLengthAndAnswersServerRequests()
        {
            // Content-Length counts UTF-8 bytes: a multi-byte character in the first message must not shift the second.
            var input = new MemoryStream(Frame("{\"jsonrpc\":\"2.0\",\"method\":\"mimo/task/token\",\"params\":{\"text\":\"\u00e9\u20ac\u00e9\"}}")
                .Concat(Frame("{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"window/showMessageRequest\",\"params\":{\"type\":2,\"message\":\"run curl?\",\"actions\":[{\"title\":\"Yes\"},{\"title\":\"No\"}]}}"))
                .ToArray());
            var output = new MemoryStream();
            var got = new List<string>();
            var c = new JsonRpcConnection(input, output);
            c.Notification += (m, p) => got.Add(m + " " + p.GetString("text"));
            var requests = new ClientRequests { Confirm = p => p.Actions.Last().Title };
            requests.Register(c);
            c.Start();
            Assert.IsTrue(c.Closed.Wait(5000), "the connection ends with its input");
            CollectionAssert.AreEqual(new[] { "mimo/task/token \u00e9\u20ac\u00e9" }, got);
            SpinWait.SpinUntil(() => requests.Confirmations.Count == 1 && output.Length > 0, 5000);
            Thread.Sleep(100);
            var written = Encoding.UTF8.GetString(output.ToArray());
            StringAssert.StartsWith("Content-Length: ", written);
            StringAssert.EndsWith("{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":{\"title\":\"No\"}}", written);
            Assert.AreEqual("run curl?", requests.Confirmations[0].Key.Message);
        }

        [Test]
        public void PendingRequestsFailWhenTheConnectionCloses()
        {
            var input = new BlockingStream();
            var c = new JsonRpcConnection(input, new MemoryStream());
            c.Start();
            var t = c.RequestAsync("initialize", JsonValue.NewObject(), CancellationToken.None);
            input.End();
            var e = Assert.Throws<AggregateException>(() => t.Wait(5000));
            Assert.IsInstanceOf<ConnectionClosedException>(e.InnerException);
        }

        /// <summary>A stream whose reads block until End() (a server that has not answered yet).</summary>
        private sealed class BlockingStream : Stream
        {
            private readonly ManualResetEventSlim ended = new ManualResetEventSlim();
            public void End() { ended.Set(); }
            public override int Read(byte[] buffer, int offset, int count) { ended.Wait(); return 0; }
            public override bool CanRead { get { return true; } }
            public override bool CanSeek { get { return false; } }
            public override bool CanWrite { get { return false; } }
            public override long Length { get { throw new NotSupportedException(); } }
            public override long Position { get { throw new NotSupportedException(); } set { throw new NotSupportedException(); } }
            public override void Flush() { }
            public override long Seek(long o, SeekOrigin s) { throw new NotSupportedException(); }
            public override void SetLength(long v) { throw new NotSupportedException(); }
            public override void Write(byte[] b, int o, int c) { throw new NotSupportedException(); }
        }
    }

    [TestFixture]
    public class DiffTests
    {
        [Test]
        public void ReverseApplyRestoresTheOldSide()
        {
            const string oldText = "a\nb\nc\nd\ne\n";
            const string newText = "a\nB1\nB2\nc\ne\nf";
            const string diff = "--- a/x.txt\n+++ b/x.txt\n@@ -2,1 +2,2 @@\n-b\n+B1\n+B2\n@@ -4,2 +5,2 @@\n-d\n-e\n+e\n+f\n\\ No newline at end of file\n";
            var patch = UnifiedDiff.Parse(diff).Single();
            Assert.AreEqual("x.txt", patch.Path);
            Assert.AreEqual(2, patch.Hunks.Count);
            Assert.AreEqual(oldText, UnifiedDiff.ReverseApply(newText, patch));
        }

        [Test]
        public void AddedAndDeletedFiles()
        {
            var files = UnifiedDiff.Parse("--- /dev/null\n+++ b/new.txt\n@@ -0,0 +1,2 @@\n+x\n+y\n--- a/gone.txt\n+++ /dev/null\n@@ -1,2 +0,0 @@\n-p\n-q\n");
            Assert.AreEqual(2, files.Count);
            Assert.IsNull(UnifiedDiff.ReverseApply("x\ny\n", files[0]));
            Assert.AreEqual("p\nq\n", UnifiedDiff.ReverseApply(null, files[1]));
        }

        [Test]
        public void AFileThatChangedSinceIsAnErrorNotAGuess()
        {
            var patch = UnifiedDiff.Parse("--- a/x\n+++ b/x\n@@ -1,1 +1,1 @@\n-old\n+new\n").Single();
            Assert.Throws<InvalidOperationException>(() => UnifiedDiff.ReverseApply("someone else's\n", patch));
        }
    }
}
