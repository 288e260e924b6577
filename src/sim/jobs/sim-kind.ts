import type OpenAI from 'openai';
import type { SimContext } from '../context.js';
import type { Outcome, Scenario } from '../scenario/scenario.js';
import type { RouteDef } from '../server/route.js';

/** A job as runstate names it (`{ kind, id }`, `{ kind, threadId, runId }`): what a sample's creation gives. */
export interface SampleRef {
  /** The kind's name, as its `SimKindSpec` has it. */
  readonly kind: string;
  readonly [id: string]: string;
}

/** One way a demo job of this kind ends: its script in the simulator and the state a watch should end in. */
export interface DemoFate {
  /** Also the name of its simulator scenario (`metadata.sim_scenario`). */
  name: string;
  /** What the live view and the summary call it. */
  label: string;
  scenario: Scenario;
  /** The state the watch should end in (`timed_out`: the watch gives up first). */
  expect: Outcome | 'timed_out';
  /** The watch gives up after this long (simulated ms); default the demo's. */
  maxWaitMs?: number;
}

/** What `runstate demo` does with a kind: its fates, and how to make a job of it through the SDK. */
export interface KindDemo {
  /** The ways a demo job of this kind ends. */
  readonly fates: readonly DemoFate[];
  /**
   * Made once, before any job, for every job of this kind (a run's assistant); handed to each `create`.
   * Absent when the kind needs nothing.
   */
  prepare?(client: OpenAI): Promise<unknown>;
  /** Creates one job, scripted by `metadata.sim_scenario`, through the SDK as a user would. */
  create(client: OpenAI, metadata: Record<string, string>, prepared: unknown): Promise<SampleRef>;
  /** Kinds that stream: creates one job with a stream (the create's own stream is left at once). */
  createStreamed?(client: OpenAI, metadata: Record<string, string>): Promise<SampleRef>;
}

/**
 * Everything the simulator knows about one kind of job: its endpoints, the outcomes it can reach, and what the
 * demo does with it. The simulator's registry (`kinds.ts`) holds one per kind, filed under `kind`, and its keys are
 * `SimJobKind`; nothing outside `src/sim/jobs/` names a kind.
 */
export interface SimKindSpec<K extends string> {
  readonly kind: K;
  /** Its HTTP endpoints. */
  routes(ctx: SimContext): RouteDef[];
  /** Outcomes a job of this kind can never reach: a scenario asking for one is refused. */
  readonly impossibleOutcomes: readonly Outcome[];
  /**
   * The `files.create` purposes its jobs read their input under (a batch's `batch`, a fine-tune's `fine-tune`):
   * the simulator accepts these and the purposes no kind owns (`assistants`, `vision`, `user_data`).
   */
  readonly filePurposes?: readonly string[];
  readonly demo: KindDemo;
}
