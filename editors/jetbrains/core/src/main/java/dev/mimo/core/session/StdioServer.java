package dev.mimo.core.session;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import dev.mimo.core.Json;
import dev.mimo.core.Payloads.TaskResumeParams;
import dev.mimo.core.Payloads.TaskStartParams;
import dev.mimo.core.Payloads.TaskStartResult;
import dev.mimo.core.Protocol;
import dev.mimo.core.rpc.JsonRpcConnection;
import dev.mimo.core.rpc.JsonRpcException;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * mimo-lsp as a child process spoken to over stdio: launch ("<python> -m mimo_lsp.server"), initialize, the
 * mimo.* commands, the server's own requests answered (confirmations, applyEdit, progress), and a restart
 * after a crash followed by a catch-up from mimo.task.events. The IDE plugin uses LSP4IJ for the connection
 * instead, with the same TaskTracker and payloads; this class is the headless client the tests drive.
 */
public final class StdioServer implements CommandTransport, AutoCloseable {
    public interface Listener {
        default void serverStarted(boolean restarted, long pid) {}

        /** expected: stop() was called; otherwise the process died under us. */
        default void serverExited(Integer exitCode, String stderrTail, boolean expected) {}

        default void catchUpDone(TaskTracker.CatchUp catchUp) {}

        default void restartFailed(String message) {}

        /** window/showMessageRequest and the answer given (null = no answer, which the server takes as no). */
        default void confirmation(String message, String answer) {}

        /** $/progress from the server. */
        default void progress(JsonObject params) {}
    }

    private final Path workspace;
    private final MimoSettings settings;
    private final List<Listener> listeners = new CopyOnWriteArrayList<>();
    private final OpenDocuments documents = new OpenDocuments();
    private final MimoApi api;
    private final TaskTracker tracker;
    private final Deque<String> stderr = new ArrayDeque<>();
    private final Deque<Long> crashes = new ArrayDeque<>();
    private final Object lifecycle = new Object();
    private volatile Consumer<String> log = s -> {};
    private volatile Consumer<String> trace = s -> {};
    private volatile Function<String, String> confirm = m -> "No";
    private volatile boolean autoRestart = true;
    private volatile int maxRestartsPerMinute = 3;
    private volatile Process process;
    private volatile JsonRpcConnection conn;
    private volatile JsonObject initializeResult;
    private volatile boolean stopping;
    private volatile java.util.function.Predicate<JsonObject> inboundFilter = m -> true;
    private int starts;

    public StdioServer(Path workspace, MimoSettings settings, long requestTimeoutMs) {
        this.workspace = workspace.toAbsolutePath().normalize();
        this.settings = settings.copy();
        this.api = new MimoApi(this, requestTimeoutMs);
        this.tracker = new TaskTracker(api, this.workspace.toString(), s -> log.accept(s));
    }

    public void addListener(Listener l) {
        listeners.add(l);
    }

    public void setLog(Consumer<String> log) {
        this.log = log;
    }

    /** Every JSON-RPC message in and out (for a debug log). */
    public void setTrace(Consumer<String> trace) {
        this.trace = trace;
    }

    /** The answer to the server's confirmations: message -> action title (Yes, No, Always, Never) or null. */
    public void setConfirm(Function<String, String> confirm) {
        this.confirm = confirm;
    }

    public void setAutoRestart(boolean on) {
        autoRestart = on;
    }

    /** Inbound messages for which this returns false are dropped (fault injection for tests). */
    public void setInboundFilter(java.util.function.Predicate<JsonObject> filter) {
        inboundFilter = filter;
        JsonRpcConnection c = conn;
        if (c != null) c.setInboundFilter(filter);
    }

    public MimoApi api() {
        return api;
    }

    public TaskTracker tracker() {
        return tracker;
    }

    public OpenDocuments documents() {
        return documents;
    }

    public Path workspace() {
        return workspace;
    }

    public JsonObject initializeResult() {
        return initializeResult;
    }

    /** The server process now (null when none): tests kill it as a crash would. */
    public ProcessHandle processHandle() {
        Process p = process;
        return p == null ? null : p.toHandle();
    }

    public boolean isRunning() {
        Process p = process;
        JsonRpcConnection c = conn;
        return p != null && p.isAlive() && c != null && !c.isClosed();
    }

    public String stderrTail() {
        synchronized (stderr) {
            return String.join("\n", stderr);
        }
    }

    // -- lifecycle ---------------------------------------------------------------------------------
    public void start() throws ServerStartException {
        synchronized (lifecycle) {
            if (isRunning()) return;
            launch();
        }
        catchUp(false);
    }

    /** Stops the current process (if any) and starts a new one, then catches up on the current task. */
    public void restart() throws ServerStartException {
        synchronized (lifecycle) {
            stopQuietly();
            launch();
        }
        catchUp(true);
    }

    private void catchUp(boolean restarted) {
        TaskTracker.CatchUp c = tracker.catchUp(restarted);
        if (c != null) for (Listener l : listeners) l.catchUpDone(c);
    }

    private void launch() throws ServerStartException {
        List<String> command = settings.launchCommand();
        ProcessBuilder pb = new ProcessBuilder(command).directory(workspace.toFile());
        pb.environment().putAll(settings.environment);
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            throw new ServerStartException(MimoSettings.startFailureMessage(command, e.getMessage()), e);
        }
        synchronized (stderr) {
            stderr.clear();
        }
        drain(p.getErrorStream());
        JsonRpcConnection c = new JsonRpcConnection(p.getInputStream(), p.getOutputStream(), "mimo-lsp-" + p.pid());
        c.setInboundFilter(inboundFilter);
        c.onTrace(m -> trace.accept(m));
        c.onNotification((method, params) -> onNotification(method, params));
        c.onRequest(this::onServerRequest);
        c.onClose(failure -> onClosed(c, p));
        stopping = false;
        process = p;
        conn = c;
        c.start();
        try {
            initializeResult = c.request("initialize", initializeParams()).get(60, TimeUnit.SECONDS).getAsJsonObject();
            c.notify("initialized", new JsonObject());
        } catch (InterruptedException | ExecutionException | TimeoutException | IOException | IllegalStateException e) {
            String why = describeFailure(p, e);
            stopping = true;
            p.destroyForcibly();
            throw new ServerStartException(MimoSettings.startFailureMessage(command, why), e);
        }
        boolean restarted = starts++ > 0;
        log.accept("server started (pid " + p.pid() + (restarted ? ", restarted" : "") + ")");
        for (Listener l : listeners) l.serverStarted(restarted, p.pid());
    }

    private String describeFailure(Process p, Exception e) {
        try {
            p.waitFor(2, TimeUnit.SECONDS);
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
        }
        String tail = stderrTail();
        String cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause().getMessage() : e.toString();
        if (!p.isAlive()) return "it exited with code " + p.exitValue() + (tail.isEmpty() ? "" : ": " + lastLines(tail, 6));
        return "no answer to initialize (" + cause + ")" + (tail.isEmpty() ? "" : ": " + lastLines(tail, 6));
    }

    private static String lastLines(String text, int n) {
        String[] lines = text.split("\n");
        StringBuilder sb = new StringBuilder();
        for (int i = Math.max(0, lines.length - n); i < lines.length; i++) sb.append(i > Math.max(0, lines.length - n) ? " | " : "").append(lines[i].trim());
        return sb.toString();
    }

    private void drain(InputStream err) {
        Thread t = new Thread(() -> {
            try (var r = new java.io.BufferedReader(new java.io.InputStreamReader(err, StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    synchronized (stderr) {
                        stderr.addLast(line);
                        while (stderr.size() > 200) stderr.removeFirst();
                    }
                }
            } catch (IOException ignored) {
                // the process is gone
            }
        }, "mimo-lsp-stderr");
        t.setDaemon(true);
        t.start();
    }

    private JsonObject initializeParams() {
        JsonObject p = new JsonObject();
        p.addProperty("processId", ProcessHandle.current().pid());
        String uri = workspace.toUri().toString();
        p.addProperty("rootUri", uri);
        JsonArray folders = new JsonArray();
        JsonObject folder = new JsonObject();
        folder.addProperty("uri", uri);
        folder.addProperty("name", workspace.getFileName() == null ? "workspace" : workspace.getFileName().toString());
        folders.add(folder);
        p.add("workspaceFolders", folders);
        p.add("capabilities", Json.object("{\"window\": {\"workDoneProgress\": true, \"showMessage\": {\"messageActionItem\": "
                + "{\"additionalPropertiesSupport\": false}}}, \"workspace\": {\"applyEdit\": true, \"workspaceEdit\": "
                + "{\"documentChanges\": true}, \"workspaceFolders\": true}, \"textDocument\": {\"synchronization\": "
                + "{\"didSave\": true}}}"));
        p.add("initializationOptions", settings.initializationOptions());
        JsonObject info = new JsonObject();
        info.addProperty("name", "mimo-jetbrains-core");
        p.add("clientInfo", info);
        return p;
    }

    private void onClosed(JsonRpcConnection c, Process p) {
        boolean current = c == conn;
        boolean expected = stopping || !current;
        Integer code = null;
        try {
            if (p.waitFor(2, TimeUnit.SECONDS)) code = p.exitValue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        log.accept("server exited (code " + code + (expected ? ")" : ", unexpected)"));
        for (Listener l : listeners) l.serverExited(code, stderrTail(), expected);
        if (expected || !autoRestart) return;
        long now = System.nanoTime();
        synchronized (crashes) {
            while (!crashes.isEmpty() && now - crashes.peekFirst() > TimeUnit.MINUTES.toNanos(1)) crashes.removeFirst();
            if (crashes.size() >= maxRestartsPerMinute) {
                String msg = "MiMo: the server crashed " + crashes.size() + " times within a minute; not restarting. " + lastLines(stderrTail(), 6);
                for (Listener l : listeners) l.restartFailed(msg);
                return;
            }
            crashes.addLast(now);
        }
        Thread t = new Thread(() -> {
            try {
                synchronized (lifecycle) {
                    if (conn != c) return; // someone restarted it already
                    launch();
                }
                catchUp(true);
            } catch (ServerStartException e) {
                for (Listener l : listeners) l.restartFailed(e.getMessage());
            }
        }, "mimo-lsp-restart");
        t.setDaemon(true);
        t.start();
    }

    /** shutdown + exit, then the process is ended if it lingers. */
    public void stop() {
        synchronized (lifecycle) {
            stopQuietly();
        }
    }

    private void stopQuietly() {
        JsonRpcConnection c = conn;
        Process p = process;
        stopping = true;
        if (c != null && !c.isClosed()) {
            try {
                c.request("shutdown", null).get(5, TimeUnit.SECONDS);
                c.notify("exit", null);
            } catch (Exception ignored) {
                // gone or stuck: ended below
            }
        }
        if (p != null) {
            try {
                if (!p.waitFor(3, TimeUnit.SECONDS)) {
                    p.destroy();
                    if (!p.waitFor(2, TimeUnit.SECONDS)) p.destroyForcibly().waitFor(2, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (c != null) c.close();
    }

    @Override
    public void close() {
        stop();
    }

    // -- messages ----------------------------------------------------------------------------------
    private void onNotification(String method, JsonElement params) {
        if (Protocol.isTaskNotification(method) && params.isJsonObject()) {
            tracker.onNotification(method, params.getAsJsonObject());
        } else if ("$/progress".equals(method) && params.isJsonObject()) {
            for (Listener l : listeners) l.progress(params.getAsJsonObject());
        } else if ("window/logMessage".equals(method) || "window/showMessage".equals(method)) {
            log.accept("server: " + Json.str(params.getAsJsonObject(), "message"));
        }
    }

    private JsonElement onServerRequest(String method, JsonElement params) {
        switch (method) {
            case "window/workDoneProgress/create":
            case "client/registerCapability":
            case "client/unregisterCapability":
                return JsonNull.INSTANCE;
            case "window/showMessageRequest": {
                JsonObject p = params.getAsJsonObject();
                String message = Json.str(p, "message");
                String answer = confirm.apply(message);
                List<String> offered = new ArrayList<>();
                if (p.has("actions") && p.get("actions").isJsonArray())
                    for (JsonElement a : p.getAsJsonArray("actions")) offered.add(Json.str(a.getAsJsonObject(), "title"));
                if (answer != null && !offered.contains(answer)) answer = null; // only what was offered
                for (Listener l : listeners) l.confirmation(message, answer);
                if (answer == null) return JsonNull.INSTANCE;
                JsonObject item = new JsonObject();
                item.addProperty("title", answer);
                return item;
            }
            case "workspace/applyEdit": {
                OpenDocuments.Applied r = documents.apply(params.getAsJsonObject().getAsJsonObject("edit"));
                for (OpenDocuments.Doc d : r.changed) sendDidChange(d);
                return r.toJson();
            }
            case "workspace/configuration": {
                JsonArray out = new JsonArray();
                JsonObject p = params.getAsJsonObject();
                if (p.has("items")) for (int i = 0; i < p.getAsJsonArray("items").size(); i++) out.add(JsonNull.INSTANCE);
                return out;
            }
            case "window/showDocument": {
                JsonObject r = new JsonObject();
                r.addProperty("success", false);
                return r;
            }
            default:
                throw new JsonRpcException(JsonRpcException.METHOD_NOT_FOUND, "the client does not handle " + method);
        }
    }

    @Override
    public CompletableFuture<JsonElement> executeCommand(String command, Object params) {
        JsonRpcConnection c = conn;
        if (c == null || c.isClosed()) {
            CompletableFuture<JsonElement> f = new CompletableFuture<>();
            f.completeExceptionally(new JsonRpcException(JsonRpcException.CONNECTION_CLOSED, "MiMo: the server is not running (" + command + ")"));
            return f;
        }
        JsonObject p = new JsonObject();
        p.addProperty("command", command);
        JsonArray args = new JsonArray();
        args.add(Json.tree(params));
        p.add("arguments", args);
        log.accept("-> " + command + " " + Json.tree(params));
        return c.request("workspace/executeCommand", p);
    }

    // -- tasks -------------------------------------------------------------------------------------
    /** mimo.task.start in this workspace; the tracker follows the new task. */
    public TaskStartResult startTask(String goal, String check, String model) {
        TaskStartParams p = new TaskStartParams(goal, workspace.toString(), blankToNull(check), blankToNull(model));
        TaskStartResult r = api.taskStart(p);
        tracker.runStarted(r.taskId, goal, r.model);
        return r;
    }

    /** mimo.task.resume: the tracker's sequence for the task starts again before the request (seq restarts at 1). */
    public TaskStartResult resumeTask(String taskId, String model) {
        tracker.beginRun(taskId, null);
        TaskStartResult r = api.taskResume(new TaskResumeParams(taskId, workspace.toString(), blankToNull(model)));
        tracker.runStarted(r.taskId, null, r.model);
        return r;
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }

    // -- document sync -----------------------------------------------------------------------------
    public String uriOf(Path path) {
        return workspace.resolve(path).toAbsolutePath().normalize().toUri().toString();
    }

    public void didOpen(Path path, String text) throws IOException {
        OpenDocuments.Doc d = documents.open(uriOf(path), text);
        JsonObject item = new JsonObject();
        item.addProperty("uri", d.uri);
        item.addProperty("languageId", languageId(path));
        item.addProperty("version", d.version);
        item.addProperty("text", d.text);
        JsonObject p = new JsonObject();
        p.add("textDocument", item);
        requireConn().notify("textDocument/didOpen", p);
    }

    /** The user typed: the whole new text. */
    public void didChange(Path path, String text) throws IOException {
        sendDidChange(documents.change(uriOf(path), text));
    }

    private void sendDidChange(OpenDocuments.Doc d) {
        JsonObject id = new JsonObject();
        id.addProperty("uri", d.uri);
        id.addProperty("version", d.version);
        JsonArray changes = new JsonArray();
        JsonObject whole = new JsonObject();
        whole.addProperty("text", d.text);
        changes.add(whole);
        JsonObject p = new JsonObject();
        p.add("textDocument", id);
        p.add("contentChanges", changes);
        try {
            requireConn().notify("textDocument/didChange", p);
        } catch (IOException e) {
            log.accept("didChange not sent: " + e.getMessage());
        }
    }

    /** Writes the buffer to disk and tells the server, as an editor's save does. */
    public void save(Path path) throws IOException {
        OpenDocuments.Doc d = documents.get(uriOf(path));
        if (d == null) throw new IllegalStateException("not open: " + path);
        Files.writeString(workspace.resolve(path), d.text, StandardCharsets.UTF_8);
        JsonObject id = new JsonObject();
        id.addProperty("uri", d.uri);
        JsonObject p = new JsonObject();
        p.add("textDocument", id);
        requireConn().notify("textDocument/didSave", p);
    }

    public void didClose(Path path) throws IOException {
        String uri = uriOf(path);
        documents.close(uri);
        JsonObject id = new JsonObject();
        id.addProperty("uri", uri);
        JsonObject p = new JsonObject();
        p.add("textDocument", id);
        requireConn().notify("textDocument/didClose", p);
    }

    private JsonRpcConnection requireConn() throws IOException {
        JsonRpcConnection c = conn;
        if (c == null || c.isClosed()) throw new IOException("the server is not running");
        return c;
    }

    static String languageId(Path path) {
        String n = path.getFileName().toString();
        if (n.endsWith(".py")) return "python";
        if (n.endsWith(".java")) return "java";
        if (n.endsWith(".md")) return "markdown";
        return "plaintext";
    }
}
