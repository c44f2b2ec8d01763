package dev.mimo.core;

import dev.mimo.core.session.MimoSettings;
import dev.mimo.core.session.ServerStartException;
import dev.mimo.core.session.StdioServer;
import org.junit.Test;

import java.nio.file.Path;

import static dev.mimo.core.ServerHarness.*;
import static org.junit.Assert.*;

/** A server that cannot start says why and how to fix it (the settings to change). */
public class StartFailureTest {
    @Test
    public void aMissingInterpreterNamesTheCommandAndTheFix() throws Exception {
        Path dir = tempDir("mimo-jb-start-");
        try {
            MimoSettings s = settings(dir);
            s.pythonPath = dir.resolve("no-such-python").toString();
            StdioServer server = new StdioServer(dir, s, 10_000);
            try {
                server.start();
                fail("started a server from a missing interpreter");
            } catch (ServerStartException e) {
                assertTrue(e.getMessage(), e.getMessage().startsWith("MiMo: could not start the server \"" + s.pythonPath + " -m mimo_lsp.server\""));
                assertTrue(e.getMessage(), e.getMessage().contains("How to fix: in Settings | Tools | MiMo set \"Python interpreter\""));
            }
        } finally {
            deleteTree(dir);
        }
    }

    @Test
    public void anInterpreterWithoutMimoLspReportsItsOwnError() throws Exception {
        Path dir = tempDir("mimo-jb-start-");
        try {
            MimoSettings s = settings(dir);
            s.environment.remove("PYTHONPATH");
            s.environment.put("PYTHONPATH", dir.toString()); // a Python that cannot import mimo_lsp
            s.pythonPath = "python3";
            StdioServer server = new StdioServer(dir, s, 10_000);
            try {
                server.start();
                server.stop();
                fail("initialize answered without mimo_lsp");
            } catch (ServerStartException e) {
                assertTrue(e.getMessage(), e.getMessage().contains("it exited with code 1"));
                assertTrue(e.getMessage(), e.getMessage().contains("No module named 'mimo_lsp'"));
                assertTrue(e.getMessage(), e.getMessage().contains("How to fix"));
            }
        } finally {
            deleteTree(dir);
        }
    }
}
