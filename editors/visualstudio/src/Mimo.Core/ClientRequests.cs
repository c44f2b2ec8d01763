// Answers to the server's own requests, so that the server is never left waiting:
// window/showMessageRequest (a confirmation: configurable answer), workspace/applyEdit (applied to the
// open documents this client knows, else refused), window/workDoneProgress/create, workspace/configuration,
// client/(un)registerCapability. In the VSIX, Visual Studio's LSP client answers these itself; this class
// serves the core's own stdio connection (tests, tools). No Visual Studio types.
using System;
using System.Collections.Generic;
using System.Threading.Tasks;

namespace Mimo.Core
{
    /// <summary>Text of documents the client has open (didOpen / didChange), with their versions.</summary>
    public sealed class OpenDocuments
    {
        public sealed class Doc
        {
            public string Uri;
            public long Version;
            public string Text;
        }

        private readonly Dictionary<string, Doc> docs = new Dictionary<string, Doc>();

        public Doc Get(string uri)
        {
            lock (docs)
            {
                Doc d;
                return docs.TryGetValue(uri, out d) ? new Doc { Uri = d.Uri, Version = d.Version, Text = d.Text } : null;
            }
        }

        public void Open(string uri, long version, string text)
        {
            lock (docs) docs[uri] = new Doc { Uri = uri, Version = version, Text = text };
        }

        public void Close(string uri)
        {
            lock (docs) docs.Remove(uri);
        }

        /// <summary>Applies a WorkspaceEdit (documentChanges of TextDocumentEdits, or changes) to open documents.
        /// All or nothing: returns a failure reason (nothing applied) or null.</summary>
        public string Apply(JsonValue edit)
        {
            lock (docs)
            {
                var updates = new List<Doc>();
                var changes = edit == null ? null : edit.Get("documentChanges");
                if (changes != null && changes.Kind == JsonKind.Array)
                {
                    foreach (var dc in changes.Items)
                    {
                        var td = dc.Get("textDocument");
                        if (td == null) return "only TextDocumentEdits are supported (no create / rename / delete)";
                        string uri = td.GetString("uri");
                        Doc cur;
                        if (uri == null || !docs.TryGetValue(uri, out cur)) return "not an open document: " + uri;
                        long? version = td.GetLong("version");
                        if (version.HasValue && version.Value != cur.Version)
                            return "version mismatch for " + uri + ": edit for " + version.Value + ", document at " + cur.Version;
                        string text = ApplyTextEdits(cur.Text, dc.Get("edits"));
                        if (text == null) return "an edit range is outside " + uri;
                        updates.Add(new Doc { Uri = uri, Version = cur.Version + 1, Text = text });
                    }
                }
                else
                {
                    var plain = edit == null ? null : edit.Get("changes");
                    if (plain == null || plain.Kind != JsonKind.Object) return "an empty WorkspaceEdit";
                    foreach (var m in plain.Members)
                    {
                        Doc cur;
                        if (!docs.TryGetValue(m.Key, out cur)) return "not an open document: " + m.Key;
                        string text = ApplyTextEdits(cur.Text, m.Value);
                        if (text == null) return "an edit range is outside " + m.Key;
                        updates.Add(new Doc { Uri = m.Key, Version = cur.Version + 1, Text = text });
                    }
                }
                foreach (var u in updates) docs[u.Uri] = u;
                return null;
            }
        }

        /// <summary>TextEdits (LSP ranges: 0-based line, UTF-16 character) applied back to front; null if a range is invalid.</summary>
        public static string ApplyTextEdits(string text, JsonValue edits)
        {
            if (edits == null || edits.Kind != JsonKind.Array) return text;
            var spans = new List<KeyValuePair<int[], string>>();
            foreach (var e in edits.Items)
            {
                var range = e.Get("range");
                int start = Offset(text, range.Get("start")), end = Offset(text, range.Get("end"));
                if (start < 0 || end < start) return null;
                spans.Add(new KeyValuePair<int[], string>(new[] { start, end }, e.GetString("newText") ?? ""));
            }
            spans.Sort((a, b) => b.Key[0].CompareTo(a.Key[0]));
            foreach (var s in spans) text = text.Substring(0, s.Key[0]) + s.Value + text.Substring(s.Key[1]);
            return text;
        }

        /// <summary>Offset of an LSP position; a line past the end is the end of the text (as LSP allows).</summary>
        public static int Offset(string text, JsonValue pos)
        {
            long line = pos.GetLong("line") ?? 0, ch = pos.GetLong("character") ?? 0;
            int offset = 0;
            for (long l = 0; l < line; l++)
            {
                int nl = text.IndexOf('\n', offset);
                if (nl < 0) return text.Length;
                offset = nl + 1;
            }
            int lineEnd = text.IndexOf('\n', offset);
            if (lineEnd < 0) lineEnd = text.Length;
            return (int)Math.Min(offset + ch, lineEnd);
        }
    }

    public sealed class ClientRequests
    {
        /// <summary>The answer to a confirmation: an action title (Yes, No, Always, Never) or null (= no).
        /// Default: null, as when a user closes the dialog.</summary>
        public Func<ShowMessageRequestParams, string> Confirm = p => null;

        public readonly OpenDocuments Documents = new OpenDocuments();

        /// <summary>Every confirmation asked, with the answer given (for logs and tests).</summary>
        public readonly List<KeyValuePair<ShowMessageRequestParams, string>> Confirmations = new List<KeyValuePair<ShowMessageRequestParams, string>>();

        /// <summary>Every workspace/applyEdit received, with the failure reason (null = applied).</summary>
        public readonly List<KeyValuePair<JsonValue, string>> AppliedEdits = new List<KeyValuePair<JsonValue, string>>();

        /// <summary>Progress tokens the server created (window/workDoneProgress/create).</summary>
        public readonly List<string> ProgressTokens = new List<string>();

        public Action<string> Log = s => { };

        public void Register(JsonRpcConnection c)
        {
            c.OnRequest(LspMethods.ShowMessageRequest, p =>
            {
                var req = JsonBinder.Read<ShowMessageRequestParams>(p);
                string answer;
                try { answer = Confirm(req); }
                catch (Exception e)
                {
                    Log("confirmation handler failed (answered no): " + e.Message);
                    answer = null;
                }
                lock (Confirmations) Confirmations.Add(new KeyValuePair<ShowMessageRequestParams, string>(req, answer));
                Log("confirmation: " + FirstLine(req.Message) + " -> " + (answer ?? "(no answer)"));
                return Task.FromResult(answer == null ? JsonValue.Null : JsonValue.NewObject().Set("title", answer));
            });
            c.OnRequest(LspMethods.ApplyEdit, p =>
            {
                string failure = Documents.Apply(p.Get("edit"));
                lock (AppliedEdits) AppliedEdits.Add(new KeyValuePair<JsonValue, string>(p, failure));
                var r = JsonValue.NewObject().Set("applied", failure == null);
                if (failure != null) r.Set("failureReason", failure);
                return Task.FromResult(r);
            });
            c.OnRequest(LspMethods.WorkDoneProgressCreate, p =>
            {
                var token = p.Get("token");
                lock (ProgressTokens) ProgressTokens.Add(token == null ? "" : token.Kind == JsonKind.String ? token.AsString() : token.ToString());
                return Task.FromResult(JsonValue.Null);
            });
            c.OnRequest(LspMethods.Configuration, p =>
            {
                var items = p.Get("items");
                var r = JsonValue.NewArray();
                if (items != null && items.Kind == JsonKind.Array) foreach (var _ in items.Items) r.Add(JsonValue.Null);
                return Task.FromResult(r);
            });
            c.OnRequest(LspMethods.RegisterCapability, p => Task.FromResult(JsonValue.Null));
            c.OnRequest(LspMethods.UnregisterCapability, p => Task.FromResult(JsonValue.Null));
        }

        private static string FirstLine(string s)
        {
            if (s == null) return "";
            int nl = s.IndexOf('\n');
            return nl < 0 ? s : s.Substring(0, nl);
        }
    }
}
