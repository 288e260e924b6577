import type { JobKind, JobRef, RunSnapshot } from '../../model/types.js';
import type { Fate } from './demo-fates.js';

/** The sources the demo compares. */
export const DEMO_SOURCES = ['poll', 'webhook', 'hybrid'] as const;
export type DemoSource = (typeof DEMO_SOURCES)[number];

/** One demo job and where its watch stands. */
export interface DemoJob {
  /** 1-based, in creation order. */
  n: number;
  fate: Fate;
  source: DemoSource;
  kind: JobKind;
  ref: JobRef;
  id: string;
  /** Simulated ms of creation. */
  createdAt: number;
  last?: RunSnapshot;
  /** Simulated ms at which the last snapshot arrived (a timed-out snapshot keeps the time of its last observation). */
  seenAt?: number;
  /** The typed error that ended the watch, when the outcome could not be known. */
  error?: string;
  finished: boolean;
}
