package dev.mimo.intellij;

import com.intellij.openapi.project.Project;
import com.intellij.openapi.ui.DialogWrapper;
import com.intellij.openapi.ui.ValidationInfo;
import com.intellij.ui.components.JBLabel;
import com.intellij.ui.components.JBScrollPane;
import com.intellij.ui.components.JBTextArea;
import com.intellij.ui.components.JBTextField;
import com.intellij.util.ui.FormBuilder;
import org.jetbrains.annotations.Nullable;

import javax.swing.JComponent;

/** MiMo: Start Task: the goal and an optional acceptance command (exit 0 = verified). */
final class StartTaskDialog extends DialogWrapper {
    private final JBTextArea goal = new JBTextArea(6, 60);
    private final JBTextField check = new JBTextField();

    StartTaskDialog(Project project) {
        super(project);
        setTitle("MiMo: Start Task");
        goal.setLineWrap(true);
        goal.setWrapStyleWord(true);
        check.getEmptyText().setText("e.g. python -m pytest -q (optional)");
        init();
    }

    @Override
    protected @Nullable JComponent createCenterPanel() {
        return FormBuilder.createFormBuilder()
                .addLabeledComponent(new JBLabel("What should the agent do?"), new JBScrollPane(goal), true)
                .addLabeledComponent(new JBLabel("Acceptance command:"), check)
                .addComponentToRightColumn(new JBLabel("Run in the project at the end; exit 0 = verified. Empty: no check."))
                .getPanel();
    }

    @Override
    public @Nullable JComponent getPreferredFocusedComponent() {
        return goal;
    }

    @Override
    protected @Nullable ValidationInfo doValidate() {
        String g = goal.getText().trim();
        if (g.isEmpty()) return new ValidationInfo("Describe the goal", goal);
        if (g.length() > 20000) return new ValidationInfo("At most 20000 characters", goal);
        return null;
    }

    String goal() {
        return goal.getText().trim();
    }

    String check() {
        return check.getText().trim();
    }
}
