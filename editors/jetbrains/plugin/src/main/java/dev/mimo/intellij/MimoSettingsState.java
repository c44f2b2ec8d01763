package dev.mimo.intellij;

import com.intellij.openapi.application.ApplicationManager;
import com.intellij.openapi.components.PersistentStateComponent;
import com.intellij.openapi.components.Service;
import com.intellij.openapi.components.State;
import com.intellij.openapi.components.Storage;
import com.intellij.util.execution.ParametersListUtil;
import dev.mimo.core.session.MimoSettings;
import org.jetbrains.annotations.NotNull;

import java.util.ArrayList;

/** The MiMo settings (Settings | Tools | MiMo), stored per IDE; turned into the core's MimoSettings. */
@Service(Service.Level.APP)
@State(name = "MimoSettings", storages = @Storage("mimo.xml"))
public final class MimoSettingsState implements PersistentStateComponent<MimoSettingsState.Data> {
    public static final class Data {
        public String pythonPath = "python3";
        /** a full launch command (shell-like quoting) instead of "<python> -m mimo_lsp.server"; empty = not used */
        public String serverCommand = "";
        public String model = "";
        /** empty = the server's default */
        public String gpuLayers = "";
        public String policyMode = "default";
    }

    private Data data = new Data();

    public static MimoSettingsState getInstance() {
        return ApplicationManager.getApplication().getService(MimoSettingsState.class);
    }

    @Override
    public @NotNull Data getState() {
        return data;
    }

    @Override
    public void loadState(@NotNull Data state) {
        data = state;
    }

    public MimoSettings toCore() {
        MimoSettings s = new MimoSettings();
        s.pythonPath = data.pythonPath == null || data.pythonPath.isBlank() ? "python3" : data.pythonPath.trim();
        s.serverCommand = new ArrayList<>(data.serverCommand == null ? java.util.List.of() : ParametersListUtil.parse(data.serverCommand));
        s.model = data.model == null ? "" : data.model.trim();
        s.gpuLayers = parseInt(data.gpuLayers);
        s.policyMode = data.policyMode == null ? "default" : data.policyMode;
        return s;
    }

    static Integer parseInt(String s) {
        if (s == null || s.isBlank()) return null;
        try {
            return Integer.parseInt(s.trim());
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
