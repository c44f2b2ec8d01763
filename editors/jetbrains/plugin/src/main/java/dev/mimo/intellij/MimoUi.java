package dev.mimo.intellij;

import com.intellij.notification.NotificationAction;
import com.intellij.notification.NotificationGroupManager;
import com.intellij.notification.NotificationType;
import com.intellij.openapi.application.ApplicationManager;
import com.intellij.openapi.options.ShowSettingsUtil;
import com.intellij.openapi.progress.ProgressIndicator;
import com.intellij.openapi.progress.ProgressManager;
import com.intellij.openapi.progress.Task;
import com.intellij.openapi.project.Project;
import com.intellij.openapi.wm.ToolWindowManager;
import org.jetbrains.annotations.NotNull;

import java.util.function.Consumer;
import java.util.function.Supplier;

/** Background calls, notifications and "Open Settings": the only UI plumbing the actions share. */
final class MimoUi {
    static final String GROUP = "MiMo";
    static final String TOOL_WINDOW = "MiMo";

    private MimoUi() {}

    /** Runs a blocking server call with a progress indicator, then hands its result to the EDT. */
    static <T> void background(Project project, String title, Supplier<T> call, Consumer<T> onEdt) {
        ProgressManager.getInstance().run(new Task.Backgroundable(project, title, false) {
            @Override
            public void run(@NotNull ProgressIndicator indicator) {
                T result;
                try {
                    result = call.get();
                } catch (RuntimeException e) {
                    error(project, e.getMessage() != null && e.getMessage().startsWith("MiMo") ? e.getMessage() : "MiMo: " + e.getMessage());
                    return;
                }
                ApplicationManager.getApplication().invokeLater(() -> onEdt.accept(result), project.getDisposed());
            }
        });
    }

    static void error(Project project, String message) {
        notify(project, message, NotificationType.ERROR, false);
    }

    static void info(Project project, String message) {
        notify(project, message, NotificationType.INFORMATION, false);
    }

    /** A balloon; errors offer Open Settings, a finished task offers Review Changes. */
    static void notify(Project project, String message, NotificationType type, boolean offerReview) {
        var n = NotificationGroupManager.getInstance().getNotificationGroup(GROUP).createNotification(message, type);
        if (type == NotificationType.ERROR)
            n.addAction(NotificationAction.createSimple("Open Settings", () -> ShowSettingsUtil.getInstance().showSettingsDialog(project, MimoConfigurable.class)));
        if (offerReview) n.addAction(NotificationAction.createSimple("Review Changes", () -> MimoActions.review(project)));
        n.notify(project);
    }

    static void showToolWindow(Project project) {
        var tw = ToolWindowManager.getInstance(project).getToolWindow(TOOL_WINDOW);
        if (tw != null) tw.show();
    }
}
