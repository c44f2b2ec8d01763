package dev.mimo.core.rpc;

import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import dev.mimo.core.Json;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * A JSON-RPC 2.0 endpoint over a pair of streams with LSP framing. One reader thread; notifications are
 * handed to their handler in arrival order on one dispatch thread; requests from the other side are answered
 * from a pool (an answer that waits for the user must not hold up notifications); every request from the
 * other side gets an answer, an error if no handler knows it.
 */
public final class JsonRpcConnection implements AutoCloseable {
    public interface NotificationHandler {
        void onNotification(String method, JsonElement params);
    }

    public interface RequestHandler {
        /** The result (JsonNull for null); throw JsonRpcException to answer an error. */
        JsonElement onRequest(String method, JsonElement params) throws Exception;
    }

    private final InputStream in;
    private final OutputStream out;
    private final String name;
    private final AtomicLong nextId = new AtomicLong(1);
    private final Map<String, CompletableFuture<JsonElement>> pending = new ConcurrentHashMap<>();
    private final ExecutorService notifications;
    private final ExecutorService requests;
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile NotificationHandler notificationHandler = (m, p) -> {};
    private volatile RequestHandler requestHandler = (m, p) -> {
        throw new JsonRpcException(JsonRpcException.METHOD_NOT_FOUND, "unhandled method: " + m);
    };
    private volatile Consumer<Throwable> closeListener = e -> {};
    private volatile Predicate<JsonObject> inboundFilter = m -> true;
    private volatile Consumer<String> trace = s -> {};
    private Thread reader;

    public JsonRpcConnection(InputStream in, OutputStream out, String name) {
        this.in = in;
        this.out = out;
        this.name = name;
        this.notifications = Executors.newSingleThreadExecutor(r -> daemon(r, name + "-notifications"));
        this.requests = Executors.newCachedThreadPool(r -> daemon(r, name + "-requests"));
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    public void onNotification(NotificationHandler h) {
        notificationHandler = h;
    }

    public void onRequest(RequestHandler h) {
        requestHandler = h;
    }

    /** Called once when the stream ends or breaks (null: a clean end), after pending requests failed. */
    public void onClose(Consumer<Throwable> listener) {
        closeListener = listener;
    }

    /** Messages for which this returns false are dropped as if never received (fault injection for tests). */
    public void setInboundFilter(Predicate<JsonObject> filter) {
        inboundFilter = filter;
    }

    public void onTrace(Consumer<String> t) {
        trace = t;
    }

    public synchronized void start() {
        if (reader != null) return;
        reader = daemon(this::readLoop, name + "-reader");
        reader.start();
    }

    public boolean isClosed() {
        return closed.get();
    }

    public CompletableFuture<JsonElement> request(String method, Object params) {
        CompletableFuture<JsonElement> f = new CompletableFuture<>();
        if (closed.get()) {
            f.completeExceptionally(new JsonRpcException(JsonRpcException.CONNECTION_CLOSED, "connection closed: " + method));
            return f;
        }
        long id = nextId.getAndIncrement();
        pending.put(String.valueOf(id), f);
        JsonObject msg = new JsonObject();
        msg.addProperty("jsonrpc", "2.0");
        msg.addProperty("id", id);
        msg.addProperty("method", method);
        if (params != null) msg.add("params", Json.tree(params));
        try {
            send(msg);
        } catch (IOException e) {
            pending.remove(String.valueOf(id));
            f.completeExceptionally(new JsonRpcException(JsonRpcException.CONNECTION_CLOSED, "could not send " + method + ": " + e.getMessage()));
        }
        return f;
    }

    public void notify(String method, Object params) throws IOException {
        JsonObject msg = new JsonObject();
        msg.addProperty("jsonrpc", "2.0");
        msg.addProperty("method", method);
        if (params != null) msg.add("params", Json.tree(params));
        send(msg);
    }

    private void send(JsonObject msg) throws IOException {
        trace.accept("--> " + msg);
        MessageFraming.write(out, msg);
    }

    private void readLoop() {
        Throwable failure = null;
        try {
            for (;;) {
                JsonElement msg = MessageFraming.read(in);
                if (msg == null) break;
                if (!msg.isJsonObject()) continue;
                JsonObject o = msg.getAsJsonObject();
                trace.accept("<-- " + o);
                if (!inboundFilter.test(o)) continue;
                dispatch(o);
            }
        } catch (IOException | RuntimeException e) {
            failure = e;
        } finally {
            shutdown(failure);
        }
    }

    private void dispatch(JsonObject o) {
        boolean hasMethod = o.has("method");
        boolean hasId = o.has("id") && !o.get("id").isJsonNull();
        if (hasMethod && hasId) {
            JsonElement id = o.get("id");
            String method = o.get("method").getAsString();
            JsonElement params = o.has("params") ? o.get("params") : JsonNull.INSTANCE;
            requests.execute(() -> answer(id, method, params));
        } else if (hasMethod) {
            String method = o.get("method").getAsString();
            JsonElement params = o.has("params") ? o.get("params") : JsonNull.INSTANCE;
            notifications.execute(() -> {
                try {
                    notificationHandler.onNotification(method, params);
                } catch (RuntimeException e) {
                    trace.accept("notification handler failed on " + method + ": " + e);
                }
            });
        } else if (hasId) {
            CompletableFuture<JsonElement> f = pending.remove(idKey(o.get("id")));
            if (f == null) return;
            if (o.has("error") && !o.get("error").isJsonNull()) {
                JsonObject err = o.getAsJsonObject("error");
                f.completeExceptionally(new JsonRpcException(Json.integer(err, "code", JsonRpcException.INTERNAL_ERROR),
                        Json.str(err, "message"), err.get("data")));
            } else {
                f.complete(o.has("result") ? o.get("result") : JsonNull.INSTANCE);
            }
        }
    }

    private static String idKey(JsonElement id) {
        if (id.isJsonPrimitive()) {
            JsonPrimitive p = id.getAsJsonPrimitive();
            if (p.isNumber()) return String.valueOf(p.getAsLong());
            return p.getAsString();
        }
        return id.toString();
    }

    private void answer(JsonElement id, String method, JsonElement params) {
        JsonObject msg = new JsonObject();
        msg.addProperty("jsonrpc", "2.0");
        msg.add("id", id);
        try {
            JsonElement result = requestHandler.onRequest(method, params);
            msg.add("result", result == null ? JsonNull.INSTANCE : result);
        } catch (JsonRpcException e) {
            msg.add("error", error(e.code, e.getMessage()));
        } catch (Exception e) {
            msg.add("error", error(JsonRpcException.INTERNAL_ERROR, method + " failed in the client: " + e));
        }
        try {
            send(msg);
        } catch (IOException e) {
            trace.accept("could not answer " + method + ": " + e.getMessage());
        }
    }

    private static JsonObject error(int code, String message) {
        JsonObject err = new JsonObject();
        err.addProperty("code", code);
        err.addProperty("message", message == null ? "" : message);
        return err;
    }

    private void shutdown(Throwable failure) {
        if (!closed.compareAndSet(false, true)) return;
        JsonRpcException gone = new JsonRpcException(JsonRpcException.CONNECTION_CLOSED,
                "the server connection closed" + (failure != null ? ": " + failure.getMessage() : ""));
        for (CompletableFuture<JsonElement> f : pending.values()) f.completeExceptionally(gone);
        pending.clear();
        // After the notifications already received: the listener sees them handled first.
        notifications.execute(() -> closeListener.accept(failure));
        notifications.shutdown();
        requests.shutdown();
    }

    @Override
    public void close() {
        try {
            out.close();
        } catch (IOException ignored) {
            // already gone
        }
        try {
            in.close();
        } catch (IOException ignored) {
            // already gone
        }
        shutdown(null);
    }
}
