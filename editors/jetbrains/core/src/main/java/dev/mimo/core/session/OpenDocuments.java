package dev.mimo.core.session;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.mimo.core.Json;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The editor buffers this client has opened on the server (didOpen ... didClose), and workspace/applyEdit
 * applied to them the way an editor does: a versioned edit to a buffer of another version is refused, an
 * applied one bumps the version; the disk is untouched until the buffer is saved.
 */
public final class OpenDocuments {
    public static final class Doc {
        public final String uri;
        public int version;
        public String text;

        Doc(String uri, int version, String text) {
            this.uri = uri;
            this.version = version;
            this.text = text;
        }
    }

    /** The answer to workspace/applyEdit, and the buffers it changed (the client sends didChange for them). */
    public static final class Applied {
        public final boolean applied;
        public final String failureReason;
        public final List<Doc> changed;

        Applied(boolean applied, String failureReason, List<Doc> changed) {
            this.applied = applied;
            this.failureReason = failureReason;
            this.changed = changed;
        }

        public JsonObject toJson() {
            JsonObject o = new JsonObject();
            o.addProperty("applied", applied);
            if (failureReason != null) o.addProperty("failureReason", failureReason);
            return o;
        }
    }

    private final Map<String, Doc> docs = new LinkedHashMap<>();

    public synchronized Doc open(String uri, String text) {
        Doc d = new Doc(uri, 1, text);
        docs.put(uri, d);
        return d;
    }

    /** A user's edit: the whole new text. */
    public synchronized Doc change(String uri, String text) {
        Doc d = docs.get(uri);
        if (d == null) throw new IllegalStateException("not open: " + uri);
        d.version++;
        d.text = text;
        return d;
    }

    public synchronized Doc get(String uri) {
        return docs.get(uri);
    }

    public synchronized void close(String uri) {
        docs.remove(uri);
    }

    /** Applies a WorkspaceEdit (documentChanges with TextDocumentEdits, or changes) to open buffers, all or nothing. */
    public synchronized Applied apply(JsonObject edit) {
        Map<String, String> texts = new LinkedHashMap<>();
        try {
            if (edit.has("documentChanges")) {
                for (JsonElement c : edit.getAsJsonArray("documentChanges")) {
                    JsonObject change = c.getAsJsonObject();
                    if (!change.has("textDocument")) return refused("only text document edits are supported (no create/rename/delete)");
                    JsonObject id = change.getAsJsonObject("textDocument");
                    String uri = Json.str(id, "uri");
                    Doc d = docs.get(uri);
                    if (d == null) return refused("not open in the editor: " + uri);
                    JsonElement v = id.get("version");
                    if (v != null && !v.isJsonNull() && v.getAsInt() != d.version)
                        return refused("version " + v.getAsInt() + " of " + uri + " is not the buffer's version " + d.version);
                    String before = texts.getOrDefault(uri, d.text);
                    texts.put(uri, applyEdits(before, change.getAsJsonArray("edits")));
                }
            } else if (edit.has("changes")) {
                for (Map.Entry<String, JsonElement> e : edit.getAsJsonObject("changes").entrySet()) {
                    Doc d = docs.get(e.getKey());
                    if (d == null) return refused("not open in the editor: " + e.getKey());
                    texts.put(e.getKey(), applyEdits(texts.getOrDefault(e.getKey(), d.text), e.getValue().getAsJsonArray()));
                }
            }
        } catch (RuntimeException e) {
            return refused("bad edit: " + e.getMessage());
        }
        List<Doc> changed = new ArrayList<>();
        for (Map.Entry<String, String> e : texts.entrySet()) changed.add(change(e.getKey(), e.getValue()));
        return new Applied(true, null, changed);
    }

    private static Applied refused(String why) {
        return new Applied(false, why, List.of());
    }

    /** Applies TextEdits (LSP ranges: 0-based lines, UTF-16 columns) to a text, last edit first. */
    public static String applyEdits(String text, JsonArray edits) {
        List<int[]> spans = new ArrayList<>();
        List<String> news = new ArrayList<>();
        for (JsonElement el : edits) {
            JsonObject e = el.getAsJsonObject();
            JsonObject range = e.getAsJsonObject("range");
            int start = offset(text, range.getAsJsonObject("start"));
            int end = offset(text, range.getAsJsonObject("end"));
            if (end < start) throw new IllegalArgumentException("range ends before it starts");
            spans.add(new int[] {start, end, spans.size()});
            news.add(Json.str(e, "newText"));
        }
        spans.sort((a, b) -> a[0] != b[0] ? Integer.compare(b[0], a[0]) : Integer.compare(b[2], a[2]));
        StringBuilder sb = new StringBuilder(text);
        int lastStart = Integer.MAX_VALUE;
        for (int[] s : spans) {
            if (s[1] > lastStart) throw new IllegalArgumentException("overlapping edits");
            sb.replace(s[0], s[1], news.get(s[2]) == null ? "" : news.get(s[2]));
            lastStart = s[0];
        }
        return sb.toString();
    }

    /** Offset of an LSP position; a line past the end means the end, a column past the line's end its end. */
    static int offset(String text, JsonObject pos) {
        int line = pos.get("line").getAsInt();
        int character = pos.get("character").getAsInt();
        int off = 0;
        for (int l = 0; l < line; l++) {
            int nl = text.indexOf('\n', off);
            if (nl < 0) return text.length();
            off = nl + 1;
        }
        int eol = text.indexOf('\n', off);
        int lineEnd = eol < 0 ? text.length() : (eol > off && text.charAt(eol - 1) == '\r' ? eol - 1 : eol);
        return Math.min(off + character, lineEnd);
    }
}
