package dev.mimo.core.session;

import com.google.gson.JsonElement;

import java.util.concurrent.CompletableFuture;

/**
 * Sends workspace/executeCommand with ONE argument object. Implemented by the core's own stdio session
 * (StdioServer) and, in the IDE, by the glue over LSP4IJ's connection.
 */
public interface CommandTransport {
    CompletableFuture<JsonElement> executeCommand(String command, Object params);
}
