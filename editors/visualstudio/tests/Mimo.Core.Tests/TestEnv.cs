// Where the repository, the server's Python and the example workspace are; scripted model files; a
// real server started for a test. Nothing here stands in for the server: every E2E test talks to
// `$MIMO_PYTHON -m mimo_lsp.server` over stdio.
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using Mimo.Core;
using NUnit.Framework;

namespace Mimo.Core.Tests
{
    public static class TestEnv
    {
        /// <summary>MIMO_REPO, else four folders above this assembly (editors/visualstudio/build/tests -> repo).</summary>
        public static string Repo
        {
            get
            {
                var env = Environment.GetEnvironmentVariable("MIMO_REPO");
                if (!string.IsNullOrEmpty(env)) return Path.GetFullPath(env);
                var dir = Path.GetDirectoryName(typeof(TestEnv).Assembly.Location);
                return Path.GetFullPath(Path.Combine(dir, "..", "..", "..", ".."));
            }
        }

        public static string Python
        {
            get
            {
                var env = Environment.GetEnvironmentVariable("MIMO_PYTHON");
                return string.IsNullOrEmpty(env) ? Path.Combine(Repo, ".venv", "bin", "python") : env;
            }
        }

        public static void Run(Func<Task> body)
        {
            body().GetAwaiter().GetResult();
        }

        public static T Run<T>(Func<Task<T>> body)
        {
            return body().GetAwaiter().GetResult();
        }

        /// <summary>Waits on the session; on a timeout the message has why() as it is then (logs).</summary>
        public static void Wait(MimoSession session, Func<MimoSession, bool> predicate, TimeSpan timeout, string what, Func<string> why)
        {
            try
            {
                Run(() => session.WaitUntilAsync(predicate, timeout, what));
            }
            catch (TimeoutException e)
            {
                throw new TimeoutException(e.Message + why());
            }
        }

        public static string TempDir(string prefix)
        {
            var d = Path.Combine(Path.GetTempPath(), prefix + Guid.NewGuid().ToString("N").Substring(0, 8));
            Directory.CreateDirectory(d);
            return d;
        }

        public static void CopyDir(string from, string to)
        {
            Directory.CreateDirectory(to);
            foreach (var f in Directory.GetFiles(from)) File.Copy(f, Path.Combine(to, Path.GetFileName(f)));
            foreach (var d in Directory.GetDirectories(from))
            {
                var name = Path.GetFileName(d);
                if (name == ".mimo" || name == "__pycache__") continue;
                CopyDir(d, Path.Combine(to, name));
            }
        }

        /// <summary>A fresh copy of examples/calculator.</summary>
        public static string CalculatorWorkspace(string root)
        {
            var ws = Path.Combine(root, "calculator");
            CopyDir(Path.Combine(Repo, "examples", "calculator"), ws);
            return ws;
        }

        public static string OriginalCalc
        {
            get { return File.ReadAllText(Path.Combine(Repo, "examples", "calculator", "calc.py")); }
        }

        /// <summary>Settings that run the server from this repository with the configured Python, the user's
        /// own config kept out (MIMO_CONFIG_HOME: an empty folder).</summary>
        public static MimoSettings Settings(string root)
        {
            Assert.That(File.Exists(Python), "no python at " + Python + " (set MIMO_PYTHON)");
            var config = Path.Combine(root, "config");
            Directory.CreateDirectory(config);
            var s = new MimoSettings { PythonPath = Python, GpuLayers = 0 };
            var pp = Environment.GetEnvironmentVariable("PYTHONPATH");
            s.Environment["PYTHONPATH"] = string.IsNullOrEmpty(pp) ? Repo : Repo + Path.PathSeparator + pp;
            s.Environment["MIMO_CONFIG_HOME"] = config;
            return s;
        }

        /// <summary>Writes the scripted model's replies and returns the model spec for mimo.task.start.</summary>
        public static string Script(string root, string name, JsonValue replies)
        {
            var path = Path.Combine(root, name + ".json");
            File.WriteAllText(path, replies.ToString());
            return "scripted:" + path;
        }

        // ---- scripted replies (the agent's plan format: snake_case keys, as the model writes them) ----

        public static JsonValue PlanReply(string id, string title, string expected)
        {
            var node = JsonValue.NewObject().Set("id", id).Set("title", title).Set("depends_on", JsonValue.NewArray()).Set("expected_output", expected);
            return JsonValue.NewObject().Set("nodes", JsonValue.NewArray().Add(node));
        }

        public static JsonValue Action(string thought, string tool, params string[] kv)
        {
            var a = JsonValue.NewObject().Set("tool", tool);
            for (int i = 0; i < kv.Length; i += 2) a.Set(kv[i], kv[i + 1]);
            return JsonValue.NewObject().Set("thought", thought).Set("action", a);
        }

        public const string DocOld = "\"\"\"A tiny calculator used by the README's main job.\"\"\"";
        public const string DocNew = "\"\"\"A tiny calculator.\n\nUsed by the README's main job.\"\"\"";

        /// <summary>Two separate hunks in calc.py: the module docstring (one line made three) and add's operator.</summary>
        public static JsonValue TwoHunks()
        {
            return JsonValue.ArrayOf(new[]
            {
                PlanReply("edit", "Edit calc.py", "docstring split, add fixed"),
                Action("docstring", "edit_file", "path", "calc.py", "search", DocOld, "replace", DocNew),
                Action("fix add", "edit_file", "path", "calc.py", "search", "return a - b", "replace", "return a + b"),
                Action("done", "finish", "summary", "edited"),
            });
        }

        public static string PythonCheck
        {
            get { return Python + " -m pytest -q -p no:cacheprovider"; }
        }

        public static List<string> Methods(IEnumerable<TaskEvent> events, bool withTokens = false)
        {
            return events.Where(e => withTokens || e.Kind != "token").Select(e => e.Kind).ToList();
        }
    }
}
