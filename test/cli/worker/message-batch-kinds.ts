// What `runstate worker --kinds` loads in the kinds process test: a user's module exporting a kind made with
// defineKind (the test kind of docs/kinds.md), told where its API listens by the environment, as a deployment's
// module would be.
import { api, messageBatch } from '../../kinds/message-batch-kind.js';

api.baseURL = process.env.MESSAGE_BATCH_URL ?? '';

export { messageBatch };
