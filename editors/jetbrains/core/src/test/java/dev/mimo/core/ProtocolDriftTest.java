package dev.mimo.core;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.annotations.SerializedName;
import dev.mimo.core.session.CommandTransport;
import dev.mimo.core.session.MimoApi;
import org.junit.BeforeClass;
import org.junit.Test;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

import static org.junit.Assert.*;

/**
 * The core against the server's checked-in protocol schema (mimo_lsp/protocol/schema.json, or the file
 * MIMO_PROTOCOL_SCHEMA names): every command and notification the core uses exists; each command's params
 * and result are the definitions the core's classes stand for; every JSON field the core's payload classes
 * read or write is a property of the matching definition, of a compatible type, nested classes following
 * the schema's $refs; and the core sends every property a params definition requires.
 */
public class ProtocolDriftTest {
    /** Each payload class of the core and the schema definition (the server's pydantic class) it stands for. */
    static final Map<Class<?>, String> DEFINITIONS = new LinkedHashMap<>();

    static {
        DEFINITIONS.put(Payloads.TaskStartParams.class, "TaskStartParams");
        DEFINITIONS.put(Payloads.TaskStartResult.class, "TaskStartResult");
        DEFINITIONS.put(Payloads.TaskRefParams.class, "TaskRefParams");
        DEFINITIONS.put(Payloads.TaskCancelResult.class, "TaskCancelResult");
        DEFINITIONS.put(Payloads.TaskStatusParams.class, "TaskStatusParams");
        DEFINITIONS.put(Payloads.TaskInfo.class, "TaskInfo");
        DEFINITIONS.put(Payloads.TaskStatusResult.class, "TaskStatusResult");
        DEFINITIONS.put(Payloads.TaskResumeParams.class, "TaskResumeParams");
        DEFINITIONS.put(Payloads.TaskEventsParams.class, "TaskEventsParams");
        DEFINITIONS.put(Payloads.TaskEventsResult.class, "TaskEventsResult");
        DEFINITIONS.put(Payloads.CheckpointListParams.class, "CheckpointListParams");
        DEFINITIONS.put(Payloads.CheckpointListResult.class, "CheckpointListResult");
        DEFINITIONS.put(Payloads.CheckpointEntry.class, "CheckpointInfo");
        DEFINITIONS.put(Payloads.CheckpointDiffParams.class, "CheckpointDiffParams");
        DEFINITIONS.put(Payloads.CheckpointDiffResult.class, "CheckpointDiffResult");
        DEFINITIONS.put(Payloads.CheckpointRestoreParams.class, "CheckpointRestoreParams");
        DEFINITIONS.put(Payloads.PathConflict.class, "Conflict");
        DEFINITIONS.put(Payloads.RestoreReport.class, "RestoreReport");
        DEFINITIONS.put(Payloads.Hunk.class, "Hunk");
        DEFINITIONS.put(Payloads.FileReview.class, "FileReview");
        DEFINITIONS.put(Payloads.ReviewGetResult.class, "ReviewGetResult");
        DEFINITIONS.put(Payloads.ReviewDecideParams.class, "ReviewDecideParams");
        DEFINITIONS.put(Payloads.HunkConflict.class, "ReviewConflict");
        DEFINITIONS.put(Payloads.BufferEdit.class, "BufferEdit");
        DEFINITIONS.put(Payloads.ReviewDecision.class, "ReviewDecision");
        DEFINITIONS.put(Payloads.IndexSearchParams.class, "IndexSearchParams");
        DEFINITIONS.put(Payloads.IndexSearchHit.class, "IndexSearchHit");
        DEFINITIONS.put(Payloads.IndexSearchResult.class, "IndexSearchResult");
        DEFINITIONS.put(Payloads.IndexStatusParams.class, "IndexStatusParams");
        DEFINITIONS.put(Payloads.IndexStatusResult.class, "IndexStatusResult");
        DEFINITIONS.put(Events.PlanEvent.class, "PlanNotification");
        DEFINITIONS.put(Events.PlanNode.class, "PlanNodeWire");
        DEFINITIONS.put(Events.NodeEvent.class, "NodeNotification");
        DEFINITIONS.put(Events.StepEvent.class, "StepNotification");
        DEFINITIONS.put(Events.CheckpointEvent.class, "CheckpointNotification");
        DEFINITIONS.put(Events.TokenEvent.class, "TokenNotification");
        DEFINITIONS.put(Events.DoneEvent.class, "DoneNotification");
    }

    static JsonObject schema;

    static Path schemaPath() {
        String env = System.getenv("MIMO_PROTOCOL_SCHEMA");
        if (env != null && !env.isEmpty()) return Paths.get(env);
        return ServerHarness.repo().resolve("mimo_lsp/protocol/schema.json");
    }

    @BeforeClass
    public static void loadSchema() throws Exception {
        Path p = schemaPath();
        assertTrue("no protocol schema at " + p + " (the server's checked-in mimo_lsp/protocol/schema.json; "
                + "set MIMO_PROTOCOL_SCHEMA to another file)", Files.isRegularFile(p));
        schema = JsonParser.parseString(Files.readString(p, StandardCharsets.UTF_8)).getAsJsonObject();
        for (String key : List.of("commands", "notifications", "definitions"))
            assertTrue("the schema has no \"" + key + "\": " + p, schema.has(key) && schema.get(key).isJsonObject());
    }

    // -- what the core uses --------------------------------------------------------------------------
    static List<String> constants(Class<?> holder) throws IllegalAccessException {
        List<String> out = new ArrayList<>();
        for (Field f : holder.getDeclaredFields())
            if (Modifier.isStatic(f.getModifiers()) && f.getType() == String.class) out.add((String) f.get(null));
        return out;
    }

    /** One call of every MimoApi method, recorded: the command, the params object sent, the result class read. */
    static final class Call {
        final String command;
        final Object params;
        Class<?> result;

        Call(String command, Object params) {
            this.command = command;
            this.params = params;
        }
    }

    static List<Call> apiCalls() {
        List<Call> calls = new ArrayList<>();
        CommandTransport recording = (command, params) -> {
            calls.add(new Call(command, params));
            return CompletableFuture.completedFuture((JsonElement) new JsonObject());
        };
        MimoApi api = new MimoApi(recording, 1000);
        List<Consumer<MimoApi>> uses = List.of(
                a -> record(calls, a.taskStart(new Payloads.TaskStartParams("g", "/w", null, null))),
                a -> record(calls, a.taskCancel("t")),
                a -> record(calls, a.taskStatus("t", "/w")),
                a -> record(calls, a.taskResume(new Payloads.TaskResumeParams("t", "/w", null))),
                a -> record(calls, a.taskEvents("t", 0, "/w")),
                a -> record(calls, a.checkpointList("t", "/w")),
                a -> record(calls, a.checkpointDiff("t", 0, 1, "/w")),
                a -> record(calls, a.checkpointRestore("t", 1, "both", "/w")),
                a -> record(calls, a.reviewGet("t", "/w")),
                a -> record(calls, a.reviewAccept("t", "calc.py", List.of("h"), "/w")),
                a -> record(calls, a.reviewReject("t", null, List.of("h"), "/w")),
                a -> record(calls, a.indexSearch("q", 5, "/w")),
                a -> record(calls, a.indexStatus("/w")));
        for (Consumer<MimoApi> use : uses) use.accept(api);
        return calls;
    }

    static void record(List<Call> calls, Object result) {
        calls.get(calls.size() - 1).result = result.getClass();
    }

    // -- the checker ---------------------------------------------------------------------------------
    /** Every mismatch between the core and this schema, as one line each (empty: no drift). */
    static List<String> problems(JsonObject schema) throws IllegalAccessException {
        List<String> out = new ArrayList<>();
        JsonObject commands = schema.getAsJsonObject("commands");
        JsonObject notifications = schema.getAsJsonObject("notifications");
        JsonObject defs = schema.getAsJsonObject("definitions");
        Set<Class<?>> checked = new LinkedHashSet<>();

        for (String c : constants(Protocol.Commands.class))
            if (!commands.has(c)) out.add("command " + c + " (Protocol.Commands) is not in the schema");
        for (String n : constants(Protocol.Notifications.class)) {
            if (!notifications.has(n)) {
                out.add("notification " + n + " (Protocol.Notifications) is not in the schema");
                continue;
            }
            Class<?> cls = Events.classOf(n);
            String def = notifications.get(n).getAsString();
            if (cls == null) out.add("notification " + n + " has no class in Events.classOf");
            else if (!def.equals(DEFINITIONS.get(cls))) out.add("notification " + n + " is " + def + " in the schema, the core reads " + cls.getSimpleName() + " = " + DEFINITIONS.get(cls));
            else {
                checkClass(cls, def, defs, false, out, checked);
                JsonObject kind = property(defs, def, "kind");
                String expected = n.substring(Protocol.NOTIFY_PREFIX.length());
                if (kind != null && kind.has("const") && !expected.equals(kind.get("const").getAsString()))
                    out.add("notification " + n + ": kind is \"" + kind.get("const").getAsString() + "\" in " + def);
            }
        }
        for (Call call : apiCalls()) {
            if (!commands.has(call.command)) {
                out.add("MimoApi sends " + call.command + ", which is not in the schema");
                continue;
            }
            JsonObject entry = commands.getAsJsonObject(call.command);
            String params = entry.get("params").getAsString();
            String result = entry.get("result").getAsString();
            String sent = DEFINITIONS.get(call.params.getClass());
            String read = DEFINITIONS.get(call.result);
            if (!params.equals(sent)) out.add(call.command + ": params are " + params + " in the schema, the core sends " + call.params.getClass().getSimpleName() + " = " + sent);
            else checkClass(call.params.getClass(), params, defs, true, out, checked);
            if (!result.equals(read)) out.add(call.command + ": result is " + result + " in the schema, the core reads " + call.result.getSimpleName() + " = " + read);
            else checkClass(call.result, result, defs, false, out, checked);
        }
        for (Class<?> c : DEFINITIONS.keySet())
            if (!checked.contains(c)) out.add(c.getName() + " (" + DEFINITIONS.get(c) + ") is not used by any command or notification the core checks");
        return out;
    }

    static JsonObject property(JsonObject defs, String def, String name) {
        if (!defs.has(def)) return null;
        JsonObject d = defs.getAsJsonObject(def);
        if (!d.has("properties")) return null;
        JsonElement p = d.getAsJsonObject("properties").get(name);
        return p == null ? null : p.getAsJsonObject();
    }

    static List<Field> wireFields(Class<?> c) {
        List<Field> out = new ArrayList<>();
        for (Class<?> k = c; k != null && k != Object.class; k = k.getSuperclass())
            for (Field f : k.getDeclaredFields()) {
                int m = f.getModifiers();
                if (Modifier.isStatic(m) || Modifier.isTransient(m) || f.isSynthetic()) continue;
                out.add(f);
            }
        return out;
    }

    static String jsonName(Field f) {
        SerializedName n = f.getAnnotation(SerializedName.class);
        return n != null ? n.value() : f.getName();
    }

    static void checkClass(Class<?> c, String def, JsonObject defs, boolean written, List<String> out, Set<Class<?>> checked) {
        if (!checked.add(c)) return;
        if (!defs.has(def)) {
            out.add(c.getSimpleName() + ": definition " + def + " is not in the schema");
            return;
        }
        JsonObject d = defs.getAsJsonObject(def);
        JsonObject props = d.has("properties") ? d.getAsJsonObject("properties") : new JsonObject();
        Set<String> names = new LinkedHashSet<>();
        for (Field f : wireFields(c)) {
            String name = jsonName(f);
            names.add(name);
            if (!props.has(name)) {
                out.add(c.getSimpleName() + "." + f.getName() + ": \"" + name + "\" is not a property of " + def);
                continue;
            }
            String where = c.getSimpleName() + "." + f.getName() + " (" + def + "." + name + ")";
            checkType(f.getGenericType(), props.getAsJsonObject(name), where, defs, written, out, checked);
        }
        if (written && d.has("required"))
            for (JsonElement r : d.getAsJsonArray("required"))
                if (!names.contains(r.getAsString())) out.add(c.getSimpleName() + " lacks \"" + r.getAsString() + "\", which " + def + " requires");
    }

    /** The non-null alternatives of a property schema (anyOf / oneOf), or the schema itself. */
    static List<JsonObject> alternatives(JsonObject s) {
        List<JsonObject> out = new ArrayList<>();
        for (String key : List.of("anyOf", "oneOf")) {
            if (s.has(key)) {
                for (JsonElement e : s.getAsJsonArray(key)) {
                    JsonObject alt = e.getAsJsonObject();
                    if (!(alt.has("type") && "null".equals(alt.get("type").getAsString()))) out.addAll(alternatives(alt));
                }
                return out;
            }
        }
        out.add(s);
        return out;
    }

    static Set<String> types(JsonObject s) {
        Set<String> out = new LinkedHashSet<>();
        if (s.has("type")) {
            JsonElement t = s.get("type");
            if (t.isJsonArray()) for (JsonElement e : t.getAsJsonArray()) out.add(e.getAsString());
            else out.add(t.getAsString());
        }
        return out;
    }

    static void checkType(Type t, JsonObject s, String where, JsonObject defs, boolean written, List<String> out, Set<Class<?>> checked) {
        Class<?> raw = t instanceof ParameterizedType ? (Class<?>) ((ParameterizedType) t).getRawType() : (Class<?>) t;
        if (JsonElement.class.isAssignableFrom(raw)) return; // any JSON
        List<JsonObject> alts = alternatives(s);
        if (alts.isEmpty()) return;
        List<String> why = new ArrayList<>();
        for (JsonObject alt : alts) {
            List<String> sub = new ArrayList<>();
            if (matches(t, raw, alt, where, defs, written, sub, checked)) {
                out.addAll(sub);
                return;
            }
            why.add(alt.toString());
        }
        out.add(where + ": the core's " + raw.getSimpleName() + " does not fit the schema's " + why);
    }

    static boolean matches(Type t, Class<?> raw, JsonObject s, String where, JsonObject defs, boolean written, List<String> out, Set<Class<?>> checked) {
        if (s.has("$ref")) {
            String ref = s.get("$ref").getAsString();
            String def = ref.substring(ref.lastIndexOf('/') + 1);
            String mapped = DEFINITIONS.get(raw);
            if (mapped == null || !mapped.equals(def)) {
                if (mapped != null) out.add(where + ": the schema's $ref is " + def + ", the core's class stands for " + mapped);
                return mapped != null;
            }
            checkClass(raw, def, defs, written, out, checked);
            return true;
        }
        Set<String> types = types(s);
        if (types.isEmpty()) return true; // the schema allows anything
        if (raw == String.class) return types.contains("string");
        if (raw == int.class || raw == Integer.class || raw == long.class || raw == Long.class) return types.contains("integer");
        if (raw == double.class || raw == Double.class || raw == float.class) return types.contains("number") || types.contains("integer");
        if (raw == boolean.class || raw == Boolean.class) return types.contains("boolean");
        if (List.class.isAssignableFrom(raw)) {
            if (!types.contains("array")) return false;
            if (!(t instanceof ParameterizedType) || !s.has("items")) return true;
            checkType(((ParameterizedType) t).getActualTypeArguments()[0], s.getAsJsonObject("items"), where + "[]", defs, written, out, checked);
            return true;
        }
        if (DEFINITIONS.containsKey(raw)) {
            out.add(where + ": the schema has an inline " + types + " where the core reads " + raw.getSimpleName() + " = " + DEFINITIONS.get(raw));
            return true;
        }
        return types.contains("object");
    }

    // -- tests ---------------------------------------------------------------------------------------
    @Test
    public void theCoreMatchesTheServersProtocolSchema() throws Exception {
        List<String> problems = problems(schema);
        assertTrue("protocol drift against " + schemaPath() + ":\n  " + String.join("\n  ", problems), problems.isEmpty());
    }

    @Test
    public void everyPayloadClassOfTheCoreHasADefinition() {
        List<String> missing = new ArrayList<>();
        for (Class<?> holder : List.of(Payloads.class, Events.class))
            for (Class<?> c : holder.getDeclaredClasses())
                if (Modifier.isPublic(c.getModifiers()) && c != Events.TaskEvent.class && !DEFINITIONS.containsKey(c)) missing.add(c.getName());
        assertTrue("payload classes without a schema definition in DEFINITIONS: " + missing, missing.isEmpty());
    }

    @Test
    public void everyMimoApiMethodIsRecorded() {
        List<String> recorded = new ArrayList<>();
        for (Call c : apiCalls()) recorded.add(c.command);
        int methods = 0;
        for (java.lang.reflect.Method m : MimoApi.class.getDeclaredMethods())
            if (Modifier.isPublic(m.getModifiers()) && !m.getName().equals("call") && !m.getName().equals("async")) methods++;
        assertEquals("each public MimoApi command method is exercised by apiCalls(): " + recorded, methods, recorded.size());
    }

    /** The checker itself finds drift: a copy of the schema with things the core uses taken away or changed. */
    @Test
    public void theCheckerReportsDrift() throws Exception {
        JsonObject broken = schema.deepCopy();
        JsonObject defs = broken.getAsJsonObject("definitions");
        defs.getAsJsonObject("Hunk").getAsJsonObject("properties").remove("currentLine");
        defs.getAsJsonObject("StepNotification").getAsJsonObject("properties").remove("replayed");
        JsonObject start = defs.getAsJsonObject("TaskStartParams");
        JsonObject prompt = new JsonObject();
        prompt.addProperty("type", "string");
        start.getAsJsonObject("properties").add("prompt", prompt);
        JsonArray required = start.has("required") ? start.getAsJsonArray("required") : new JsonArray();
        required.add("prompt");
        start.add("required", required);
        JsonObject seq = new JsonObject();
        seq.addProperty("type", "string");
        defs.getAsJsonObject("NodeNotification").getAsJsonObject("properties").add("seq", seq);
        JsonObject conflicts = defs.getAsJsonObject("RestoreReport").getAsJsonObject("properties").getAsJsonObject("conflicts");
        conflicts.getAsJsonObject("items").addProperty("$ref", "#/definitions/ReviewConflict");
        broken.getAsJsonObject("commands").add("mimo.task.begin", broken.getAsJsonObject("commands").remove("mimo.task.start"));
        broken.getAsJsonObject("notifications").remove("mimo/task/token");

        String all = String.join("\n", problems(broken));
        for (String expected : List.of(
                "Hunk.currentLine: \"currentLine\" is not a property of Hunk",
                "StepEvent.replayed: \"replayed\" is not a property of StepNotification",
                "NodeEvent.seq (NodeNotification.seq): the core's int does not fit",
                "RestoreReport.conflicts (RestoreReport.conflicts)[]: the schema's $ref is ReviewConflict, the core's class stands for Conflict",
                "command mimo.task.start (Protocol.Commands) is not in the schema",
                "notification mimo/task/token (Protocol.Notifications) is not in the schema"))
            assertTrue("expected \"" + expected + "\" in:\n" + all, all.contains(expected));
        // TaskStartParams is reached through mimo.task.start only, which is gone here: check it directly
        List<String> direct = new ArrayList<>();
        checkClass(Payloads.TaskStartParams.class, "TaskStartParams", defs, true, direct, new LinkedHashSet<>());
        assertTrue(direct.toString(), direct.contains("TaskStartParams lacks \"prompt\", which TaskStartParams requires"));
    }
}
