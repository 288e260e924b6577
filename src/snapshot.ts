import type { RunMachineContext } from '../machines/run.machine.js';
import type { RunSnapshot } from './types.js';

/** Where the watch ended, as far as the snapshot is concerned. */
export type WatchPhase = 'watching' | 'done' | 'stopped';

function noteFor(context: RunMachineContext, phase: WatchPhase): string | undefined {
  const status = context.status ?? 'not seen yet';
  if (context.state === 'timed_out') {
    return `stopped waiting after ${context.deadlineAt - context.startedAt} ms; the job may still be running (last status: ${status})`;
  }
  if (context.state === 'expired' && context.status !== 'expired' && context.expiresAt !== null) {
    return `expires_at (${new Date(context.expiresAt).toISOString()}) passed; the server last said ${status}`;
  }
  if (phase === 'stopped') return `stopped watching on abort; the job was last ${status}`;
  if (context.missingHandlers.length > 0) {
    return `waiting for outputs of tools with no handler (${context.missingHandlers.join(', ')}): submit them yourself, or the run expires`;
  }
  return undefined;
}

/** The snapshot users see, from the machine's context. */
export function toSnapshot(context: RunMachineContext, phase: WatchPhase, calls: number): RunSnapshot {
  return {
    id: context.jobId,
    kind: context.kind,
    state: context.state,
    status: context.status,
    job: context.latest,
    source: context.source,
    at: context.at,
    calls,
    done: phase === 'done',
    pendingToolCalls: context.pendingToolCalls,
    missingHandlers: context.missingHandlers,
    note: noteFor(context, phase),
  };
}

/** What makes two snapshots different for a subscriber: a poll that reads the same status again is no news. */
export function changeKey(s: RunSnapshot): string {
  return [
    s.state,
    s.status,
    s.done,
    s.note,
    s.pendingToolCalls.map((c) => c.id).join(','),
    s.missingHandlers.join(','),
  ].join('|');
}
