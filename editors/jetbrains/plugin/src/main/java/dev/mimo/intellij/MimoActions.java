package dev.mimo.intellij;

import com.intellij.openapi.actionSystem.ActionUpdateThread;
import com.intellij.openapi.actionSystem.AnAction;
import com.intellij.openapi.actionSystem.AnActionEvent;
import com.intellij.openapi.fileEditor.OpenFileDescriptor;
import com.intellij.openapi.project.DumbAware;
import com.intellij.openapi.project.Project;
import com.intellij.openapi.ui.Messages;
import com.intellij.openapi.ui.popup.JBPopupFactory;
import com.intellij.openapi.vfs.LocalFileSystem;
import com.intellij.openapi.vfs.VirtualFile;
import dev.mimo.core.Payloads;
import dev.mimo.core.model.ReviewModel;
import org.jetbrains.annotations.NotNull;

import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Function;

/** The "MiMo" action group (plugin.xml): each action is a dialog or a pick, then one call of the core's MimoApi. */
public final class MimoActions {
    private MimoActions() {}

    abstract static class MimoAction extends AnAction implements DumbAware {
        @Override
        public @NotNull ActionUpdateThread getActionUpdateThread() {
            return ActionUpdateThread.BGT;
        }

        @Override
        public void update(@NotNull AnActionEvent e) {
            e.getPresentation().setEnabled(e.getProject() != null);
        }

        @Override
        public void actionPerformed(@NotNull AnActionEvent e) {
            Project project = e.getProject();
            if (project != null) run(project, MimoProjectService.getInstance(project));
        }

        abstract void run(Project project, MimoProjectService mimo);
    }

    /** A labelled choice in a popup list. */
    static final class Choice<T> {
        final String label;
        final T value;

        Choice(String label, T value) {
            this.label = label;
            this.value = value;
        }

        @Override
        public String toString() {
            return label;
        }
    }

    static <T> void choose(Project project, String title, List<T> items, Function<T, String> label, Consumer<T> chosen) {
        List<Choice<T>> choices = new ArrayList<>();
        for (T t : items) choices.add(new Choice<>(label.apply(t), t));
        JBPopupFactory.getInstance().createPopupChooserBuilder(choices)
                .setTitle(title)
                .setNamerForFiltering(c -> c.label)
                .setItemChosenCallback(c -> chosen.accept(c.value))
                .createPopup()
                .showCenteredInCurrentWindow(project);
    }

    public static final class StartTask extends MimoAction {
        @Override
        void run(Project project, MimoProjectService mimo) {
            StartTaskDialog d = new StartTaskDialog(project);
            if (!d.showAndGet()) return;
            MimoUi.background(project, "MiMo: starting task", () -> mimo.startTask(d.goal(), d.check()), r -> {
                MimoUi.showToolWindow(project);
                MimoUi.info(project, "MiMo: task " + r.taskId + " started with model " + r.model);
            });
        }
    }

    public static final class CancelTask extends MimoAction {
        @Override
        void run(Project project, MimoProjectService mimo) {
            String taskId = mimo.currentTask();
            if (taskId == null) {
                MimoUi.info(project, "MiMo: no task to cancel");
                return;
            }
            MimoUi.background(project, "MiMo: cancelling", () -> mimo.api().taskCancel(taskId),
                    r -> MimoUi.info(project, "MiMo: cancel " + (r.cancelled ? "requested" : "not needed") + " (" + r.status + ")"));
        }
    }

    public static final class ResumeTask extends MimoAction {
        @Override
        void run(Project project, MimoProjectService mimo) {
            MimoUi.background(project, "MiMo: listing tasks", () -> mimo.api().taskStatus(null, mimo.workspace()), r -> {
                List<Payloads.TaskInfo> resumable = new ArrayList<>();
                for (Payloads.TaskInfo t : r.tasks)
                    if (List.of("interrupted", "cancelled", "restored").contains(t.status)) resumable.add(t);
                if (resumable.isEmpty()) {
                    MimoUi.info(project, "MiMo: no interrupted, cancelled or restored task to resume");
                    return;
                }
                choose(project, "Resume which task?", resumable, t -> t.goal + "  [" + t.status + ", " + t.taskId + "]",
                        t -> MimoUi.background(project, "MiMo: resuming", () -> mimo.resumeTask(t.taskId), x -> MimoUi.showToolWindow(project)));
            });
        }
    }

    public static final class Review extends MimoAction {
        @Override
        void run(Project project, MimoProjectService mimo) {
            review(project);
        }
    }

    /** The current task's pending hunks: pick one to see it in the diff viewer and accept or reject it. */
    static void review(Project project) {
        MimoProjectService mimo = MimoProjectService.getInstance(project);
        String taskId = mimo.currentTask();
        if (taskId == null) {
            MimoUi.info(project, "MiMo: no task to review");
            return;
        }
        MimoUi.background(project, "MiMo: reading the change set", () -> mimo.api().reviewGet(taskId, mimo.workspace()), review -> {
            List<ReviewModel.HunkChoice> pending = ReviewModel.hunkChoices(review, true);
            if (pending.isEmpty()) {
                MimoUi.info(project, "MiMo: no pending hunks to review");
                return;
            }
            List<Object> items = new ArrayList<>(pending);
            items.add("Accept All (" + pending.size() + ")");
            items.add("Reject All (" + pending.size() + ")");
            choose(project, "MiMo: " + pending.size() + " pending change(s)", items,
                    o -> o instanceof ReviewModel.HunkChoice ? ((ReviewModel.HunkChoice) o).label + "   " + ((ReviewModel.HunkChoice) o).description + "   " + ((ReviewModel.HunkChoice) o).detail : (String) o,
                    o -> {
                        if (o instanceof ReviewModel.HunkChoice) decideHunk(project, taskId, (ReviewModel.HunkChoice) o);
                        else decide(project, taskId, ((String) o).startsWith("Accept"), null, null);
                    });
        });
    }

    private static void decideHunk(Project project, String taskId, ReviewModel.HunkChoice h) {
        MimoDiffs.showHunk(project, h.path, h.hunk);
        int answer = Messages.showDialog(project, ReviewModel.hunkPreview(h.path, h.hunk), "MiMo: " + h.label,
                new String[] {"Accept", "Reject", "Cancel"}, 0, Messages.getQuestionIcon());
        if (answer == 0 || answer == 1) decide(project, taskId, answer == 0, h.path, List.of(h.hunkId));
    }

    private static void decide(Project project, String taskId, boolean accept, String path, List<String> hunkIds) {
        MimoProjectService mimo = MimoProjectService.getInstance(project);
        MimoUi.background(project, accept ? "MiMo: accepting" : "MiMo: rejecting", () -> accept
                ? mimo.api().reviewAccept(taskId, path, hunkIds, mimo.workspace())
                : mimo.api().reviewReject(taskId, path, hunkIds, mimo.workspace()), r -> {
            StringBuilder msg = new StringBuilder("MiMo: " + (accept ? "accepted " : "rejected ") + r.decided.size() + " hunk(s)");
            for (Payloads.HunkConflict c : r.conflicts) msg.append("; conflict in ").append(c.path).append(": ").append(c.reason);
            MimoUi.info(project, msg.toString());
            LocalFileSystem.getInstance().refresh(true);
            review(project); // the next pending hunk, if any
        });
    }

    public static final class RestoreCheckpoint extends MimoAction {
        @Override
        void run(Project project, MimoProjectService mimo) {
            String taskId = mimo.currentTask();
            if (taskId == null) {
                MimoUi.info(project, "MiMo: no task");
                return;
            }
            MimoUi.background(project, "MiMo: listing checkpoints", () -> mimo.api().checkpointList(taskId, mimo.workspace()), r -> {
                List<Payloads.CheckpointEntry> entries = new ArrayList<>();
                Payloads.CheckpointEntry start = new Payloads.CheckpointEntry();
                start.id = 0;
                start.tool = "task start";
                start.state = "before any change";
                entries.add(start);
                entries.addAll(r.checkpoints);
                choose(project, "MiMo: restore which checkpoint?", entries,
                        c -> c.id == 0 ? "#0 task start (before any change)" : "#" + c.id + " step " + c.step + " " + c.tool + "  [" + c.state + "] " + String.join(", ", c.files),
                        c -> restore(project, taskId, c.id));
            });
        }
    }

    static void restore(Project project, String taskId, long checkpointId) {
        MimoProjectService mimo = MimoProjectService.getInstance(project);
        choose(project, "MiMo: restore checkpoint #" + checkpointId, List.of("both", "files", "task"), m -> m + ": " + switch (m) {
            case "files" -> "the working tree as right after that checkpoint";
            case "task" -> "set later actions aside so Resume continues from there";
            default -> "files and task state";
        }, mode -> MimoUi.background(project, "MiMo: restoring", () -> mimo.api().checkpointRestore(taskId, checkpointId, mode, mimo.workspace()), r -> {
            LocalFileSystem.getInstance().refresh(true);
            StringBuilder msg = new StringBuilder("MiMo: restored " + r.restored.size() + " file(s)");
            for (Payloads.PathConflict c : r.conflicts) msg.append("; conflict: ").append(c.path).append(": ").append(c.reason);
            MimoUi.info(project, msg.toString());
        }));
    }

    public static final class SearchCodebase extends MimoAction {
        @Override
        void run(Project project, MimoProjectService mimo) {
            String query = Messages.showInputDialog(project, "Describe what you are looking for", "MiMo: Search Codebase", null);
            if (query == null || query.isBlank()) return;
            MimoUi.background(project, "MiMo: indexing and searching", () -> mimo.api().indexSearch(query.trim(), 20, mimo.workspace()), r -> {
                if (r.hits.isEmpty()) {
                    MimoUi.info(project, "MiMo: no hits for \"" + query + "\"");
                    return;
                }
                choose(project, "MiMo: " + r.hits.size() + " hit(s) for \"" + query + "\"", r.hits,
                        h -> h.path + ":" + h.startLine + "  " + (h.symbol == null ? "" : h.symbol) + " " + (h.kind == null ? "" : h.kind)
                                + String.format(java.util.Locale.ROOT, "  %.3f", h.score),
                        h -> open(project, mimo.workspace(), h));
            });
        }
    }

    static void open(Project project, String workspace, Payloads.IndexSearchHit hit) {
        Path p = Paths.get(hit.path);
        if (!p.isAbsolute() && workspace != null) p = Paths.get(workspace).resolve(hit.path);
        VirtualFile f = LocalFileSystem.getInstance().refreshAndFindFileByPath(p.toString());
        if (f == null) {
            MimoUi.error(project, "MiMo: " + p + " is not there any more");
            return;
        }
        new OpenFileDescriptor(project, f, Math.max(0, hit.startLine - 1), 0).navigate(true);
    }
}
