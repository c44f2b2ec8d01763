package dev.mimo.intellij;

import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import dev.mimo.core.Json;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Crosses the class-loader line to LSP4J (loaded by LSP4IJ): what goes to it is plain Java maps and lists
 * (any gson serializes them), what comes back (LSP4J's JsonElement, or maps) is re-read by the core's gson.
 */
final class Lsp4ijJson {
    private Lsp4ijJson() {}

    /** A core payload or JsonElement as plain maps / lists / strings / numbers / booleans. */
    static Object toPlain(Object payload) {
        return payload == null ? null : plain(Json.tree(payload));
    }

    private static Object plain(JsonElement e) {
        if (e == null || e.isJsonNull()) return null;
        if (e.isJsonObject()) {
            Map<String, Object> m = new LinkedHashMap<>();
            for (Map.Entry<String, JsonElement> kv : e.getAsJsonObject().entrySet()) m.put(kv.getKey(), plain(kv.getValue()));
            return m;
        }
        if (e.isJsonArray()) {
            List<Object> l = new ArrayList<>();
            for (JsonElement x : e.getAsJsonArray()) l.add(plain(x));
            return l;
        }
        JsonPrimitive p = e.getAsJsonPrimitive();
        if (p.isBoolean()) return p.getAsBoolean();
        if (p.isString()) return p.getAsString();
        String n = p.getAsString(); // integers stay integers (gson's Object mapping would make them doubles)
        return n.contains(".") || n.contains("e") || n.contains("E") ? (Object) p.getAsDouble() : (Object) p.getAsLong();
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> toPlainMap(Object payload) {
        return (Map<String, Object>) toPlain(payload);
    }

    /** An LSP4J result or notification parameter as the core's JsonElement. */
    static JsonElement toCore(Object value) {
        if (value == null) return JsonNull.INSTANCE;
        if (value instanceof JsonElement) return (JsonElement) value;
        if (value.getClass().getName().startsWith("com.google.gson.Json")) {
            return JsonParser.parseString(value.toString()); // a JsonElement of another class loader: its JSON text
        }
        return Json.GSON.toJsonTree(value);
    }
}
