import { assistantsRun } from './assistants-run/spec.js';
import { batch } from './batch/spec.js';
import { KINDS } from './registry.js';
import { response } from './response/spec.js';

/**
 * The kind specs by name. The same object as `KINDS`; kept under its former name, from when a kind's spec was
 * only its adapter (HTTP calls, statuses, webhook types).
 */
export const adapters = KINDS;

export { assistantsRun, batch, KINDS, response };
