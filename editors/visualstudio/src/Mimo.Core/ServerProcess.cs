// One mimo-lsp server process over stdio: launch, initialize / initialized, shutdown / exit, kill; and a
// supervisor that restarts it when it dies and lets the session catch up. No Visual Studio types.
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace Mimo.Core
{
    public sealed class ServerProcess : IDisposable
    {
        public readonly Process Process;
        public readonly JsonRpcConnection Connection;
        public readonly ClientRequests Requests;
        public JsonValue InitializeResult { get; private set; }
        private readonly StringBuilder stderr = new StringBuilder();
        private readonly LaunchCommand command;

        /// <summary>The command line the server was started with.</summary>
        public LaunchCommand Command { get { return command; } }

        private ServerProcess(Process p, JsonRpcConnection c, ClientRequests r, LaunchCommand cmd)
        {
            Process = p;
            Connection = c;
            Requests = r;
            command = cmd;
        }

        /// <summary>The last 8 KiB of the server's stderr (its log).</summary>
        public string Stderr
        {
            get { lock (stderr) return stderr.ToString(); }
        }

        public int Pid { get { return Process.Id; } }

        /// <summary>Starts the server in workspaceFolder, then initialize + initialized.</summary>
        public static async Task<ServerProcess> StartAsync(MimoSettings settings, string workspaceFolder, ClientRequests requests, TimeSpan initializeTimeout,
            Action<string, JsonValue> onNotification = null)
        {
            var psi = ServerLaunch.StartInfo(settings, workspaceFolder);
            var cmd = ServerLaunch.Command(settings);
            Process p;
            try
            {
                p = Process.Start(psi);
                if (p == null) throw new InvalidOperationException("Process.Start returned no process");
            }
            catch (Exception e)
            {
                throw new InvalidOperationException(ServerLaunch.StartFailureMessage(cmd, e.Message), e);
            }
            var conn = new JsonRpcConnection(p.StandardOutput.BaseStream, p.StandardInput.BaseStream);
            var server = new ServerProcess(p, conn, requests ?? new ClientRequests(), cmd);
            p.ErrorDataReceived += (s, e) =>
            {
                if (e.Data == null) return;
                lock (server.stderr)
                {
                    server.stderr.Append(e.Data).Append('\n');
                    if (server.stderr.Length > 8192) server.stderr.Remove(0, server.stderr.Length - 8192);
                }
            };
            p.BeginErrorReadLine();
            server.Requests.Register(conn);
            if (onNotification != null) conn.Notification += onNotification; // before the first message can arrive
            conn.Start();
            try
            {
                var init = conn.RequestAsync(LspMethods.Initialize, ServerLaunch.InitializeParams(settings, workspaceFolder, Process.GetCurrentProcess().Id), CancellationToken.None);
                if (await Task.WhenAny(init, Task.Delay(initializeTimeout)).ConfigureAwait(false) != init)
                    throw new TimeoutException("no answer to initialize within " + initializeTimeout.TotalSeconds + " s");
                server.InitializeResult = await init.ConfigureAwait(false);
                conn.SendNotification(LspMethods.Initialized, JsonValue.NewObject());
            }
            catch (Exception e)
            {
                await Task.Delay(200).ConfigureAwait(false); // let stderr arrive
                string why = e.Message + (server.Stderr.Length > 0 ? "; server log: " + server.Stderr.Trim() : "");
                server.Kill();
                throw new InvalidOperationException(ServerLaunch.StartFailureMessage(cmd, why), e);
            }
            return server;
        }

        public bool HasExited
        {
            get
            {
                try { return Process.HasExited; }
                catch (InvalidOperationException) { return true; }
            }
        }

        /// <summary>Completes when the process has exited and its output is closed.</summary>
        public Task<string> Exited
        {
            get { return Connection.Closed; }
        }

        /// <summary>LSP shutdown + exit, then kill if it is still there after the grace time.</summary>
        public async Task StopAsync(TimeSpan grace)
        {
            try
            {
                var shut = Connection.RequestAsync(LspMethods.Shutdown, null, CancellationToken.None);
                if (await Task.WhenAny(shut, Task.Delay(grace)).ConfigureAwait(false) == shut)
                    Connection.SendNotification(LspMethods.Exit, null);
            }
            catch (Exception) { /* already gone */ }
            await Task.WhenAny(Task.Run(() => { try { Process.WaitForExit((int)grace.TotalMilliseconds); } catch (Exception) { } }), Task.Delay(grace)).ConfigureAwait(false);
            Kill();
        }

        /// <summary>Kills the server process (as a crash would).</summary>
        public void Kill()
        {
            try
            {
                if (!Process.HasExited) Process.Kill();
            }
            catch (Exception) { /* gone */ }
        }

        public void Dispose()
        {
            Kill();
            Connection.Dispose();
            try { Process.Dispose(); } catch (Exception) { }
        }
    }

    /// <summary>How often a dead server is restarted: at most MaxRestarts within Window (then the user is told).
    /// Shared by the core's supervisor and the VSIX's language client.</summary>
    public sealed class RestartPolicy
    {
        public int MaxRestarts = 5;
        public TimeSpan Window = TimeSpan.FromMinutes(3);
        private readonly List<DateTime> restarts = new List<DateTime>();

        /// <summary>Records a restart and returns true, or returns false when the budget is spent.</summary>
        public bool TryRestart(DateTime now)
        {
            lock (restarts)
            {
                restarts.RemoveAll(t => now - t > Window);
                if (restarts.Count >= MaxRestarts) return false;
                restarts.Add(now);
                return true;
            }
        }

        public string Exhausted(string reason)
        {
            return "the server exited " + (MaxRestarts + 1) + " times within " + Window.TotalMinutes + " min (" + reason + "): not restarting";
        }
    }

    /// <summary>Keeps one server running for a session: starts it, restarts it after a crash (at most
    /// MaxRestarts within RestartWindow), attaches each new connection to the session and lets it catch up.</summary>
    public sealed class ServerSupervisor : IDisposable
    {
        private readonly MimoSettings settings;
        private readonly string workspace;
        private readonly MimoSession session;
        private readonly ClientRequests requests;
        private readonly object gate = new object();
        private ServerProcess current;
        private bool disposed;

        public readonly RestartPolicy Restarts = new RestartPolicy();
        public TimeSpan InitializeTimeout = TimeSpan.FromSeconds(60);
        public Action<string> Log = s => { };

        /// <summary>Raised after each (re)start, with true for a restart, once the session has caught up.</summary>
        public event Action<ServerProcess, bool> Started;

        /// <summary>Raised when the server died and will not be restarted (too many restarts, or a restart failed).</summary>
        public event Action<string> GaveUp;

        public ServerSupervisor(MimoSettings settings, string workspace, MimoSession session, ClientRequests requests)
        {
            this.settings = settings;
            this.workspace = workspace;
            this.session = session;
            this.requests = requests ?? new ClientRequests();
        }

        public ServerProcess Current
        {
            get { lock (gate) return current; }
        }

        public ClientRequests Requests { get { return requests; } }

        public Task<ServerProcess> StartAsync()
        {
            return LaunchAsync(false);
        }

        private async Task<ServerProcess> LaunchAsync(bool restarted)
        {
            var server = await ServerProcess.StartAsync(settings, workspace, requests, InitializeTimeout, session.HandleNotification).ConfigureAwait(false);
            lock (gate)
            {
                if (disposed)
                {
                    server.Dispose();
                    throw new ObjectDisposedException("ServerSupervisor");
                }
                current = server;
            }
            session.Attach(server.Connection);
            Log((restarted ? "server restarted" : "server started") + " (pid " + server.Pid + ")");
            _ = server.Exited.ContinueWith(t => OnExited(server, t.Result), TaskScheduler.Default);
            if (restarted) await session.CatchUpAsync(true).ConfigureAwait(false);
            var started = Started;
            if (started != null) started(server, restarted);
            return server;
        }

        private async void OnExited(ServerProcess server, string reason)
        {
            lock (gate)
            {
                if (disposed || current != server) return; // stopped on purpose, or replaced
                current = null;
                if (!Restarts.TryRestart(DateTime.UtcNow))
                {
                    Log(Restarts.Exhausted(reason));
                    var g = GaveUp;
                    if (g != null) g(Restarts.Exhausted(reason));
                    return;
                }
            }
            session.Detach();
            Log("server exited (" + reason + "); restarting");
            try
            {
                await LaunchAsync(true).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                Log("restart failed: " + e.Message);
                var g = GaveUp;
                if (g != null) g(e.Message);
            }
        }

        public async Task StopAsync()
        {
            ServerProcess s;
            lock (gate)
            {
                disposed = true;
                s = current;
                current = null;
            }
            session.Detach();
            if (s != null)
            {
                await s.StopAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
                s.Dispose();
            }
        }

        public void Dispose()
        {
            ServerProcess s;
            lock (gate)
            {
                disposed = true;
                s = current;
                current = null;
            }
            if (s != null) s.Dispose();
        }
    }
}
