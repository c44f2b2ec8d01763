// Workspace trust: VS Code's Workspace Trust maps onto the server's. An untrusted window never sends
// trust; a trusted one offers, once per config version, to trust the folder's MiMo settings that loosen
// safety, listing exactly which keys loosen what. Pure logic here; the prompt is in extension.ts.
import type { TrustResult } from './protocol.js';

export const TRUST_ACTION = 'Trust These MiMo Settings';

/** The prompt to show, or undefined: nothing loosens, already trusted, an untrusted window, or asked before. */
export function trustPrompt(result: TrustResult, windowTrusted: boolean, askedDigests: readonly string[]): string | undefined {
  if (!windowTrusted || result.trusted || result.ignored.length === 0) return undefined;
  if (askedDigests.includes(result.digest)) return undefined;
  const keys = result.ignored.map((i) => `${i.key} = ${JSON.stringify(i.value)} (${i.why})`).join('; ');
  return `This folder's ${result.config} asks for MiMo settings that loosen its safety, ignored until you trust them: ${keys}`;
}
