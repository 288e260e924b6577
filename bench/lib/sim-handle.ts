// The parent's side of sim-process.ts: a simulator in a child process, with the parent's own copy of its clock
// (same origin and speed), so that watchers in the parent schedule on the simulator's time.
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { SchedulerLike } from 'rxjs';
import { createScaledClock, type SimClock, type SimFaults, simScheduler } from '../../src/sim/index.js';
import type { Scenario } from '../../src/sim/scenario/scenario.js';
import type { SimOp, SimReport } from './sim-process.js';

export type { SimReport } from './sim-process.js';

/** A simulator running in its own process. */
export interface SimHandle {
  baseURL: string;
  /** The clock's origin (epoch ms): what a worker process needs to keep the same clock (`--origin`). */
  origin: number;
  clock: SimClock;
  scheduler: SchedulerLike;
  faults(faults: SimFaults): Promise<void>;
  report(): Promise<SimReport>;
  close(): Promise<void>;
}

/** Starts the simulator in a child process; its clock starts now, at `speed`. */
export async function startSimProcess(options: {
  speed: number;
  seed: number;
  scenario: Scenario;
}): Promise<SimHandle> {
  const origin = Date.now();
  const child: ChildProcess = fork(
    fileURLToPath(new URL('./sim-process.ts', import.meta.url)),
    [String(origin), String(options.speed), String(options.seed), JSON.stringify(options.scenario)],
    { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
  );
  const pending = new Map<number, (result: unknown) => void>();
  let nextId = 0;
  const baseURL = await new Promise<string>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`simulator process exited (${code})`)));
    child.on('message', (m: { ready?: boolean; baseURL?: string; id?: number; result?: unknown }) => {
      if (m.ready) resolve(m.baseURL!);
      else pending.get(m.id!)?.(m.result);
    });
  });
  child.removeAllListeners('exit');
  const call = <T>(request: SimOp) =>
    new Promise<T>((resolve) => {
      const id = nextId++;
      pending.set(id, (result) => {
        pending.delete(id);
        resolve(result as T);
      });
      child.send({ ...request, id });
    });
  const clock = createScaledClock(options.speed, origin);
  return {
    baseURL,
    origin,
    clock,
    scheduler: simScheduler(clock),
    faults: (faults) => call<void>({ op: 'faults', faults }),
    report: () => call<SimReport>({ op: 'stats' }),
    close: async () => {
      await call<void>({ op: 'close' });
      await new Promise((resolve) => (child.exitCode === null ? child.once('exit', resolve) : resolve(null)));
    },
  };
}
