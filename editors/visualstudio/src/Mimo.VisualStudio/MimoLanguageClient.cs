// The glue to Visual Studio's LSP client (Microsoft.VisualStudio.LanguageServer.Client, MEF). Thin: it
// launches the server with the core's launch settings, hands Visual Studio the stdio streams, feeds the
// mimo/task/* notifications to the core's session and lets the session send mimo.* commands over Visual
// Studio's own connection (ILanguageClientCustomMessage2). Standard LSP (code lenses, code actions,
// window/showMessageRequest confirmations, workspace/applyEdit, $/progress) is Visual Studio's own.
// Not compiled on the Linux CI (no VS SDK there): see ../../README.md.
using System;
using System.Collections.Generic;
using System.ComponentModel.Composition;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.VisualStudio.LanguageServer.Client;
using Microsoft.VisualStudio.Threading;
using Microsoft.VisualStudio.Utilities;
using Mimo.Core;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using StreamJsonRpc;

namespace Mimo.VisualStudio
{
    /// <summary>The content type the client attaches to. LSP clients in Visual Studio bind to content types
    /// derived from code-languageserver-base; see the README for which files get MiMo's code lenses.</summary>
    public static class MimoContentType
    {
        public const string Name = "mimo";

        [Export]
        [Name(Name)]
        [BaseDefinition(CodeRemoteContentDefinition.CodeRemoteContentTypeName)]
        internal static ContentTypeDefinition Definition = null;
    }

    /// <summary>For ILanguageClientBroker.LoadAsync: a MiMo command starts the server without a document open.</summary>
    public sealed class MimoClientMetadata : ILanguageClientMetadata
    {
        public string ClientName { get { return "MiMo"; } }
        public IEnumerable<string> ContentTypes { get { return new[] { MimoContentType.Name }; } }
    }

    [Export(typeof(ILanguageClient))]
    [Export(typeof(MimoLanguageClient))]
    [ContentType(MimoContentType.Name)]
    [RunOnContext(RunningContext.RunOnHost)]
    public sealed class MimoLanguageClient : ILanguageClient, ILanguageClientCustomMessage2
    {
        public readonly MimoSession Session = new MimoSession();
        private readonly RestartPolicy restarts = new RestartPolicy();
        private Process server;
        private bool stopping;
        private int starts;
        private bool loaded;

        /// <summary>Set by the package: settings from Tools > Options > MiMo, the solution folder, logging.</summary>
        public Func<MimoSettings> Settings = () => new MimoSettings();
        public Func<string> WorkspaceFolder = () => null;
        public Action<string> Log = s => { };

        public string Name { get { return "MiMo"; } }
        public IEnumerable<string> ConfigurationSections { get { return null; } }
        public object InitializationOptions { get { return JToken.Parse(ServerLaunch.InitializationOptions(Settings()).ToString()); } }
        public IEnumerable<string> FilesToWatch { get { return null; } }
        public bool ShowNotificationOnInitializeFailed { get { return true; } }
        public object MiddleLayer { get { return null; } }
        public object CustomMessageTarget { get { return target; } }
        private readonly NotificationTarget target;

        public MimoLanguageClient()
        {
            target = new NotificationTarget(this);
        }

        public event AsyncEventHandler<EventArgs> StartAsync;
        public event AsyncEventHandler<EventArgs> StopAsync;

        public bool IsLoaded { get { return loaded; } }

        public async Task OnLoadedAsync()
        {
            loaded = true;
            var start = StartAsync;
            if (start != null) await start.InvokeAsync(this, EventArgs.Empty);
        }

        public Task<Connection> ActivateAsync(CancellationToken token)
        {
            var settings = Settings();
            var workspace = WorkspaceFolder();
            Session.Workspace = workspace;
            var psi = ServerLaunch.StartInfo(settings, workspace);
            Log("starting: " + ServerLaunch.Command(settings));
            Process p;
            try
            {
                p = Process.Start(psi);
            }
            catch (Exception e)
            {
                throw new InvalidOperationException(ServerLaunch.StartFailureMessage(ServerLaunch.Command(settings), e.Message), e);
            }
            p.EnableRaisingEvents = true;
            p.ErrorDataReceived += (s, e) => { if (e.Data != null) Log("server: " + e.Data); };
            p.BeginErrorReadLine();
            p.Exited += (s, e) => OnServerExited(p);
            server = p;
            return Task.FromResult(new Connection(p.StandardOutput.BaseStream, p.StandardInput.BaseStream));
        }

        public Task AttachForCustomMessageAsync(JsonRpc rpc)
        {
            Session.Attach(new VsRpcChannel(rpc));
            return Task.CompletedTask;
        }

        public async Task OnServerInitializedAsync()
        {
            bool restarted = Interlocked.Increment(ref starts) > 1;
            Log(restarted ? "server restarted: catching up on task events" : "server initialized");
            // After a restart (or a reloaded window with a remembered task) the views refill from mimo.task.events.
            await Session.CatchUpAsync(restarted);
        }

        public Task<InitializationFailureContext> OnServerInitializeFailedAsync(ILanguageClientInitializationInfo initializationState)
        {
            string why = initializationState.StatusMessage ?? (initializationState.InitializationException == null ? "unknown" : initializationState.InitializationException.Message);
            return Task.FromResult(new InitializationFailureContext { FailureMessage = ServerLaunch.StartFailureMessage(ServerLaunch.Command(Settings()), why) });
        }

        private void OnServerExited(Process p)
        {
            if (stopping || p != server) return;
            Session.Detach();
            string reason = "exit code " + SafeExitCode(p);
            if (!restarts.TryRestart(DateTime.UtcNow))
            {
                Log(restarts.Exhausted(reason));
                return;
            }
            Log("server exited (" + reason + "): restarting");
            var start = StartAsync;
            if (start != null) _ = start.InvokeAsync(this, EventArgs.Empty);
        }

        private static string SafeExitCode(Process p)
        {
            try { return p.ExitCode.ToString(); }
            catch (Exception) { return "?"; }
        }

        /// <summary>Stops the server (the settings changed: the next command starts a new one).</summary>
        public async Task RestartAsync()
        {
            stopping = true;
            server = null; // its exit (whenever it comes) is not a crash to recover from
            Session.Detach();
            try
            {
                var stop = StopAsync;
                if (stop != null) await stop.InvokeAsync(this, EventArgs.Empty);
            }
            finally
            {
                stopping = false;
            }
            var start = StartAsync;
            if (start != null) await start.InvokeAsync(this, EventArgs.Empty);
        }

        /// <summary>mimo/task/* notifications, as one object each, to the session.</summary>
        public sealed class NotificationTarget
        {
            private readonly MimoLanguageClient client;

            public NotificationTarget(MimoLanguageClient client) { this.client = client; }

            private void Feed(string method, JToken p)
            {
                client.Session.HandleNotification(method, JsonValue.Parse(p == null ? "null" : p.ToString(Formatting.None)));
            }

            [JsonRpcMethod(MimoNotifications.Plan, UseSingleObjectParameterDeserialization = true)]
            public void Plan(JToken p) { Feed(MimoNotifications.Plan, p); }

            [JsonRpcMethod(MimoNotifications.Node, UseSingleObjectParameterDeserialization = true)]
            public void Node(JToken p) { Feed(MimoNotifications.Node, p); }

            [JsonRpcMethod(MimoNotifications.Step, UseSingleObjectParameterDeserialization = true)]
            public void Step(JToken p) { Feed(MimoNotifications.Step, p); }

            [JsonRpcMethod(MimoNotifications.Checkpoint, UseSingleObjectParameterDeserialization = true)]
            public void Checkpoint(JToken p) { Feed(MimoNotifications.Checkpoint, p); }

            [JsonRpcMethod(MimoNotifications.Token, UseSingleObjectParameterDeserialization = true)]
            public void Token(JToken p) { Feed(MimoNotifications.Token, p); }

            [JsonRpcMethod(MimoNotifications.Done, UseSingleObjectParameterDeserialization = true)]
            public void Done(JToken p) { Feed(MimoNotifications.Done, p); }
        }
    }

    /// <summary>The core's IRpcChannel over Visual Studio's JSON-RPC connection to the server.</summary>
    public sealed class VsRpcChannel : IRpcChannel
    {
        private readonly JsonRpc rpc;

        public VsRpcChannel(JsonRpc rpc) { this.rpc = rpc; }

        public async Task<JsonValue> RequestAsync(string method, JsonValue parameters, CancellationToken cancellationToken)
        {
            JToken result;
            try
            {
                result = await rpc.InvokeWithParameterObjectAsync<JToken>(method, JToken.Parse(parameters.ToString()), cancellationToken);
            }
            catch (RemoteInvocationException e)
            {
                throw new JsonRpcException(e.ErrorCode, e.Message, null);
            }
            catch (ConnectionLostException e)
            {
                throw new ConnectionClosedException(e.Message);
            }
            return result == null ? JsonValue.Null : JsonValue.Parse(result.ToString(Formatting.None));
        }
    }
}
