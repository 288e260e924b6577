import type { AnyStateNode } from 'xstate';
import { runMachine } from '../../machines/run.machine.js';

/** The run machine's states and transitions, as the dashboard page draws them. */
export interface MachineDiagram {
  /** Every state node below the root: `path` is its id from the root (`watching.queued`), `key` its own name. */
  nodes: { path: string; key: string; parent: string | undefined; final: boolean }[];
  /** Distinct transitions between nodes, by the event that takes them (`status`, `tick`, `xstate.after…`). */
  edges: { from: string; to: string; event: string }[];
}

const pathOf = (node: AnyStateNode) => node.path.join('.');

/**
 * Reads the diagram from the machine itself, so that it never drifts from the code: the nodes of
 * `runMachine.root` and the targets of their transitions.
 */
export function machineDiagram(): MachineDiagram {
  const nodes: MachineDiagram['nodes'] = [];
  const edges = new Map<string, MachineDiagram['edges'][number]>();
  const walk = (node: AnyStateNode) => {
    for (const child of Object.values(node.states) as AnyStateNode[]) {
      nodes.push({
        path: pathOf(child),
        key: child.key,
        parent: node.parent ? pathOf(node) : undefined,
        final: child.type === 'final',
      });
      for (const [event, transitions] of child.transitions) {
        for (const t of transitions) {
          for (const target of t.target ?? []) {
            const edge = { from: pathOf(child), to: pathOf(target), event };
            if (edge.from !== edge.to) edges.set(`${edge.from}>${edge.to}`, edge);
          }
        }
      }
      walk(child);
    }
  };
  walk(runMachine.root);
  return { nodes, edges: [...edges.values()] };
}
