import type { RunMachineContext } from '../../machines/run.machine.js';
import { findKindSpec } from '../kinds/registry.js';
import type { RunSnapshot } from '../model/types.js';

/** Where the watch ended, as far as the snapshot is concerned. */
export type WatchPhase = 'watching' | 'done' | 'stopped';

const iso = (ms: number) => new Date(ms).toISOString();

/** What the end left undone: the tool calls the run still waited for when it ended, if any. */
function unanswered(context: RunMachineContext): string | undefined {
  if (context.missingHandlers.length > 0) {
    return `it was waiting for outputs of tools with no handler (${context.missingHandlers.join(', ')})`;
  }
  if (context.pendingToolCalls.length > 0) {
    return `its tool calls (${context.pendingToolCalls.map((c) => c.name).join(', ')}) were not answered in time`;
  }
  return undefined;
}

function noteFor(context: RunMachineContext, phase: WatchPhase): string | undefined {
  const status = context.status ?? 'not seen yet';
  if (context.state === 'timed_out') {
    return `stopped waiting after ${context.deadlineAt - context.startedAt} ms; the job may still be running (last status: ${status})`;
  }
  if (context.state === 'expired' && context.expiryUnconfirmed && context.expiresAt !== null) {
    return `expires_at (${iso(context.expiresAt)}) passed long ago and the server could not be reached to confirm it; the server last said ${status}, and its outcome is unknown`;
  }
  if (phase === 'stopped') return `stopped watching on abort; the job was last ${status}`;
  if (phase === 'done') {
    const left = unanswered(context);
    return left ? `the job ended ${context.state} (status ${status}); ${left}` : context.sourceNote;
  }
  if (context.missingHandlers.length > 0) {
    return `waiting for outputs of tools with no handler (${context.missingHandlers.join(', ')}): submit them yourself, or the run expires`;
  }
  return context.sourceNote;
}

/** The snapshot users see, from the machine's context. A terminal one lists no work left to do. */
export function toSnapshot(context: RunMachineContext, phase: WatchPhase, calls: number): RunSnapshot {
  const ended = phase === 'done';
  return {
    id: context.jobId,
    kind: context.kind,
    state: context.state,
    status: context.status,
    job: context.latest,
    source: context.source,
    at: context.at,
    calls,
    done: ended,
    pendingToolCalls: ended ? [] : context.pendingToolCalls,
    missingHandlers: ended ? [] : context.missingHandlers,
    note: noteFor(context, phase),
    // What the kind adds (a response's text, a batch's progress), from the latest object.
    ...findKindSpec(context.kind)?.snapshotExtras(context.latest),
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
    // What the kind adds is news too: text streaming in, a batch's counts moving, in the same status.
    findKindSpec(s.kind)?.extrasKey(s) ?? '',
  ].join('|');
}
