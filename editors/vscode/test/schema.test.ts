// Protocol drift: what this extension sends and reads must exist in the server's exported schema
// (mimo_lsp/protocol/schema.json, generated from the server's pydantic models). The TypeScript types are
// erased at run time, so src/protocol.ts is read as text: every property of every mapped interface, and of
// the inline object types inside it, must be a property of the schema definition it stands for.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { Commands, Notifications } from '../src/protocol.js';

const repo = path.resolve(__dirname, '..', '..', '..', '..');
const schemaPath = process.env.MIMO_PROTOCOL_SCHEMA ?? path.join(repo, 'mimo_lsp', 'protocol', 'schema.json');
const source = path.join(repo, 'editors', 'vscode', 'src', 'protocol.ts');

// interface in src/protocol.ts -> schema definition
const MAP: Record<string, string> = {
  TrustResult: 'TrustResult', TaskEvent: 'PlanNotification', PlanNode: 'PlanNodeWire', PlanEvent: 'PlanNotification',
  NodeEvent: 'NodeNotification', StepEvent: 'StepNotification', CheckpointEvent: 'CheckpointNotification',
  TokenEvent: 'TokenNotification', DoneEvent: 'DoneNotification', PickEvent: 'PickNotification',
  TaskStartParams: 'TaskStartParams', TaskStartResult: 'TaskStartResult', Hunk: 'Hunk', ReviewFile: 'FileReview',
  ReviewGetResult: 'ReviewGetResult', ReviewDecisionResult: 'ReviewDecision', SearchHit: 'IndexSearchHit',
  TaskInfo: 'TaskInfo', IndexStatus: 'IndexStatusResult', CandidateInfo: 'CandidateInfo', CandidatesResult: 'CandidatesResult',
  CandidateFileResult: 'CandidateFileResult', ApplyCandidateResult: 'ApplyCandidateResult',
};

type Def = { properties?: Record<string, any> };
const schema = JSON.parse(fs.readFileSync(schemaPath, 'utf8')) as {
  commands: Record<string, unknown>; notifications: Record<string, string>; definitions: Record<string, Def>;
};

/** The definition a property refers to ($ref, array items, or one member of a nullable anyOf). */
function refOf(prop: any): string | undefined {
  const r = prop?.$ref ?? prop?.items?.$ref ?? prop?.anyOf?.map((a: any) => a.$ref ?? a.items?.$ref).find(Boolean);
  return r ? String(r).split('/').pop() : undefined;
}

/** Top-level members of an interface body; inline `{ ... }` types are returned with their own keys. */
function members(body: string): { name: string; inline?: string }[] {
  const out: { name: string; inline?: string }[] = [];
  let depth = 0;
  let i = 0;
  while (i < body.length) {
    const m = depth === 0 ? /^\s*(?:\/\*\*[^]*?\*\/\s*)?(\w+)\??:\s*/.exec(body.slice(i)) : null;
    if (m) {
      const start = i + m[0].length;
      let j = start;
      let d = 0;
      for (; j < body.length; j++) {
        const c = body[j];
        if (c === '{' || c === '(' || c === '<') d++;
        if (c === '}' || c === ')' || c === '>') d--;
        if (c === ';' && d === 0) break;
      }
      const type = body.slice(start, j);
      const brace = type.indexOf('{');
      out.push({ name: m[1], inline: brace >= 0 ? type.slice(brace + 1, type.lastIndexOf('}')) : undefined });
      i = j + 1;
      continue;
    }
    i++;
  }
  return out;
}

function interfaces(): Record<string, string> {
  const text = fs.readFileSync(source, 'utf8');
  const out: Record<string, string> = {};
  for (const m of text.matchAll(/export interface (\w+)(?: extends \w+)? \{/g)) {
    let d = 1;
    let j = m.index! + m[0].length;
    for (; j < text.length && d > 0; j++) {
      if (text[j] === '{') d++;
      if (text[j] === '}') d--;
    }
    out[m[1]] = text.slice(m.index! + m[0].length, j - 1);
  }
  return out;
}

test('every command and notification the extension uses is in the schema', () => {
  for (const c of Object.values(Commands)) assert.ok(c in schema.commands, `command ${c}`);
  for (const n of Object.values(Notifications)) assert.ok(n in schema.notifications, `notification ${n}`);
});

test('every field of the mapped interfaces (and their inline types) is in its schema definition', () => {
  const found = interfaces();
  const problems: string[] = [];
  for (const [iface, defName] of Object.entries(MAP)) {
    assert.ok(found[iface], `interface ${iface} in src/protocol.ts`);
    const def = schema.definitions[defName];
    assert.ok(def, `definition ${defName}`);
    for (const m of members(found[iface])) {
      const prop = def.properties?.[m.name];
      if (!prop) {
        problems.push(`${iface}.${m.name} is not in ${defName}`);
        continue;
      }
      if (m.inline) {
        const sub = refOf(prop);
        const subDef = sub ? schema.definitions[sub] : undefined;
        for (const k of members(m.inline)) {
          if (subDef && !subDef.properties?.[k.name]) problems.push(`${iface}.${m.name}.${k.name} is not in ${sub}`);
        }
      }
    }
  }
  assert.deepEqual(problems, []);
});

test('the drift check itself reports a renamed field', () => {
  const body = 'taskId: string;\n  renamedField: number;';
  const props = schema.definitions.TaskStartResult.properties ?? {};
  assert.deepEqual(members(body).map((m) => m.name).filter((n) => !(n in props)), ['renamedField']);
});
