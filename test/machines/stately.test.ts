import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { NEVER } from 'rxjs';
import { describe, expect, it } from 'vitest';
import {
  type AnyStateMachine,
  createActor,
  createMachine,
  fromEventObservable,
  fromPromise,
  setup,
} from 'xstate';
import { runMachine } from '../../machines/run.machine.js';
import { machineDiagram } from '../../scripts/machine-diagram.js';
import { machineOutline, STATELY_FILE, statelyConfig, statelySource } from '../../scripts/machine-stately.js';

/** Stub implementations for every name the config uses: the copy runs without runstate's code. */
function stubbed(config: Record<string, unknown>): AnyStateMachine {
  const names = (kind: keyof typeof runMachine.implementations) =>
    Object.keys(runMachine.implementations[kind] ?? {});
  const fill = <T>(kind: keyof typeof runMachine.implementations, value: () => T) =>
    Object.fromEntries(names(kind).map((n) => [n, value()]));
  return setup({
    actors: {
      ...fill('actors', () => fromPromise(() => new Promise(() => {}))),
      source: fromEventObservable(() => NEVER),
    },
    guards: fill('guards', () => () => false),
    actions: fill('actions', () => () => {}),
    delays: fill('delays', () => 60_000),
  }).createMachine(config as never) as unknown as AnyStateMachine;
}

describe('docs/run.machine.stately.js: the machine in a form Stately imports', () => {
  it('is fresh: it holds what the generator makes from the current machine (run `npm run diagram`)', () => {
    expect(readFileSync(STATELY_FILE, 'utf8')).toBe(statelySource(runMachine));
  });

  it('evaluates on its own and has the live machine’s states and transitions', async () => {
    // The committed file itself, evaluated: nothing in it refers to anything outside it but xstate.
    const { runMachine: copy } = (await import(pathToFileURL(STATELY_FILE).href)) as {
      runMachine: AnyStateMachine;
    };
    const live = machineOutline(runMachine);
    expect(live.length).toBeGreaterThan(60);
    expect(machineOutline(copy)).toEqual(live);
    expect(machineDiagram(copy)).toBe(machineDiagram(runMachine));
  });

  it('is plain data that survives JSON, and runs with stub implementations', () => {
    const config = statelyConfig(runMachine);
    const json = JSON.parse(JSON.stringify(config)) as Record<string, unknown>;
    expect(json).toEqual(config);
    const machine = stubbed(json);
    expect(machineOutline(machine)).toEqual(machineOutline(runMachine));
    const actor = createActor(machine).start();
    expect(actor.getSnapshot().value).toEqual({ watching: 'queued' });
    actor.send({ type: 'abort', cancel: false });
    expect(actor.getSnapshot().value).toBe('stopped');
  });

  it('refuses an inline function, naming where it is, rather than drop behaviour silently', () => {
    const inline = createMachine({
      id: 'm',
      initial: 'a',
      states: { a: { on: { go: { guard: () => true, target: 'b' } } }, b: {} },
    });
    expect(() => statelyConfig(inline)).toThrow(/m\.states\.a\.on\.go\.guard: an inline function/);
  });
});
