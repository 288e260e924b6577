import type { JobKind, KindAdapter } from '../model/types.js';
import { assistantsRun } from './assistants-run.js';
import { batch } from './batch.js';
import { response } from './response.js';

// biome-ignore lint/suspicious/noExplicitAny: each adapter is typed by its own module
export const adapters: Record<JobKind, KindAdapter<any>> = {
  'assistants.run': assistantsRun,
  response,
  batch,
};

export { assistantsRun, batch, response };
