package dev.mimo.core;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import dev.mimo.core.rpc.JsonRpcConnection;
import dev.mimo.core.rpc.JsonRpcException;
import dev.mimo.core.rpc.MessageFraming;
import org.junit.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.Assert.*;

/** LSP framing and the JSON-RPC endpoint, two endpoints talking over pipes. */
public class JsonRpcTest {
    @Test
    public void contentLengthCountsUtf8BytesNotCharacters() throws IOException {
        JsonObject msg = new JsonObject();
        msg.addProperty("text", "caf\u00e9 \u6f22\u5b57 \ud83d\ude00");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        MessageFraming.write(out, msg);
        MessageFraming.write(out, new JsonPrimitive(2));
        String wire = out.toString(StandardCharsets.UTF_8);
        int body = Json.GSON.toJson(msg).getBytes(StandardCharsets.UTF_8).length;
        assertTrue(wire, wire.startsWith("Content-Length: " + body + "\r\n\r\n{"));
        assertNotEquals("the test text must have multi-byte characters", Json.GSON.toJson(msg).length(), body);
        ByteArrayInputStream in = new ByteArrayInputStream(out.toByteArray());
        assertEquals(msg, MessageFraming.read(in));
        assertEquals(new JsonPrimitive(2), MessageFraming.read(in));
        assertNull("clean end of stream", MessageFraming.read(in));
    }

    @Test
    public void otherHeadersAreIgnoredAndATruncatedBodyIsAnError() throws IOException {
        String framed = "Content-Type: application/vscode-jsonrpc; charset=utf-8\r\ncontent-length: 7\r\n\r\n{\"a\":1}";
        assertEquals(Json.object("{\"a\":1}"), MessageFraming.read(new ByteArrayInputStream(framed.getBytes(StandardCharsets.UTF_8))));
        try {
            MessageFraming.read(new ByteArrayInputStream("Content-Length: 20\r\n\r\n{\"a\":1}".getBytes(StandardCharsets.UTF_8)));
            fail("a body shorter than Content-Length must fail");
        } catch (EOFException expected) {
            assertTrue(expected.getMessage(), expected.getMessage().contains("7 of 20"));
        }
        try {
            MessageFraming.read(new ByteArrayInputStream("X: 1\r\n\r\n{}".getBytes(StandardCharsets.UTF_8)));
            fail("a message without Content-Length must fail");
        } catch (IOException expected) {
            assertTrue(expected.getMessage().contains("Content-Length"));
        }
    }

    /** Two endpoints wired back to back. */
    private static JsonRpcConnection[] pair() throws IOException {
        PipedInputStream aIn = new PipedInputStream(1 << 16);
        PipedOutputStream bOut = new PipedOutputStream(aIn);
        PipedInputStream bIn = new PipedInputStream(1 << 16);
        PipedOutputStream aOut = new PipedOutputStream(bIn);
        return new JsonRpcConnection[] {new JsonRpcConnection(aIn, aOut, "a"), new JsonRpcConnection(bIn, bOut, "b")};
    }

    @Test
    public void requestsResultsErrorsAndUnhandledMethods() throws Exception {
        JsonRpcConnection[] p = pair();
        JsonRpcConnection client = p[0];
        JsonRpcConnection server = p[1];
        server.onRequest((method, params) -> {
            if (method.equals("add")) {
                JsonObject o = params.getAsJsonObject();
                return new JsonPrimitive(o.get("a").getAsInt() + o.get("b").getAsInt());
            }
            if (method.equals("bad")) throw new JsonRpcException(JsonRpcException.INVALID_PARAMS, "invalid X: goal: required");
            throw new JsonRpcException(JsonRpcException.METHOD_NOT_FOUND, "no " + method);
        });
        client.start();
        server.start();
        assertEquals(5, client.request("add", Json.object("{\"a\":2,\"b\":3}")).get(5, TimeUnit.SECONDS).getAsInt());
        try {
            client.request("bad", new JsonObject()).get(5, TimeUnit.SECONDS);
            fail();
        } catch (ExecutionException e) {
            JsonRpcException err = (JsonRpcException) e.getCause();
            assertEquals(-32602, err.code);
            assertEquals("invalid X: goal: required", err.getMessage());
        }
        // the client side has no request handler: the server's request still gets an answer (an error)
        try {
            server.request("window/unknown", null).get(5, TimeUnit.SECONDS);
            fail();
        } catch (ExecutionException e) {
            assertEquals(JsonRpcException.METHOD_NOT_FOUND, ((JsonRpcException) e.getCause()).code);
        }
        client.close();
        server.close();
    }

    @Test
    public void notificationsKeepTheirOrderAndPendingRequestsFailWhenTheStreamEnds() throws Exception {
        JsonRpcConnection[] p = pair();
        JsonRpcConnection client = p[0];
        JsonRpcConnection server = p[1];
        List<Integer> seen = Collections.synchronizedList(new ArrayList<>());
        CountDownLatch all = new CountDownLatch(200);
        CountDownLatch closed = new CountDownLatch(1);
        client.onNotification((method, params) -> {
            seen.add(params.getAsJsonObject().get("seq").getAsInt());
            all.countDown();
        });
        client.onClose(e -> closed.countDown());
        server.onRequest((m, params) -> {
            Thread.sleep(60_000); // never answers
            return null;
        });
        client.start();
        server.start();
        for (int i = 1; i <= 200; i++) {
            JsonObject o = new JsonObject();
            o.addProperty("seq", i);
            server.notify("mimo/task/token", o);
        }
        assertTrue(all.await(10, TimeUnit.SECONDS));
        List<Integer> expected = new ArrayList<>();
        for (int i = 1; i <= 200; i++) expected.add(i);
        assertEquals(expected, seen);
        var pending = client.request("slow", null);
        server.close();
        try {
            pending.get(10, TimeUnit.SECONDS);
            fail("a request pending when the stream ends must fail");
        } catch (ExecutionException e) {
            assertEquals(JsonRpcException.CONNECTION_CLOSED, ((JsonRpcException) e.getCause()).code);
        }
        assertTrue("close listener called", closed.await(10, TimeUnit.SECONDS));
        assertTrue(client.isClosed());
        JsonElement none = null;
        try {
            none = client.request("after", null).get(1, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            assertEquals(JsonRpcException.CONNECTION_CLOSED, ((JsonRpcException) e.getCause()).code);
        }
        assertNull(none);
    }
}
