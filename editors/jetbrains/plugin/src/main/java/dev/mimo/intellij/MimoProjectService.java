package dev.mimo.intellij;

import com.google.gson.JsonObject;
import com.intellij.ide.util.PropertiesComponent;
import com.intellij.openapi.Disposable;
import com.intellij.openapi.application.ApplicationManager;
import com.intellij.openapi.components.Service;
import com.intellij.openapi.diagnostic.Logger;
import com.intellij.openapi.project.Project;
import com.intellij.notification.NotificationType;
import dev.mimo.core.Events;
import dev.mimo.core.Json;
import dev.mimo.core.Payloads;
import dev.mimo.core.Protocol;
import dev.mimo.core.session.MimoApi;
import dev.mimo.core.session.TaskTracker;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/** Per project: the core's TaskTracker and MimoApi over LSP4IJ, the current task, and the views' refresh. */
@Service(Service.Level.PROJECT)
public final class MimoProjectService implements Disposable {
    private static final Logger LOG = Logger.getInstance(MimoProjectService.class);
    private static final String CURRENT_TASK = "mimo.currentTask";

    private final Project project;
    private final MimoApi api;
    private final TaskTracker tracker;
    private final AtomicInteger starts = new AtomicInteger();
    private final java.util.concurrent.atomic.AtomicBoolean refreshPending = new java.util.concurrent.atomic.AtomicBoolean();
    private final List<Runnable> viewListeners = new CopyOnWriteArrayList<>();

    public MimoProjectService(Project project) {
        this.project = project;
        this.api = new MimoApi(new Lsp4ijTransport(project), 120_000);
        this.tracker = new TaskTracker(api, project.getBasePath(), LOG::info);
        String remembered = PropertiesComponent.getInstance(project).getValue(CURRENT_TASK);
        if (remembered != null) tracker.follow(remembered); // refilled from the event log once the server is up
        tracker.addListener(this::onEvent);
    }

    public static MimoProjectService getInstance(Project project) {
        return project.getService(MimoProjectService.class);
    }

    public MimoApi api() {
        return api;
    }

    public TaskTracker tracker() {
        return tracker;
    }

    public String workspace() {
        return project.getBasePath();
    }

    public void addViewListener(Runnable r, Disposable parent) {
        viewListeners.add(r);
        com.intellij.openapi.util.Disposer.register(parent, () -> viewListeners.remove(r));
    }

    /** Coalesced: a burst of token notifications repaints the views once. */
    private void refreshViews() {
        if (!refreshPending.compareAndSet(false, true)) return;
        ApplicationManager.getApplication().invokeLater(() -> {
            refreshPending.set(false);
            for (Runnable r : viewListeners) r.run();
        }, project.getDisposed());
    }

    void onNotification(String method, JsonObject params) {
        tracker.onNotification(method, params);
    }

    private void onEvent(String method, JsonObject params, boolean replayed) {
        if (Protocol.Notifications.PLAN.equals(method)) PropertiesComponent.getInstance(project).setValue(CURRENT_TASK, Json.str(params, "taskId"));
        if (Protocol.Notifications.DONE.equals(method) && !replayed) {
            Events.DoneEvent d = Json.read(params, Events.DoneEvent.class);
            MimoUi.notify(project, "MiMo task " + d.outcome + (d.reason == null || d.reason.isEmpty() ? "" : ": " + d.reason),
                    "failed".equals(d.outcome) ? NotificationType.WARNING : NotificationType.INFORMATION, true);
        }
        refreshViews();
    }

    /** LSP4IJ says the server is up: the first start or a restart after a crash. Catch up off the EDT. */
    void serverStarted() {
        boolean restarted = starts.getAndIncrement() > 0;
        ApplicationManager.getApplication().executeOnPooledThread(() -> {
            try {
                TaskTracker.CatchUp c = tracker.catchUp(restarted);
                if (c != null) LOG.info(c.toString());
            } catch (RuntimeException e) {
                LOG.warn("MiMo catch-up failed", e);
            }
            refreshViews();
        });
    }

    // -- task commands (blocking: call off the EDT) ------------------------------------------------
    public Payloads.TaskStartResult startTask(String goal, String check) {
        String model = MimoSettingsState.getInstance().toCore().model;
        Payloads.TaskStartResult r = api.taskStart(new Payloads.TaskStartParams(goal, workspace(),
                check == null || check.isBlank() ? null : check.trim(), model.isEmpty() ? null : model));
        tracker.runStarted(r.taskId, goal, r.model);
        PropertiesComponent.getInstance(project).setValue(CURRENT_TASK, r.taskId);
        refreshViews();
        return r;
    }

    public Payloads.TaskStartResult resumeTask(String taskId) {
        String model = MimoSettingsState.getInstance().toCore().model;
        tracker.beginRun(taskId, null); // the resumed run numbers its notifications from 1 again
        Payloads.TaskStartResult r = api.taskResume(new Payloads.TaskResumeParams(taskId, workspace(), model.isEmpty() ? null : model));
        tracker.runStarted(r.taskId, null, r.model);
        PropertiesComponent.getInstance(project).setValue(CURRENT_TASK, r.taskId);
        refreshViews();
        return r;
    }

    /** Starts the server if it is not running (its start catches up on the remembered task). */
    public void ensureServer() {
        Lsp4ijTransport.ensureStarted(project);
    }

    /** The current task, if any. */
    public String currentTask() {
        return tracker.state().taskId;
    }

    @Override
    public void dispose() {
        viewListeners.clear();
    }
}
