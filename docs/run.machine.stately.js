// The run machine in a form that Stately's editor imports: in Stately Studio, Import, then paste createMachine(...).
// Generated from machines/run.machine.ts by `npm run diagram`; do not edit: a test fails when it is stale.
// Guards, actions, actors and delays are named only: runstate's implementations live in machines/run.machine.ts.
// Left out (computed from the watch's input or the event at run time): context, invoke input, dynamic params.
import { createMachine } from 'xstate';

export const runMachine = createMachine({
  id: 'run',
  initial: 'watching',
  states: {
    watching: {
      invoke: { id: 'source', src: 'source', onError: { target: 'faulted', actions: 'recordFault' } },
      after: { maxWait: { target: 'timed_out' } },
      on: {
        abort: [{ guard: 'shouldCancel', target: 'stopping' }, { target: 'stopped' }],
        tick: { guard: 'isPastDeadline', target: 'timed_out' },
        status: [
          { guard: 'isStale' },
          {
            guard: { type: 'isState', params: { state: 'completed' } },
            target: 'completed',
            actions: 'recordStatus',
          },
          {
            guard: { type: 'isState', params: { state: 'failed' } },
            target: 'failed',
            actions: 'recordStatus',
          },
          {
            guard: { type: 'isState', params: { state: 'cancelled' } },
            target: 'cancelled',
            actions: 'recordStatus',
          },
          {
            guard: { type: 'isState', params: { state: 'expired' } },
            target: 'expired',
            actions: 'recordStatus',
          },
          {
            guard: { type: 'isState', params: { state: 'incomplete' } },
            target: 'incomplete',
            actions: 'recordStatus',
          },
          { guard: 'isUnknownStatus', actions: 'recordStatus' },
          {
            guard: 'isAnswerableRound',
            target: '.requires_action',
            actions: ['recordStatus', 'recordToolCalls'],
          },
          { guard: 'isSameState', actions: 'recordStatus' },
          {
            guard: { type: 'isState', params: { state: 'queued' } },
            target: '.queued',
            actions: 'recordStatus',
          },
          {
            guard: { type: 'isState', params: { state: 'in_progress' } },
            target: '.in_progress',
            actions: 'recordStatus',
          },
          {
            guard: { type: 'isState', params: { state: 'cancelling' } },
            target: '.cancelling',
            actions: 'recordStatus',
          },
          {
            guard: { type: 'isState', params: { state: 'requires_action' } },
            target: '.requires_action',
            actions: ['recordStatus', 'recordToolCalls'],
          },
        ],
      },
      initial: 'queued',
      states: {
        queued: {
          after: { untilExpiry: { guard: 'hasExpiry', target: 'confirming_expiry' } },
          on: { tick: { guard: 'isPastExpiry', target: 'confirming_expiry' } },
        },
        in_progress: {
          after: { untilExpiry: { guard: 'hasExpiry', target: 'confirming_expiry' } },
          on: { tick: { guard: 'isPastExpiry', target: 'confirming_expiry' } },
        },
        requires_action: {
          after: { untilExpiry: { guard: 'hasExpiry', target: 'confirming_expiry' } },
          on: { tick: { guard: 'isPastExpiry', target: 'confirming_expiry' } },
          initial: 'deciding',
          states: {
            deciding: {
              always: [
                { guard: 'hasMissingHandlers', target: 'blocked' },
                { guard: 'hasPendingCalls', target: 'running_tools' },
                { target: 'submitted' },
              ],
            },
            running_tools: {
              on: { status: { guard: 'isSameState', actions: 'recordStatus' } },
              invoke: {
                id: 'runTools',
                src: 'runTools',
                onDone: { target: 'submitting', actions: 'recordOutputs' },
                onError: { target: '#run.faulted', actions: 'recordFault' },
              },
            },
            submitting: {
              on: { status: { guard: 'isSameState', actions: 'recordStatus' } },
              invoke: {
                id: 'submitOutputs',
                src: 'submitOutputs',
                onDone: { target: 'submitted', actions: ['markAnswered', 'nudgeSource'] },
                onError: { target: '#run.faulted', actions: 'recordFault' },
              },
            },
            submitted: {
              on: {
                status: [
                  { guard: 'isStale' },
                  {
                    guard: 'hasNewToolCalls',
                    target: 'deciding',
                    actions: ['recordStatus', 'recordToolCalls'],
                  },
                  { guard: 'isSameState', actions: 'recordStatus' },
                ],
              },
            },
            blocked: {
              on: {
                status: [
                  { guard: 'isStale' },
                  {
                    guard: 'hasNewToolCalls',
                    target: 'deciding',
                    actions: ['recordStatus', 'recordToolCalls'],
                  },
                  { guard: 'isSameState', actions: 'recordStatus' },
                ],
              },
            },
          },
        },
        cancelling: {
          after: { untilExpiry: { guard: 'hasExpiry', target: 'confirming_expiry' } },
          on: { tick: { guard: 'isPastExpiry', target: 'confirming_expiry' } },
        },
        confirming_expiry: {
          invoke: {
            id: 'confirmExpiry',
            src: 'confirmExpiry',
            onDone: [
              {
                guard: { type: 'isOutputState', params: { state: 'completed' } },
                target: '#run.completed',
                actions: 'recordOutput',
              },
              {
                guard: { type: 'isOutputState', params: { state: 'failed' } },
                target: '#run.failed',
                actions: 'recordOutput',
              },
              {
                guard: { type: 'isOutputState', params: { state: 'cancelled' } },
                target: '#run.cancelled',
                actions: 'recordOutput',
              },
              {
                guard: { type: 'isOutputState', params: { state: 'expired' } },
                target: '#run.expired',
                actions: 'recordOutput',
              },
              {
                guard: { type: 'isOutputState', params: { state: 'incomplete' } },
                target: '#run.incomplete',
                actions: 'recordOutput',
              },
              {
                guard: { type: 'isOutputState', params: { state: 'queued' } },
                target: '#run.watching.queued',
                actions: ['disarmExpiry', 'recordOutput'],
              },
              {
                guard: { type: 'isOutputState', params: { state: 'in_progress' } },
                target: '#run.watching.in_progress',
                actions: ['disarmExpiry', 'recordOutput'],
              },
              {
                guard: { type: 'isOutputState', params: { state: 'cancelling' } },
                target: '#run.watching.cancelling',
                actions: ['disarmExpiry', 'recordOutput'],
              },
              {
                guard: { type: 'isOutputState', params: { state: 'requires_action' } },
                target: '#run.watching.requires_action',
                actions: ['disarmExpiry', 'recordOutput', 'recordOutputToolCalls'],
              },
              { target: '#run.watching.in_progress', actions: ['disarmExpiry', 'recordOutput'] },
            ],
            onError: [
              { guard: 'isUnreachable', target: '#run.expired', actions: 'markExpiryUnconfirmed' },
              { target: '#run.faulted', actions: 'recordFault' },
            ],
          },
        },
      },
    },
    stopping: {
      invoke: {
        id: 'cancelJob',
        src: 'cancelJob',
        onDone: { target: 'stopped', actions: 'recordOutput' },
        onError: { target: 'stopped' },
      },
    },
    completed: { type: 'final', entry: { type: 'settle', params: { state: 'completed' } } },
    failed: { type: 'final', entry: { type: 'settle', params: { state: 'failed' } } },
    cancelled: { type: 'final', entry: { type: 'settle', params: { state: 'cancelled' } } },
    expired: { type: 'final', entry: { type: 'settle', params: { state: 'expired' } } },
    incomplete: { type: 'final', entry: { type: 'settle', params: { state: 'incomplete' } } },
    timed_out: { type: 'final', entry: 'giveUp' },
    stopped: { type: 'final' },
    faulted: { type: 'final' },
  },
});
