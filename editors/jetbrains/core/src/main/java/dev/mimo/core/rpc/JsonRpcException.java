package dev.mimo.core.rpc;

import com.google.gson.JsonElement;

/** A JSON-RPC error answer (code, message, data), or a connection that closed under a request (code 0). */
public class JsonRpcException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public static final int METHOD_NOT_FOUND = -32601;
    public static final int INVALID_PARAMS = -32602;
    public static final int INTERNAL_ERROR = -32603;
    /** not a JSON-RPC code: the connection closed before the answer */
    public static final int CONNECTION_CLOSED = 0;

    public final int code;
    public final transient JsonElement data;

    public JsonRpcException(int code, String message, JsonElement data) {
        super(message);
        this.code = code;
        this.data = data;
    }

    public JsonRpcException(int code, String message) {
        this(code, message, null);
    }
}
