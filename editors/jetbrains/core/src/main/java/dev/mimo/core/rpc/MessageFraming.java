package dev.mimo.core.rpc;

import com.google.gson.JsonElement;
import com.google.gson.JsonParser;
import dev.mimo.core.Json;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/** LSP base protocol: "Content-Length: N\r\n" headers, an empty line, then N bytes of UTF-8 JSON. */
public final class MessageFraming {
    private MessageFraming() {}

    /** The next message, or null at a clean end of stream (between messages). */
    public static JsonElement read(InputStream in) throws IOException {
        int length = -1;
        boolean any = false;
        for (;;) {
            String header = readHeaderLine(in, any);
            if (header == null) return null;
            any = true;
            if (header.isEmpty()) {
                if (length < 0) throw new IOException("message without Content-Length");
                break;
            }
            int colon = header.indexOf(':');
            if (colon < 0) throw new IOException("bad header line: " + header);
            String name = header.substring(0, colon).trim().toLowerCase(Locale.ROOT);
            if (name.equals("content-length")) {
                try {
                    length = Integer.parseInt(header.substring(colon + 1).trim());
                } catch (NumberFormatException e) {
                    throw new IOException("bad Content-Length: " + header);
                }
            }
        }
        byte[] body = in.readNBytes(length);
        if (body.length < length) throw new EOFException("stream ended inside a message (" + body.length + " of " + length + " bytes)");
        return JsonParser.parseString(new String(body, StandardCharsets.UTF_8));
    }

    /** One header line without its CRLF; null at end of stream before any byte of a message. */
    private static String readHeaderLine(InputStream in, boolean inMessage) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream(64);
        for (;;) {
            int b = in.read();
            if (b < 0) {
                if (!inMessage && line.size() == 0) return null;
                throw new EOFException("stream ended inside the headers");
            }
            if (b == '\n') {
                byte[] bytes = line.toByteArray();
                int n = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
                return new String(bytes, 0, n, StandardCharsets.US_ASCII);
            }
            line.write(b);
            if (line.size() > 8192) throw new IOException("header line too long");
        }
    }

    public static void write(OutputStream out, JsonElement message) throws IOException {
        byte[] body = Json.GSON.toJson(message).getBytes(StandardCharsets.UTF_8);
        byte[] head = ("Content-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        synchronized (out) {
            out.write(head);
            out.write(body);
            out.flush();
        }
    }
}
