// Tools > Options > MiMo > General: the interpreter and the rest of the launch settings. Mapped to the
// core's MimoSettings, which builds the command line and initializationOptions (tested in the core).
using System.ComponentModel;
using Microsoft.VisualStudio.Shell;
using Mimo.Core;

namespace Mimo.VisualStudio
{
    public enum PolicyMode { Default, AskEdits, ReadOnly }

    public sealed class MimoOptionsPage : DialogPage
    {
        [Category("Server")]
        [DisplayName("Python interpreter")]
        [Description("The Python that has mimo_lsp installed, e.g. C:\\src\\mimo-lsp\\.venv\\Scripts\\python.exe. The server runs as <python> -m mimo_lsp.server. Empty: python on PATH.")]
        public string PythonPath { get; set; } = "";

        [Category("Server")]
        [DisplayName("Server command")]
        [Description("A full launch command instead (program and arguments, separated by spaces; quote arguments with spaces). Empty: use the interpreter above.")]
        public string ServerCommand { get; set; } = "";

        [Category("Server")]
        [DisplayName("PYTHONPATH")]
        [Description("Optional PYTHONPATH for the server (e.g. a mimo-lsp checkout that is not installed).")]
        public string PythonPathEnv { get; set; } = "";

        [Category("Agent")]
        [DisplayName("Model")]
        [Description("GGUF path, manifest name or scripted:FILE.json. Empty: the server's default (the shipped SmolLM2-135M GGUF).")]
        public string Model { get; set; } = "";

        [Category("Agent")]
        [DisplayName("GPU layers")]
        [Description("Layers offloaded to the GPU (n_gpu_layers). -1: the server's default.")]
        public int GpuLayers { get; set; } = -1;

        [Category("Agent")]
        [DisplayName("Policy mode")]
        [Description("Default: the server's policy. AskEdits: every file edit is confirmed. ReadOnly: edits and commands are refused.")]
        public PolicyMode PolicyMode { get; set; } = PolicyMode.Default;

        /// <summary>Raised after the user pressed OK with changes: the package restarts a running server.</summary>
        public event System.Action Applied;

        protected override void OnApply(PageApplyEventArgs e)
        {
            base.OnApply(e);
            if (e.ApplyBehavior == ApplyKind.Apply && Applied != null) Applied();
        }

        public MimoSettings ToSettings()
        {
            var s = new MimoSettings
            {
                PythonPath = PythonPath,
                ServerCommand = ServerLaunch.SplitCommandLine(ServerCommand),
                Model = string.IsNullOrWhiteSpace(Model) ? null : Model.Trim(),
                GpuLayers = GpuLayers >= 0 ? GpuLayers : (int?)null,
                PolicyMode = PolicyMode == PolicyMode.AskEdits ? "askEdits" : PolicyMode == PolicyMode.ReadOnly ? "readOnly" : "default",
            };
            if (!string.IsNullOrWhiteSpace(PythonPathEnv)) s.Environment["PYTHONPATH"] = PythonPathEnv.Trim();
            return s;
        }
    }
}
