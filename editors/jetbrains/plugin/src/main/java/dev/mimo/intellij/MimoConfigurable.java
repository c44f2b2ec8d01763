package dev.mimo.intellij;

import com.intellij.openapi.fileChooser.FileChooserDescriptorFactory;
import com.intellij.openapi.options.Configurable;
import com.intellij.openapi.project.Project;
import com.intellij.openapi.project.ProjectManager;
import com.intellij.openapi.ui.ComboBox;
import com.intellij.openapi.ui.TextFieldWithBrowseButton;
import com.intellij.ui.components.JBLabel;
import com.intellij.ui.components.JBTextField;
import com.intellij.util.ui.FormBuilder;
import com.redhat.devtools.lsp4ij.LanguageServerManager;
import com.redhat.devtools.lsp4ij.ServerStatus;
import org.jetbrains.annotations.Nls;
import org.jetbrains.annotations.Nullable;

import javax.swing.JComponent;
import java.util.Objects;

/** Settings | Tools | MiMo. A change restarts running MiMo servers so that they use it. */
public final class MimoConfigurable implements Configurable {
    private TextFieldWithBrowseButton python;
    private JBTextField serverCommand;
    private JBTextField model;
    private JBTextField gpuLayers;
    private ComboBox<String> policy;

    @Override
    public @Nls String getDisplayName() {
        return "MiMo";
    }

    @Override
    public @Nullable JComponent createComponent() {
        python = new TextFieldWithBrowseButton();
        python.addBrowseFolderListener(null, FileChooserDescriptorFactory.createSingleFileNoJarsDescriptor().withTitle("Python Interpreter"));
        serverCommand = new JBTextField();
        serverCommand.getEmptyText().setText("e.g. /opt/mimo-lsp/.venv/bin/mimo-lsp --log-file /tmp/mimo.log");
        model = new JBTextField();
        model.getEmptyText().setText("the server's default (the shipped SmolLM2-135M GGUF)");
        gpuLayers = new JBTextField();
        gpuLayers.getEmptyText().setText("the server's default");
        policy = new ComboBox<>(new String[] {"default", "askEdits", "readOnly"});
        return FormBuilder.createFormBuilder()
                .addLabeledComponent("Python interpreter:", python)
                .addComponentToRightColumn(new JBLabel("A Python that has mimo_lsp installed: \"<python> -m mimo_lsp.server --help\" must work."))
                .addLabeledComponent("Server command:", serverCommand)
                .addComponentToRightColumn(new JBLabel("Instead of \"<python> -m mimo_lsp.server\"; empty = not used."))
                .addLabeledComponent("Model:", model)
                .addComponentToRightColumn(new JBLabel("GGUF path, manifest name or scripted:FILE.json."))
                .addLabeledComponent("GPU layers:", gpuLayers)
                .addLabeledComponent("Policy:", policy)
                .addComponentToRightColumn(new JBLabel("askEdits: confirm every edit; readOnly: no edits, no commands."))
                .addComponentFillVertically(new javax.swing.JPanel(), 0)
                .getPanel();
    }

    private MimoSettingsState.Data current() {
        return MimoSettingsState.getInstance().getState();
    }

    @Override
    public boolean isModified() {
        MimoSettingsState.Data d = current();
        return !Objects.equals(python.getText().trim(), d.pythonPath) || !Objects.equals(serverCommand.getText().trim(), d.serverCommand)
                || !Objects.equals(model.getText().trim(), d.model) || !Objects.equals(gpuLayers.getText().trim(), d.gpuLayers)
                || !Objects.equals(policy.getSelectedItem(), d.policyMode);
    }

    @Override
    public void apply() {
        MimoSettingsState.Data d = current();
        d.pythonPath = python.getText().trim();
        d.serverCommand = serverCommand.getText().trim();
        d.model = model.getText().trim();
        d.gpuLayers = gpuLayers.getText().trim();
        d.policyMode = (String) policy.getSelectedItem();
        for (Project p : ProjectManager.getInstance().getOpenProjects()) {
            LanguageServerManager m = LanguageServerManager.getInstance(p);
            if (m.getServerStatus(MimoLanguageServerFactory.SERVER_ID) == ServerStatus.started)
                m.start(MimoLanguageServerFactory.SERVER_ID); // restarts it with the new settings
        }
    }

    @Override
    public void reset() {
        MimoSettingsState.Data d = current();
        python.setText(d.pythonPath);
        serverCommand.setText(d.serverCommand);
        model.setText(d.model);
        gpuLayers.setText(d.gpuLayers);
        policy.setSelectedItem(d.policyMode);
    }
}
