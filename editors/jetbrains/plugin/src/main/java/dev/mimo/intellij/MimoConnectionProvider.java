package dev.mimo.intellij;

import com.intellij.execution.configurations.GeneralCommandLine;
import com.intellij.openapi.project.Project;
import com.intellij.openapi.vfs.VirtualFile;
import com.redhat.devtools.lsp4ij.server.CannotStartProcessException;
import com.redhat.devtools.lsp4ij.server.OSProcessStreamConnectionProvider;
import dev.mimo.core.session.MimoSettings;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/** Launches "<python> -m mimo_lsp.server" (or the configured command) over stdio, from the MiMo settings. */
final class MimoConnectionProvider extends OSProcessStreamConnectionProvider {
    private final Project project;
    private final List<String> command;
    private final Map<String, Object> initializationOptions;

    MimoConnectionProvider(Project project) {
        this.project = project;
        MimoSettings s = MimoSettingsState.getInstance().toCore();
        this.command = s.launchCommand();
        GeneralCommandLine line = new GeneralCommandLine(command)
                .withCharset(StandardCharsets.UTF_8)
                .withParentEnvironmentType(GeneralCommandLine.ParentEnvironmentType.CONSOLE)
                .withEnvironment(s.environment);
        if (project.getBasePath() != null) line = line.withWorkDirectory(project.getBasePath());
        setCommandLine(line);
        this.initializationOptions = Lsp4ijJson.toPlainMap(s.initializationOptions());
    }

    @Override
    public Object getInitializationOptions(VirtualFile rootUri) {
        return initializationOptions;
    }

    @Override
    public void start() throws CannotStartProcessException {
        try {
            super.start();
        } catch (CannotStartProcessException e) {
            throw failed(e.getMessage());
        }
    }

    /** A Python without mimo_lsp starts and exits at once: said here, with how to fix it. */
    @Override
    public void ensureIsAlive() throws CannotStartProcessException {
        try {
            super.ensureIsAlive();
        } catch (CannotStartProcessException e) {
            Integer code = getProcessHandler() != null ? getProcessHandler().getExitCode() : null;
            throw failed(code != null ? "it exited with code " + code + " (the LSP console of the MiMo server shows its output)" : e.getMessage());
        }
    }

    private CannotStartProcessException failed(String why) {
        String msg = MimoSettings.startFailureMessage(command, why);
        MimoUi.error(project, msg);
        return new CannotStartProcessException(msg);
    }
}
