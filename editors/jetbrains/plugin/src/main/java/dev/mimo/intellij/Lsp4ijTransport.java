package dev.mimo.intellij;

import com.google.gson.JsonElement;
import com.intellij.openapi.project.Project;
import com.redhat.devtools.lsp4ij.LanguageServerManager;
import com.redhat.devtools.lsp4ij.ServerStatus;
import dev.mimo.core.rpc.JsonRpcException;
import dev.mimo.core.session.CommandTransport;
import org.eclipse.lsp4j.ExecuteCommandParams;
import org.eclipse.lsp4j.jsonrpc.ResponseErrorException;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/** workspace/executeCommand over LSP4IJ's connection to the "mimo" server (started on first use). */
final class Lsp4ijTransport implements CommandTransport {
    private final Project project;

    Lsp4ijTransport(Project project) {
        this.project = project;
    }

    /** Starts the "mimo" server unless it runs or is starting (no open file is needed). */
    static void ensureStarted(Project project) {
        LanguageServerManager manager = LanguageServerManager.getInstance(project);
        ServerStatus status = manager.getServerStatus(MimoLanguageServerFactory.SERVER_ID);
        if (status != ServerStatus.started && status != ServerStatus.starting) {
            manager.start(MimoLanguageServerFactory.SERVER_ID,
                    new LanguageServerManager.StartOptions().setForceStart(true).setForceRestart(false).setWillEnable(true));
        }
    }

    @Override
    public CompletableFuture<JsonElement> executeCommand(String command, Object params) {
        ensureStarted(project);
        LanguageServerManager manager = LanguageServerManager.getInstance(project);
        ExecuteCommandParams p = new ExecuteCommandParams(command, List.of(Lsp4ijJson.toPlain(params)));
        return manager.getLanguageServer(MimoLanguageServerFactory.SERVER_ID)
                .thenCompose(item -> {
                    if (item == null) throw new CompletionException(new JsonRpcException(JsonRpcException.CONNECTION_CLOSED,
                            "MiMo: the server is not running (see the notification about starting it, or Settings | Tools | MiMo)"));
                    return item.getInitializedServer();
                })
                .thenCompose(server -> server.getWorkspaceService().executeCommand(p))
                .thenApply(Lsp4ijJson::toCore)
                .handle((result, error) -> {
                    if (error == null) return result;
                    Throwable e = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
                    if (e instanceof ResponseErrorException) {
                        var r = ((ResponseErrorException) e).getResponseError();
                        throw new CompletionException(new JsonRpcException(r.getCode(), r.getMessage()));
                    }
                    if (e instanceof JsonRpcException) throw new CompletionException(e);
                    throw new CompletionException(new JsonRpcException(JsonRpcException.INTERNAL_ERROR, command + ": " + e.getMessage()));
                });
    }
}
