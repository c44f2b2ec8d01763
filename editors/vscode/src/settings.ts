// Server launch command and initializationOptions from the mimo.* settings. No `vscode` import.

export interface MimoSettings {
  pythonPath?: string;
  serverCommand?: string[];
  model?: string;
  gpuLayers?: number | null;
  policyMode?: string;
}

export interface LaunchCommand {
  command: string;
  args: string[];
}

export function launchCommand(s: MimoSettings): LaunchCommand {
  const override = (s.serverCommand ?? []).filter((x) => typeof x === 'string' && x.length > 0);
  if (override.length) return { command: override[0], args: override.slice(1) };
  return { command: s.pythonPath || 'python3', args: ['-m', 'mimo_lsp.server'] };
}

type Rule = { tool: string; match?: string; action: 'allow' | 'ask' | 'deny'; reason: string };

export function policyRules(mode: string | undefined): Rule[] {
  switch (mode) {
    case 'askEdits':
      return ['write_file', 'edit_file'].map((tool) => ({ tool, action: 'ask' as const, reason: 'mimo.policyMode askEdits' }));
    case 'readOnly':
      return ['write_file', 'edit_file', 'run_command'].map((tool) => ({ tool, action: 'deny' as const, reason: 'mimo.policyMode readOnly' }));
    default:
      return [];
  }
}

export function initializationOptions(s: MimoSettings): Record<string, unknown> {
  // This extension draws its own inline review: the server's review lenses and hints would show twice.
  const opts: Record<string, unknown> = { editor: { ownReview: true } };
  const model: Record<string, unknown> = {};
  if (s.model) model.spec = s.model;
  if (typeof s.gpuLayers === 'number') model.n_gpu_layers = s.gpuLayers;
  if (Object.keys(model).length) opts.model = model;
  const rules = policyRules(s.policyMode);
  if (rules.length) opts.safety = { rules };
  return opts;
}

/** How-to-fix text for a server that did not start. */
export function startFailureMessage(cmd: LaunchCommand, error: unknown): string {
  const why = error instanceof Error ? error.message : String(error);
  return (
    `MiMo: could not start the server "${[cmd.command, ...cmd.args].join(' ')}": ${why}. ` +
    `How to fix: set "mimo.pythonPath" to a Python that has mimo_lsp installed ` +
    `(e.g. /path/to/mimo-lsp/.venv/bin/python; check with "<python> -m mimo_lsp.server --help"), ` +
    `or set "mimo.serverCommand" to the full launch command.`
  );
}
