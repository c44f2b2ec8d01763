package dev.mimo.intellij;

import com.intellij.openapi.project.DumbAware;
import com.intellij.openapi.project.Project;
import com.intellij.openapi.ui.SimpleToolWindowPanel;
import com.intellij.openapi.wm.ToolWindow;
import com.intellij.openapi.wm.ToolWindowFactory;
import com.intellij.ui.JBSplitter;
import com.intellij.ui.components.JBLabel;
import com.intellij.ui.components.JBList;
import com.intellij.ui.components.JBScrollPane;
import com.intellij.ui.content.Content;
import com.intellij.ui.content.ContentFactory;
import com.intellij.ui.treeStructure.Tree;
import com.intellij.util.ui.JBUI;
import dev.mimo.core.model.CheckpointModel;
import dev.mimo.core.model.PlanModel;
import dev.mimo.core.model.TaskState;
import org.jetbrains.annotations.NotNull;

import javax.swing.DefaultListModel;
import javax.swing.JMenuItem;
import javax.swing.JPanel;
import javax.swing.JPopupMenu;
import javax.swing.SwingUtilities;
import javax.swing.tree.DefaultMutableTreeNode;
import javax.swing.tree.DefaultTreeModel;
import java.awt.BorderLayout;
import java.awt.event.MouseAdapter;
import java.awt.event.MouseEvent;

/** The MiMo tool window: the status line, the plan tree and the checkpoint timeline (click = that step's diff). */
public final class MimoToolWindowFactory implements ToolWindowFactory, DumbAware {
    @Override
    public void createToolWindowContent(@NotNull Project project, @NotNull ToolWindow toolWindow) {
        MimoProjectService mimo = MimoProjectService.getInstance(project);
        JBLabel status = new JBLabel();
        status.setBorder(JBUI.Borders.empty(4, 6));

        DefaultMutableTreeNode root = new DefaultMutableTreeNode("Plan");
        DefaultTreeModel treeModel = new DefaultTreeModel(root);
        Tree plan = new Tree(treeModel);
        plan.setRootVisible(false);

        DefaultListModel<CheckpointModel.Item> listModel = new DefaultListModel<>();
        JBList<CheckpointModel.Item> checkpoints = new JBList<>(listModel);
        checkpoints.getEmptyText().setText("No checkpoints yet");
        checkpoints.addMouseListener(new MouseAdapter() {
            @Override
            public void mouseClicked(MouseEvent e) {
                int i = checkpoints.locationToIndex(e.getPoint());
                if (i < 0) return;
                CheckpointModel.Item item = listModel.get(i);
                if (SwingUtilities.isLeftMouseButton(e)) MimoDiffs.showCheckpoint(project, item);
            }

            @Override
            public void mousePressed(MouseEvent e) {
                popup(e);
            }

            @Override
            public void mouseReleased(MouseEvent e) {
                popup(e);
            }

            private void popup(MouseEvent e) {
                if (!e.isPopupTrigger()) return;
                int i = checkpoints.locationToIndex(e.getPoint());
                if (i < 0) return;
                CheckpointModel.Item item = listModel.get(i);
                JPopupMenu menu = new JPopupMenu();
                JMenuItem show = new JMenuItem("Show Diff");
                show.addActionListener(a -> MimoDiffs.showCheckpoint(project, item));
                JMenuItem restore = new JMenuItem("Restore This Checkpoint...");
                restore.addActionListener(a -> MimoActions.restore(project, item.taskId, item.checkpointId));
                menu.add(show);
                menu.add(restore);
                menu.show(checkpoints, e.getX(), e.getY());
            }
        });

        Runnable refresh = () -> {
            TaskState st = mimo.tracker().state();
            status.setText(st.statusText());
            status.setToolTipText("<html>" + st.tooltip(MimoSettingsState.getInstance().toCore().model).replace("\n", "<br>") + "</html>");
            root.removeAllChildren();
            for (PlanModel.Item n : mimo.tracker().plan().items())
                root.add(new DefaultMutableTreeNode(n.title + "  [" + n.description() + "]" + (n.detail.isEmpty() ? "" : "  " + n.detail)));
            treeModel.reload();
            listModel.clear();
            for (CheckpointModel.Item c : mimo.tracker().checkpoints().items()) listModel.addElement(c);
        };

        JBSplitter split = new JBSplitter(true, 0.5f);
        split.setFirstComponent(new JBScrollPane(plan));
        split.setSecondComponent(new JBScrollPane(checkpoints));
        JPanel body = new JPanel(new BorderLayout());
        body.add(status, BorderLayout.NORTH);
        body.add(split, BorderLayout.CENTER);
        SimpleToolWindowPanel panel = new SimpleToolWindowPanel(true, true);
        panel.setContent(body);

        Content content = ContentFactory.getInstance().createContent(panel, "", false);
        toolWindow.getContentManager().addContent(content);
        mimo.addViewListener(refresh, content);
        refresh.run();
        // a task shown before (an earlier IDE session): start the server, whose start refills the views
        if (mimo.currentTask() != null) mimo.ensureServer();
    }
}
