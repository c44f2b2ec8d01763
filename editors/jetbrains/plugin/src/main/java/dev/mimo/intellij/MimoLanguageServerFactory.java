package dev.mimo.intellij;

import com.intellij.openapi.project.Project;
import com.redhat.devtools.lsp4ij.LanguageServerFactory;
import com.redhat.devtools.lsp4ij.client.LanguageClientImpl;
import com.redhat.devtools.lsp4ij.server.StreamConnectionProvider;
import org.jetbrains.annotations.NotNull;

/** LSP4IJ's entry point for the "mimo" server (plugin.xml). */
public final class MimoLanguageServerFactory implements LanguageServerFactory {
    public static final String SERVER_ID = "mimo";

    @Override
    public @NotNull StreamConnectionProvider createConnectionProvider(@NotNull Project project) {
        return new MimoConnectionProvider(project);
    }

    @Override
    public @NotNull LanguageClientImpl createLanguageClient(@NotNull Project project) {
        return new MimoLanguageClient(project);
    }
}
