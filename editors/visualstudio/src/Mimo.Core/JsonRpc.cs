// JSON-RPC 2.0 over the LSP base protocol (Content-Length framing) on a pair of streams: the server's
// stdout (read) and stdin (write). Requests both ways, notifications both ways. No Visual Studio types.
using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace Mimo.Core
{
    /// <summary>What the session needs from a connection: requests to the server. The stdio connection
    /// below implements it; the VSIX implements it over Visual Studio's own LSP connection.</summary>
    public interface IRpcChannel
    {
        Task<JsonValue> RequestAsync(string method, JsonValue parameters, CancellationToken cancellationToken);
    }

    /// <summary>A JSON-RPC error answer (e.g. -32602 invalid params: the message names the field).</summary>
    public sealed class JsonRpcException : Exception
    {
        public readonly long Code;
        public readonly JsonValue ErrorData;

        public JsonRpcException(long code, string message, JsonValue data) : base(message)
        {
            Code = code;
            ErrorData = data;
        }
    }

    /// <summary>The connection ended (the server exited or its pipe closed) before the answer came.</summary>
    public sealed class ConnectionClosedException : Exception
    {
        public ConnectionClosedException(string message) : base(message) { }
    }

    public static class JsonRpcErrorCodes
    {
        public const long MethodNotFound = -32601;
        public const long InvalidParams = -32602;
        public const long InternalError = -32603;
        public const long RequestCancelled = -32800;
    }

    public sealed class JsonRpcConnection : IRpcChannel, IDisposable
    {
        /// <summary>Answers a request from the server; return JsonValue.Null for a null result.</summary>
        public delegate Task<JsonValue> RequestHandler(JsonValue parameters);

        private readonly Stream input;
        private readonly Stream output;
        private readonly object writeLock = new object();
        private readonly object stateLock = new object();
        private readonly Dictionary<string, TaskCompletionSource<JsonValue>> pending = new Dictionary<string, TaskCompletionSource<JsonValue>>();
        private readonly Dictionary<string, RequestHandler> handlers = new Dictionary<string, RequestHandler>();
        private readonly TaskCompletionSource<string> closed = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        private long nextId;
        private Thread reader;
        private readonly int maxMessageBytes;

        /// <summary>Notifications from the server, in the order they arrived, on the reader thread: keep handlers short.</summary>
        public event Action<string, JsonValue> Notification;

        /// <summary>Diagnostics: every message in (true) and out (false), as text.</summary>
        public Action<bool, string> Trace;

        public JsonRpcConnection(Stream input, Stream output, int maxMessageBytes = 64 << 20)
        {
            this.input = input;
            this.output = output;
            this.maxMessageBytes = maxMessageBytes;
        }

        /// <summary>Completes with the reason once the connection is closed.</summary>
        public Task<string> Closed { get { return closed.Task; } }

        public bool IsClosed { get { return closed.Task.IsCompleted; } }

        public void OnRequest(string method, RequestHandler handler)
        {
            lock (stateLock) handlers[method] = handler;
        }

        public void Start()
        {
            if (reader != null) throw new InvalidOperationException("already started");
            reader = new Thread(ReadLoop) { IsBackground = true, Name = "mimo-jsonrpc-reader" };
            reader.Start();
        }

        public Task<JsonValue> RequestAsync(string method, JsonValue parameters, CancellationToken cancellationToken)
        {
            string id = Interlocked.Increment(ref nextId).ToString(CultureInfo.InvariantCulture);
            var tcs = new TaskCompletionSource<JsonValue>(TaskCreationOptions.RunContinuationsAsynchronously);
            lock (stateLock)
            {
                if (IsClosed) throw new ConnectionClosedException("the connection is closed: " + closed.Task.Result);
                pending[id] = tcs;
            }
            var msg = JsonValue.NewObject().Set("jsonrpc", "2.0").Set("id", JsonValue.Number(long.Parse(id, CultureInfo.InvariantCulture))).Set("method", method);
            if (parameters != null) msg.Set("params", parameters);
            try
            {
                Send(msg);
            }
            catch (Exception e)
            {
                lock (stateLock) pending.Remove(id);
                throw new ConnectionClosedException("cannot send " + method + ": " + e.Message);
            }
            if (cancellationToken.CanBeCanceled)
            {
                cancellationToken.Register(() =>
                {
                    if (tcs.TrySetCanceled())
                    {
                        lock (stateLock) pending.Remove(id);
                        try { SendNotification("$/cancelRequest", JsonValue.NewObject().Set("id", JsonValue.Number(long.Parse(id, CultureInfo.InvariantCulture)))); }
                        catch (Exception) { /* closed meanwhile */ }
                    }
                });
            }
            return tcs.Task;
        }

        public void SendNotification(string method, JsonValue parameters)
        {
            var msg = JsonValue.NewObject().Set("jsonrpc", "2.0").Set("method", method);
            if (parameters != null) msg.Set("params", parameters);
            Send(msg);
        }

        private void Send(JsonValue msg)
        {
            string text = msg.ToString();
            byte[] body = Encoding.UTF8.GetBytes(text);
            byte[] header = Encoding.ASCII.GetBytes("Content-Length: " + body.Length.ToString(CultureInfo.InvariantCulture) + "\r\n\r\n");
            lock (writeLock)
            {
                output.Write(header, 0, header.Length);
                output.Write(body, 0, body.Length);
                output.Flush();
            }
            var t = Trace;
            if (t != null) t(false, text);
        }

        // ---- reading -----------------------------------------------------------------------------

        private void ReadLoop()
        {
            string reason = "the server closed its output";
            try
            {
                for (;;)
                {
                    byte[] body = ReadMessage();
                    if (body == null) break;
                    string text = Encoding.UTF8.GetString(body);
                    var t = Trace;
                    if (t != null) t(true, text);
                    JsonValue msg;
                    try { msg = JsonValue.Parse(text); }
                    catch (JsonException e)
                    {
                        reason = "unparsable message from the server: " + e.Message;
                        break;
                    }
                    Dispatch(msg);
                }
            }
            catch (Exception e)
            {
                reason = "reading from the server failed: " + e.Message;
            }
            Close(reason);
        }

        /// <summary>One framed message body, or null at the end of the stream.</summary>
        private byte[] ReadMessage()
        {
            long length = -1;
            var line = new StringBuilder();
            bool any = false;
            for (;;)
            {
                int b = input.ReadByte();
                if (b < 0)
                {
                    if (!any) return null;
                    throw new IOException("the stream ended inside a message header");
                }
                any = true;
                if (b == '\n')
                {
                    string l = line.ToString().TrimEnd('\r');
                    line.Clear();
                    if (l.Length == 0)
                    {
                        if (length < 0) throw new IOException("a message without Content-Length");
                        break;
                    }
                    int colon = l.IndexOf(':');
                    if (colon > 0 && string.Equals(l.Substring(0, colon).Trim(), "Content-Length", StringComparison.OrdinalIgnoreCase))
                    {
                        if (!long.TryParse(l.Substring(colon + 1).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out length))
                            throw new IOException("bad Content-Length: " + l);
                    }
                }
                else
                {
                    line.Append((char)b);
                    if (line.Length > 8192) throw new IOException("a header line longer than 8 KiB");
                }
            }
            if (length > maxMessageBytes) throw new IOException("a message of " + length + " bytes is over the limit");
            var body = new byte[length];
            int read = 0;
            while (read < length)
            {
                int n = input.Read(body, read, (int)length - read);
                if (n <= 0) throw new IOException("the stream ended inside a message body");
                read += n;
            }
            return body;
        }

        private void Dispatch(JsonValue msg)
        {
            if (msg.Kind != JsonKind.Object) return;
            var method = msg.Get("method");
            var id = msg.Get("id");
            if (method == null)
            {
                if (id == null) return;
                string key = id.Kind == JsonKind.String ? id.AsString() : id.ToString();
                TaskCompletionSource<JsonValue> tcs;
                lock (stateLock)
                {
                    if (!pending.TryGetValue(key, out tcs)) return; // cancelled, or not ours
                    pending.Remove(key);
                }
                var error = msg.Get("error");
                if (error != null && !error.IsNull)
                {
                    long code = error.GetLong("code") ?? JsonRpcErrorCodes.InternalError;
                    tcs.TrySetException(new JsonRpcException(code, error.GetString("message") ?? "error " + code, error.Get("data")));
                }
                else tcs.TrySetResult(msg.Get("result") ?? JsonValue.Null);
                return;
            }
            string name = method.AsString();
            var parameters = msg.Get("params") ?? JsonValue.Null;
            if (id == null)
            {
                var n = Notification;
                if (n != null)
                {
                    try { n(name, parameters); }
                    catch (Exception) { /* a listener's bug must not stop the reader */ }
                }
                return;
            }
            RequestHandler handler;
            lock (stateLock) handlers.TryGetValue(name, out handler);
            // Answer off the reader thread: a handler may wait for the user (a confirmation).
            Task.Run(async () =>
            {
                var reply = JsonValue.NewObject().Set("jsonrpc", "2.0").Set("id", id);
                if (handler == null)
                {
                    reply.Set("error", JsonValue.NewObject().Set("code", JsonRpcErrorCodes.MethodNotFound).Set("message", "unhandled method " + name));
                }
                else
                {
                    try { reply.Set("result", await handler(parameters).ConfigureAwait(false) ?? JsonValue.Null); }
                    catch (Exception e)
                    {
                        reply.Set("error", JsonValue.NewObject().Set("code", JsonRpcErrorCodes.InternalError).Set("message", e.Message));
                    }
                }
                try { Send(reply); }
                catch (Exception) { /* closed meanwhile */ }
            });
        }

        private void Close(string reason)
        {
            List<TaskCompletionSource<JsonValue>> waiting;
            lock (stateLock)
            {
                if (!closed.TrySetResult(reason)) return;
                waiting = new List<TaskCompletionSource<JsonValue>>(pending.Values);
                pending.Clear();
            }
            foreach (var t in waiting) t.TrySetException(new ConnectionClosedException(reason));
        }

        public void Dispose()
        {
            Close("the client closed the connection");
            try { output.Dispose(); } catch (Exception) { }
            try { input.Dispose(); } catch (Exception) { }
        }
    }
}
