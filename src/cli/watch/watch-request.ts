import type { JobRef } from '../../model/types.js';

/** The sources `runstate watch --source` accepts. */
export const WATCH_SOURCES = ['poll', 'webhook', 'hybrid', 'stream'] as const;

/** What `runstate watch` was asked to do, checked: made by the command line, read by the watch. */
export interface WatchRequest {
  job: JobRef;
  apiKey: string;
  baseURL: string | undefined;
  source: (typeof WATCH_SOURCES)[number];
  /** For the webhook and hybrid sources. */
  webhooks: { port: number; host: string; secret: string } | undefined;
  maxWaitMs: number;
  json: boolean;
}
