package dev.mimo.intellij;

import com.google.gson.JsonElement;
import com.intellij.openapi.project.Project;
import com.redhat.devtools.lsp4ij.ServerStatus;
import com.redhat.devtools.lsp4ij.client.LanguageClientImpl;
import dev.mimo.core.Protocol.Notifications;
import org.eclipse.lsp4j.jsonrpc.services.JsonNotification;

/**
 * LSP4IJ's client plus the mimo/task/* notifications, handed to the project's TaskTracker. Progress,
 * confirmations (window/showMessageRequest) and workspace/applyEdit are LSP4IJ's own.
 */
public final class MimoLanguageClient extends LanguageClientImpl {
    public MimoLanguageClient(Project project) {
        super(project);
    }

    private void forward(String method, Object params) {
        if (isDisposed()) return;
        JsonElement json = Lsp4ijJson.toCore(params);
        if (json.isJsonObject()) MimoProjectService.getInstance(getProject()).onNotification(method, json.getAsJsonObject());
    }

    @JsonNotification(Notifications.PLAN)
    public void plan(Object params) {
        forward(Notifications.PLAN, params);
    }

    @JsonNotification(Notifications.NODE)
    public void node(Object params) {
        forward(Notifications.NODE, params);
    }

    @JsonNotification(Notifications.STEP)
    public void step(Object params) {
        forward(Notifications.STEP, params);
    }

    @JsonNotification(Notifications.CHECKPOINT)
    public void checkpoint(Object params) {
        forward(Notifications.CHECKPOINT, params);
    }

    @JsonNotification(Notifications.TOKEN)
    public void token(Object params) {
        forward(Notifications.TOKEN, params);
    }

    @JsonNotification(Notifications.DONE)
    public void done(Object params) {
        forward(Notifications.DONE, params);
    }

    /** Each (re)start of the server: catch up on the current task from mimo.task.events. */
    @Override
    public void handleServerStatusChanged(ServerStatus serverStatus) {
        if (serverStatus == ServerStatus.started && !isDisposed()) MimoProjectService.getInstance(getProject()).serverStarted();
    }
}
