package dev.mimo.core;

import com.google.gson.JsonObject;
import dev.mimo.core.session.MimoSettings;
import dev.mimo.core.session.StdioServer;
import dev.mimo.core.session.TaskTracker;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

/** Test support: the repository, a copy of examples/calculator, scripted models, the real server's settings. */
final class ServerHarness {
    private ServerHarness() {}

    static Path repo() {
        String env = System.getenv("MIMO_REPO");
        if (env != null && !env.isEmpty()) return Paths.get(env);
        return Paths.get("").toAbsolutePath(); // run from the repository root
    }

    static String python() {
        String env = System.getenv("MIMO_PYTHON");
        return env != null && !env.isEmpty() ? env : repo().resolve(".venv/bin/python").toString();
    }

    static Path tempDir(String prefix) {
        try {
            return Files.createTempDirectory(prefix);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A fresh copy of examples/calculator (calc.py with add returning a - b, test_calc.py). */
    static Path calculator(Path dir) throws IOException {
        Path ws = dir.resolve("calculator");
        Path src = repo().resolve("examples/calculator");
        try (Stream<Path> files = Files.walk(src)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                Path to = ws.resolve(src.relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(to);
                else Files.copy(p, to);
            }
        }
        return ws;
    }

    static MimoSettings settings(Path dir) {
        MimoSettings s = new MimoSettings();
        s.pythonPath = python();
        s.gpuLayers = 0;
        s.environment.put("PYTHONPATH", repo().toString());
        s.environment.put("MIMO_CONFIG_HOME", dir.resolve("config").toString()); // no user config
        return s;
    }

    /** Writes the model's replies (a JSON list) and returns the model spec "scripted:FILE". */
    static String script(Path dir, String name, String repliesJson) throws IOException {
        Path f = dir.resolve(name + ".json");
        Files.writeString(f, repliesJson, StandardCharsets.UTF_8);
        return "scripted:" + f;
    }

    static String read(Path p) throws IOException {
        return Files.readString(p, StandardCharsets.UTF_8);
    }

    static void deleteTree(Path dir) {
        if (dir == null || !Files.exists(dir)) return;
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // best effort
        }
    }

    /** Waits for a condition without asserting on time: the limit only ends a hung test. */
    static void await(BooleanSupplier cond, String what, long limitMs, java.util.function.Supplier<String> context) throws InterruptedException {
        long end = System.nanoTime() + limitMs * 1_000_000L;
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > end) throw new AssertionError("gave up waiting for " + what + "\n" + context.get());
            Thread.sleep(25);
        }
    }

    /** What the tracker delivered, in order. */
    static final class Recorder implements TaskTracker.Listener {
        static final class Ev {
            final String method;
            final JsonObject params;
            final boolean replayed;

            Ev(String method, JsonObject params, boolean replayed) {
                this.method = method;
                this.params = params;
                this.replayed = replayed;
            }

            String taskId() {
                return Json.str(params, "taskId");
            }

            int seq() {
                return Json.integer(params, "seq", 0);
            }

            @Override
            public String toString() {
                return method.substring(method.lastIndexOf('/') + 1) + "#" + seq() + (replayed ? "(replayed)" : "");
            }
        }

        final List<Ev> events = new CopyOnWriteArrayList<>();

        @Override
        public void onEvent(String method, JsonObject params, boolean replayed) {
            events.add(new Ev(method, params, replayed));
        }

        List<Ev> of(String taskId) {
            List<Ev> out = new ArrayList<>();
            for (Ev e : events) if (taskId.equals(e.taskId())) out.add(e);
            return out;
        }

        List<Ev> since(int index, String taskId) {
            List<Ev> out = new ArrayList<>();
            for (int i = index; i < events.size(); i++) if (taskId.equals(events.get(i).taskId())) out.add(events.get(i));
            return out;
        }

        Ev done(String taskId, int fromIndex) {
            for (Ev e : since(fromIndex, taskId)) if (e.method.equals(Protocol.Notifications.DONE)) return e;
            return null;
        }
    }

    static List<Integer> seqs(List<Recorder.Ev> evs) {
        List<Integer> out = new ArrayList<>();
        for (Recorder.Ev e : evs) if (!e.method.startsWith("mimo/client/")) out.add(e.seq());
        return out;
    }

    static List<Integer> range(int from, int to) {
        List<Integer> out = new ArrayList<>();
        for (int i = from; i <= to; i++) out.add(i);
        return out;
    }

    static String describe(StdioServer server, Recorder rec) {
        return "events: " + rec.events + "\nserver stderr (tail):\n" + server.stderrTail();
    }
}
