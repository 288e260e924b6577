// runstate/http: watches served over HTTP to the people waiting: Server-Sent Events of snapshots (with resume),
// one observation per job per process, and the node:http adapter for Web handlers.

export { isNewerEventId, snapshotEventId } from '../client/event-order.js';
export { type EventStreamOptions, toEventStream } from './event-stream.js';
export { toNodeListener, type WebHandler } from './node-listener.js';
export { type ShareByJobOptions, shareByJob } from './share-by-job.js';
