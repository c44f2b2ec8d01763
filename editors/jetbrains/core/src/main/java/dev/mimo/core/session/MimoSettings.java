package dev.mimo.core.session;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The client's settings (the VS Code extension's mimo.* settings): how to launch the server and what goes
 * into initializationOptions. Plain data: the IDE settings page stores these fields.
 */
public final class MimoSettings {
    /** the interpreter that has mimo_lsp installed */
    public String pythonPath = "python3";
    /** a full launch command instead of "<python> -m mimo_lsp.server" (empty: not used) */
    public List<String> serverCommand = new ArrayList<>();
    /** GGUF path, manifest name or scripted:FILE.json; empty = the server's default */
    public String model = "";
    /** model.n_gpu_layers; null = the server's default */
    public Integer gpuLayers;
    /** default | askEdits | readOnly */
    public String policyMode = "default";
    /** extra environment for the server process (e.g. PYTHONPATH, MIMO_CONFIG_HOME) */
    public Map<String, String> environment = new TreeMap<>();

    public MimoSettings copy() {
        MimoSettings s = new MimoSettings();
        s.pythonPath = pythonPath;
        s.serverCommand = new ArrayList<>(serverCommand);
        s.model = model;
        s.gpuLayers = gpuLayers;
        s.policyMode = policyMode;
        s.environment = new TreeMap<>(environment);
        return s;
    }

    /** The command line: serverCommand if set, else "<pythonPath> -m mimo_lsp.server". */
    public List<String> launchCommand() {
        List<String> override = new ArrayList<>();
        for (String part : serverCommand) if (part != null && !part.isEmpty()) override.add(part);
        if (!override.isEmpty()) return override;
        String python = pythonPath == null || pythonPath.isBlank() ? "python3" : pythonPath.trim();
        return List.of(python, "-m", "mimo_lsp.server");
    }

    /** The policy rules a policy mode stands for (safety.rules in initializationOptions). */
    public static JsonArray policyRules(String mode) {
        JsonArray rules = new JsonArray();
        List<String> tools;
        String action;
        if ("askEdits".equals(mode)) {
            tools = List.of("write_file", "edit_file");
            action = "ask";
        } else if ("readOnly".equals(mode)) {
            tools = List.of("write_file", "edit_file", "run_command");
            action = "deny";
        } else {
            return rules;
        }
        for (String tool : tools) {
            JsonObject r = new JsonObject();
            r.addProperty("tool", tool);
            r.addProperty("action", action);
            r.addProperty("reason", "mimo.policyMode " + mode);
            rules.add(r);
        }
        return rules;
    }

    /** initializationOptions: {"model": {spec, n_gpu_layers}, "safety": {rules}}, only what is set. */
    public JsonObject initializationOptions() {
        JsonObject opts = new JsonObject();
        JsonObject m = new JsonObject();
        if (model != null && !model.isBlank()) m.addProperty("spec", model.trim());
        if (gpuLayers != null) m.addProperty("n_gpu_layers", gpuLayers);
        if (m.size() > 0) opts.add("model", m);
        JsonArray rules = policyRules(policyMode);
        if (rules.size() > 0) {
            JsonObject safety = new JsonObject();
            safety.add("rules", rules);
            opts.add("safety", safety);
        }
        return opts;
    }

    /** How-to-fix text for a server that did not start (the VS Code extension's wording, JetBrains settings). */
    public static String startFailureMessage(List<String> command, String why) {
        return "MiMo: could not start the server \"" + String.join(" ", command) + "\": " + why + ". "
                + "How to fix: in Settings | Tools | MiMo set \"Python interpreter\" to a Python that has mimo_lsp installed "
                + "(e.g. /path/to/mimo-lsp/.venv/bin/python; check with \"<python> -m mimo_lsp.server --help\"), "
                + "or set \"Server command\" to the full launch command.";
    }
}
