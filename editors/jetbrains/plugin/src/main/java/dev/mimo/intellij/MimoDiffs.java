package dev.mimo.intellij;

import com.intellij.diff.DiffContentFactory;
import com.intellij.diff.DiffDialogHints;
import com.intellij.diff.DiffManager;
import com.intellij.diff.chains.SimpleDiffRequestChain;
import com.intellij.diff.requests.DiffRequest;
import com.intellij.diff.requests.SimpleDiffRequest;
import com.intellij.openapi.fileTypes.FileType;
import com.intellij.openapi.fileTypes.FileTypeManager;
import com.intellij.openapi.project.Project;
import dev.mimo.core.Payloads;
import dev.mimo.core.model.CheckpointModel;
import dev.mimo.core.model.ReviewModel;
import dev.mimo.core.model.UnifiedDiff;

import java.util.ArrayList;
import java.util.List;

/** A step's or a hunk's change in IntelliJ's diff viewer (the sides come from the core's UnifiedDiff). */
final class MimoDiffs {
    private MimoDiffs() {}

    static void showCheckpoint(Project project, CheckpointModel.Item item) {
        List<UnifiedDiff.FileDiff> files = UnifiedDiff.parse(item.diff);
        if (files.isEmpty()) {
            MimoUi.info(project, "MiMo: step " + item.step + " (" + item.nodeId + ") changed no file");
            return;
        }
        List<DiffRequest> requests = new ArrayList<>();
        for (UnifiedDiff.FileDiff f : files) {
            requests.add(request(project, f.path(), "#" + item.checkpointId + " step " + item.step + ": " + f.path()
                    + " (+" + f.added() + " -" + f.removed() + ")", f.left(), f.right(), "before the step", "after the step"));
        }
        DiffManager.getInstance().showDiff(project, new SimpleDiffRequestChain(requests), DiffDialogHints.DEFAULT);
    }

    static void showHunk(Project project, String path, Payloads.Hunk hunk) {
        String[] sides = ReviewModel.hunkSides(hunk);
        DiffManager.getInstance().showDiff(project, request(project, path, path + " " + hunk.header, sides[0], sides[1],
                "task start", "the agent's change"), DiffDialogHints.DEFAULT);
    }

    private static SimpleDiffRequest request(Project project, String path, String title, String left, String right, String leftTitle, String rightTitle) {
        FileType type = FileTypeManager.getInstance().getFileTypeByFileName(path);
        DiffContentFactory f = DiffContentFactory.getInstance();
        return new SimpleDiffRequest(title, f.create(project, left, type), f.create(project, right, type), leftTitle, rightTitle);
    }
}
