package dev.mimo.core;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

/** One gson for the wire: field names as they are (camelCase), nulls left out. */
public final class Json {
    private Json() {}

    public static final Gson GSON = new GsonBuilder().disableHtmlEscaping().create();

    public static <T> T read(JsonElement json, Class<T> type) {
        return GSON.fromJson(json, type);
    }

    public static JsonElement tree(Object value) {
        return value instanceof JsonElement ? (JsonElement) value : GSON.toJsonTree(value);
    }

    public static JsonObject object(String text) {
        return JsonParser.parseString(text).getAsJsonObject();
    }

    public static String str(JsonObject o, String key) {
        JsonElement e = o == null ? null : o.get(key);
        return e == null || e.isJsonNull() ? null : e.getAsString();
    }

    public static int integer(JsonObject o, String key, int otherwise) {
        JsonElement e = o == null ? null : o.get(key);
        return e == null || e.isJsonNull() ? otherwise : e.getAsInt();
    }
}
