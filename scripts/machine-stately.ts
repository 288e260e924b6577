import { fileURLToPath } from 'node:url';
import type { AnyStateMachine, AnyStateNode, AnyTransitionDefinition } from 'xstate';

// Where the machine config may hold a function that Stately's editor cannot show, and why it is safe to drop:
// `context` and `invoke.input` are computed from the watch's input, `params` of a named action or guard are
// computed from the event (the name stays), and `output` of a final state from context.
const DROPPABLE = new Set(['context', 'input', 'params', 'output']);

/**
 * The machine's config as plain JSON that Stately's editor imports: states and transitions written out, guards,
 * actions, actors and delays by name (strings or `{ type, params }` with static params), no spreads, no outside
 * constants, no functions. Built from the live machine's config (spreads and constants are already evaluated
 * there). A function anywhere but in a droppable place (an inline guard or action) throws, naming where it is:
 * name it in `setup()` instead.
 */
export function statelyConfig(machine: AnyStateMachine): Record<string, unknown> {
  const clean = (value: unknown, path: string): unknown => {
    if (typeof value === 'function') {
      throw new Error(`${path}: an inline function cannot travel to Stately's editor; name it in setup()`);
    }
    if (Array.isArray(value)) return value.map((v, i) => clean(v, `${path}[${i}]`));
    if (value && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      let dropped = false;
      for (const [key, v] of Object.entries(value)) {
        if (v === undefined) continue;
        if (typeof v === 'function' && DROPPABLE.has(key)) {
          dropped = true;
          continue;
        }
        out[key] = clean(v, `${path}.${key}`);
      }
      // `{ type: 'recordFault', params: fn }` without its params is just the name.
      const keys = Object.keys(out);
      return dropped && keys.length === 1 && keys[0] === 'type' ? out.type : out;
    }
    return value;
  };
  return clean(machine.config, machine.id) as Record<string, unknown>;
}

const HEADER = `// The run machine in a form that Stately's editor imports: in Stately Studio, Import, then paste createMachine(...).
// Generated from machines/run.machine.ts by \`npm run diagram\`; do not edit: a test fails when it is stale.
// Guards, actions, actors and delays are named only: runstate's implementations live in machines/run.machine.ts.
// Left out (computed from the watch's input or the event at run time): context, invoke input, dynamic params.`;

/** A self-contained ES module: `createMachine(<the config>)`, with no reference to anything outside it. */
export function statelySource(machine: AnyStateMachine): string {
  const config = literal(statelyConfig(machine), '');
  return `${HEADER}\nimport { createMachine } from 'xstate';\n\nexport const ${camel(machine.id)}Machine = createMachine(${config});\n`;
}

const WIDTH = 100;
const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;
const quote = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/** A JS literal as a person would write the config: bare keys, single quotes, short objects on one line. */
function literal(value: unknown, indent: string): string {
  if (typeof value === 'string') return quote(value);
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  const inner = `${indent}  `;
  const entries = Array.isArray(value)
    ? value.map((v) => literal(v, inner))
    : Object.entries(value).map(([k, v]) => `${IDENTIFIER.test(k) ? k : quote(k)}: ${literal(v, inner)}`);
  const [open, close] = Array.isArray(value) ? ['[', ']'] : ['{ ', ' }'];
  if (entries.length === 0) return Array.isArray(value) ? '[]' : '{}';
  const flat = `${open}${entries.join(', ')}${close}`;
  if (!flat.includes('\n') && indent.length + flat.length <= WIDTH) return flat;
  return `${open.trim()}\n${entries.map((e) => `${inner}${e},`).join('\n')}\n${indent}${close.trim()}`;
}

const camel = (id: string) =>
  id.replace(/[^A-Za-z0-9]+(.)?/g, (_, c: string | undefined) => c?.toUpperCase() ?? '');

export const STATELY_FILE = fileURLToPath(new URL('../docs/run.machine.stately.js', import.meta.url));

/**
 * Every state and transition of a machine as sorted lines: what "the same machine" means when the Stately copy
 * is compared with the live one. Dynamic params are not part of it (the copy cannot carry them).
 */
export function machineOutline(machine: AnyStateMachine): string[] {
  const lines: string[] = [];
  const name = (a: unknown): string => {
    if (typeof a === 'string') return a;
    const { type, params, id } = a as { type?: string; params?: unknown; id?: string };
    // XState's own actions (the raise and cancel behind `after`) are functions carrying a type and an id.
    if (typeof a === 'function') return `${type ?? (a as () => void).name}(${id ?? ''})`;
    return params === undefined || typeof params === 'function'
      ? `${type}`
      : `${type}${JSON.stringify(params)}`;
  };
  const transition = (from: string, event: string, t: AnyTransitionDefinition) => {
    const targets = (t.target ?? []).map((s) => s.id).join(',');
    const guard = t.guard ? ` [${name(t.guard)}]` : '';
    const actions = t.actions.length > 0 ? ` / ${t.actions.map(name).join(',')}` : '';
    lines.push(
      `on ${from} ${event} -> ${targets || '(stay)'}${guard}${actions}${t.reenter ? ' reenter' : ''}`,
    );
  };
  const visit = (node: AnyStateNode) => {
    const initial = node.initial?.target?.map((s) => s.id).join(',') ?? '';
    const invoke = node.invoke.map((i) => `${i.id}:${typeof i.src === 'string' ? i.src : 'logic'}`).join(',');
    lines.push(
      `state ${node.id} ${node.type}${initial ? ` initial=${initial}` : ''}${invoke ? ` invoke=${invoke}` : ''}` +
        `${node.entry.length ? ` entry=${node.entry.map(name).join(',')}` : ''}` +
        `${node.exit.length ? ` exit=${node.exit.map(name).join(',')}` : ''}`,
    );
    // Each transition keeps its place: the order of candidates for one event is part of the machine.
    for (const [event, ts] of node.transitions) {
      for (const [i, t] of ts.entries()) transition(node.id, `${event}#${i}`, t);
    }
    for (const [i, t] of (node.always ?? []).entries()) transition(node.id, `always#${i}`, t);
    for (const child of Object.values(node.states) as AnyStateNode[]) visit(child);
  };
  visit(machine.root);
  return lines.sort();
}
