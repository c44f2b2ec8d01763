// How the server is launched and initialized from the user's settings (the options page of the VSIX).
// Mirrors editors/vscode/src/settings.ts. No Visual Studio types.
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Text;

namespace Mimo.Core
{
    public sealed class MimoSettings
    {
        /// <summary>The Python that has mimo_lsp installed (e.g. the repository's .venv). Default "python" on Windows, else "python3".</summary>
        public string PythonPath;
        /// <summary>A full launch command instead of "&lt;python&gt; -m mimo_lsp.server" (first item = the program).</summary>
        public List<string> ServerCommand = new List<string>();
        /// <summary>GGUF path, manifest name or scripted:FILE.json; empty = the server's default model.</summary>
        public string Model;
        public int? GpuLayers;
        /// <summary>default | askEdits | readOnly</summary>
        public string PolicyMode = "default";
        /// <summary>Extra environment variables for the server process (e.g. PYTHONPATH).</summary>
        public Dictionary<string, string> Environment = new Dictionary<string, string>();
    }

    public sealed class LaunchCommand
    {
        public string Program;
        public List<string> Arguments = new List<string>();

        public override string ToString()
        {
            return string.Join(" ", new[] { Program }.Concat(Arguments).Select(ServerLaunch.QuoteArgument));
        }
    }

    public static class ServerLaunch
    {
        public static string DefaultPython
        {
            get { return System.Environment.OSVersion.Platform == PlatformID.Win32NT ? "python" : "python3"; }
        }

        public static LaunchCommand Command(MimoSettings s)
        {
            var over = (s.ServerCommand ?? new List<string>()).Where(x => !string.IsNullOrEmpty(x)).ToList();
            if (over.Count > 0) return new LaunchCommand { Program = over[0], Arguments = over.Skip(1).ToList() };
            return new LaunchCommand
            {
                Program = string.IsNullOrWhiteSpace(s.PythonPath) ? DefaultPython : s.PythonPath.Trim(),
                Arguments = new List<string> { "-m", "mimo_lsp.server" },
            };
        }

        /// <summary>A process start for the server over stdio, in the given folder.</summary>
        public static ProcessStartInfo StartInfo(MimoSettings s, string workingDirectory)
        {
            var cmd = Command(s);
            var psi = new ProcessStartInfo
            {
                FileName = cmd.Program,
                Arguments = string.Join(" ", cmd.Arguments.Select(QuoteArgument)),
                UseShellExecute = false,
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                CreateNoWindow = true,
            };
            if (!string.IsNullOrEmpty(workingDirectory)) psi.WorkingDirectory = workingDirectory;
            // The server reads and writes UTF-8 JSON; Python's stdio must not use a legacy code page.
            psi.EnvironmentVariables["PYTHONUNBUFFERED"] = "1";
            psi.EnvironmentVariables["PYTHONIOENCODING"] = "utf-8";
            foreach (var kv in s.Environment ?? new Dictionary<string, string>()) psi.EnvironmentVariables[kv.Key] = kv.Value;
            return psi;
        }

        /// <summary>A command line typed in a settings box: split on spaces outside double quotes.</summary>
        public static List<string> SplitCommandLine(string command)
        {
            var parts = new List<string>();
            if (string.IsNullOrWhiteSpace(command)) return parts;
            var cur = new StringBuilder();
            bool quoted = false, any = false;
            foreach (char c in command)
            {
                if (c == '"') { quoted = !quoted; any = true; continue; }
                if ((c == ' ' || c == '\t') && !quoted)
                {
                    if (any) parts.Add(cur.ToString());
                    cur.Clear();
                    any = false;
                    continue;
                }
                cur.Append(c);
                any = true;
            }
            if (any) parts.Add(cur.ToString());
            return parts;
        }

        /// <summary>Quoting for ProcessStartInfo.Arguments (the CommandLineToArgvW rules).</summary>
        public static string QuoteArgument(string a)
        {
            if (a.Length > 0 && a.IndexOfAny(new[] { ' ', '\t', '"' }) < 0) return a;
            var sb = new StringBuilder("\"");
            int backslashes = 0;
            foreach (char c in a)
            {
                if (c == '\\') { backslashes++; continue; }
                if (c == '"') sb.Append('\\', backslashes * 2 + 1).Append('"');
                else sb.Append('\\', backslashes).Append(c);
                backslashes = 0;
            }
            sb.Append('\\', backslashes * 2).Append('"');
            return sb.ToString();
        }

        private static readonly string[] EditTools = { "write_file", "edit_file" };

        /// <summary>initializationOptions: the top settings layer of the server (docs/protocol.md).</summary>
        public static JsonValue InitializationOptions(MimoSettings s)
        {
            var opts = JsonValue.NewObject();
            var model = JsonValue.NewObject();
            if (!string.IsNullOrEmpty(s.Model)) model.Set("spec", s.Model);
            if (s.GpuLayers.HasValue) model.Set("n_gpu_layers", s.GpuLayers.Value);
            if (model.Count > 0) opts.Set("model", model);
            var rules = JsonValue.NewArray();
            if (s.PolicyMode == "askEdits")
                foreach (var tool in EditTools) rules.Add(Rule(tool, "ask", "policy mode askEdits"));
            else if (s.PolicyMode == "readOnly")
                foreach (var tool in EditTools.Concat(new[] { "run_command" })) rules.Add(Rule(tool, "deny", "policy mode readOnly"));
            if (rules.Count > 0) opts.Set("safety", JsonValue.NewObject().Set("rules", rules));
            return opts;
        }

        private static JsonValue Rule(string tool, string action, string reason)
        {
            return JsonValue.NewObject().Set("tool", tool).Set("action", action).Set("reason", reason);
        }

        /// <summary>The client capabilities the core's own connection declares.</summary>
        public static JsonValue ClientCapabilities()
        {
            return JsonValue.NewObject()
                .Set("window", JsonValue.NewObject().Set("workDoneProgress", true)
                    .Set("showMessage", JsonValue.NewObject().Set("messageActionItem", JsonValue.NewObject().Set("additionalPropertiesSupport", false))))
                .Set("workspace", JsonValue.NewObject().Set("applyEdit", true).Set("workspaceEdit", JsonValue.NewObject().Set("documentChanges", true)).Set("workspaceFolders", true))
                .Set("textDocument", JsonValue.NewObject().Set("synchronization", JsonValue.NewObject().Set("didSave", true)));
        }

        public static JsonValue InitializeParams(MimoSettings s, string workspaceFolder, int processId)
        {
            var p = JsonValue.NewObject().Set("processId", processId).Set("clientInfo", JsonValue.NewObject().Set("name", "mimo-visualstudio-core"));
            if (!string.IsNullOrEmpty(workspaceFolder))
            {
                string uri = FileUri.FromPath(workspaceFolder);
                p.Set("rootUri", uri);
                p.Set("workspaceFolders", JsonValue.NewArray().Add(JsonValue.NewObject().Set("uri", uri).Set("name", System.IO.Path.GetFileName(workspaceFolder.TrimEnd('/', '\\')))));
            }
            else p.Set("rootUri", JsonValue.Null);
            p.Set("capabilities", ClientCapabilities());
            p.Set("initializationOptions", InitializationOptions(s));
            return p;
        }

        /// <summary>How-to-fix text for a server that did not start.</summary>
        public static string StartFailureMessage(LaunchCommand cmd, string why)
        {
            return "MiMo: could not start the server \"" + cmd + "\": " + why + ". How to fix: set Tools > Options > MiMo > " +
                   "Python interpreter to a Python that has mimo_lsp installed (e.g. C:\\path\\to\\mimo-lsp\\.venv\\Scripts\\python.exe; " +
                   "check with \"<python> -m mimo_lsp.server --help\"), or set Server command to the full launch command.";
        }
    }

    /// <summary>file:// URIs as LSP servers expect them.</summary>
    public static class FileUri
    {
        public static string FromPath(string path)
        {
            string full = System.IO.Path.GetFullPath(path).Replace('\\', '/');
            if (!full.StartsWith("/", StringComparison.Ordinal)) full = "/" + full; // C:/x -> /C:/x
            var sb = new StringBuilder("file://");
            foreach (byte b in Encoding.UTF8.GetBytes(full))
            {
                char c = (char)b;
                bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || "-._~/".IndexOf(c) >= 0 || (c == ':' && sb.Length > 7);
                if (plain) sb.Append(c);
                else sb.Append('%').Append(b.ToString("X2"));
            }
            return sb.ToString();
        }

        public static string ToPath(string uri)
        {
            if (!uri.StartsWith("file://", StringComparison.OrdinalIgnoreCase)) throw new ArgumentException("not a file URI: " + uri);
            string p = Uri.UnescapeDataString(uri.Substring(7));
            if (p.Length >= 3 && p[0] == '/' && p[2] == ':') p = p.Substring(1).Replace('/', '\\'); // /C:/x -> C:\x
            return p;
        }
    }
}
