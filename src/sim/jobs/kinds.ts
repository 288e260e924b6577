import { agentSessionSim } from './agent-session/kind.js';
import { assistantsRunSim } from './assistants-run/kind.js';
import { batchSim } from './batch/kind.js';
import { evalRunSim } from './eval-run/kind.js';
import { fineTuningJobSim } from './fine-tuning-job/kind.js';
import type { SimJobKind } from './job.js';
import { responseSim } from './response/kind.js';
import type { SimKindSpec } from './sim-kind.js';
import { vectorStoreFileBatchSim } from './vector-store-file-batch/kind.js';

/**
 * Every kind of job the simulator runs, by name: a new kind is one folder beside this file and one line here
 * (the compiler asks for it once `SimJobKind` names it).
 */
export const SIM_KINDS: { readonly [K in SimJobKind]: SimKindSpec<K> } = {
  'assistants.run': assistantsRunSim,
  response: responseSim,
  batch: batchSim,
  'fine_tuning.job': fineTuningJobSim,
  'eval.run': evalRunSim,
  'vector_store.file_batch': vectorStoreFileBatchSim,
  'agent.session': agentSessionSim,
};

/** Every kind's spec, in the registry's order. */
export const SIM_KIND_SPECS: readonly SimKindSpec<SimJobKind>[] = Object.values(SIM_KINDS);
