import { agentSessionSim } from './agent-session/kind.js';
import { assistantsRunSim } from './assistants-run/kind.js';
import { batchSim } from './batch/kind.js';
import { evalRunSim } from './eval-run/kind.js';
import { fineTuningJobSim } from './fine-tuning-job/kind.js';
import { responseSim } from './response/kind.js';
import type { SimKindSpec } from './sim-kind.js';
import { vectorStoreFileBatchSim } from './vector-store-file-batch/kind.js';

/** Checks that each kind's spec is filed under its own name. */
const simRegistry = <T extends { readonly [K in keyof T]: SimKindSpec<K & string> }>(specs: T): T => specs;

/**
 * Every kind of job the simulator runs, by name: a new kind is one folder beside this file and one line here, and
 * `SimJobKind` (its keys) follows.
 */
export const SIM_KINDS = simRegistry({
  'assistants.run': assistantsRunSim,
  response: responseSim,
  batch: batchSim,
  'fine_tuning.job': fineTuningJobSim,
  'eval.run': evalRunSim,
  'vector_store.file_batch': vectorStoreFileBatchSim,
  'agent.session': agentSessionSim,
});

/** The job kinds the simulator runs (the same names as runstate's `job.kind`). */
export type SimJobKind = keyof typeof SIM_KINDS;

/** True for the name of a kind the simulator runs (and not, say, `toString`). */
export function isSimJobKind(kind: string): kind is SimJobKind {
  return Object.hasOwn(SIM_KINDS, kind);
}

/** Every kind's spec, in the registry's order. */
export const SIM_KIND_SPECS: readonly SimKindSpec<SimJobKind>[] = Object.values(SIM_KINDS);
