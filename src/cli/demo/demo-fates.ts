import type OpenAI from 'openai';
import type { JobRef, RunState } from '../../model/types.js';
import type { Scenario, SimJobKind } from '../../sim/index.js';
import { SIM_KIND_SPECS, SIM_KINDS } from '../../sim/jobs/kinds.js';
import type { ToolHandlers } from '../../tools/tools.js';

/** The ways a demo job can end, each scripted in the simulator and expected from the watch. */
export interface Fate {
  /** Also the name of its simulator scenario (`metadata.sim_scenario`). */
  name: string;
  /** What the live view and the summary call it. */
  label: string;
  kind: SimJobKind;
  scenario: Scenario;
  /** The state the watch should end in. */
  expect: RunState;
  /** The watch gives up after this long (simulated ms); default the demo's. */
  maxWaitMs?: number;
}

/** The order the demo's jobs cycle through the fates, by name (each kind's fates are in its simulator folder). */
const FATE_ORDER = ['completed', 'tool_calls', 'failed', 'expired_tools', 'cancelled', 'timed_out'] as const;

/**
 * A dozen jobs cycle through these: the fates in {@link FATE_ORDER}, then every other kind's fates in the
 * registry's order, so a new kind's demo job joins without an edit here. Times are simulated ms (the demo's clock
 * runs faster than real time).
 */
export const FATES: readonly Fate[] = [
  ...FATE_ORDER.map((name) => {
    for (const spec of SIM_KIND_SPECS) {
      const fate = spec.demo.fates.find((f) => f.name === name);
      if (fate) return { ...fate, kind: spec.kind };
    }
    throw new Error(`demo: no kind scripts the fate ${name}`);
  }),
  ...SIM_KIND_SPECS.flatMap((spec) =>
    spec.demo.fates
      .filter((f) => !(FATE_ORDER as readonly string[]).includes(f.name))
      .map((fate) => ({ ...fate, kind: spec.kind })),
  ),
];

/** The simulator's named scenarios, one per fate. */
export const FATE_SCENARIOS: Readonly<Record<string, Scenario>> = Object.fromEntries(
  FATES.map((f) => [f.name, f.scenario]),
);

/** One field of a tool call's parsed JSON arguments, which reach a handler without a schema as `unknown`. */
function field(args: unknown, name: string): string {
  return String((args as Record<string, unknown> | null)?.[name]);
}

/** Tool handlers the demo runs for `requires_action` (there is deliberately none for `approve_refund`). */
export const DEMO_TOOLS: ToolHandlers = {
  get_weather: (args) => ({ city: field(args, 'city'), celsius: 18, sky: 'clear' }),
  get_time: (args) => `12:00 in ${field(args, 'timezone')}`,
};

/** What each kind makes once before its jobs (a run's assistant), by kind; made in the registry's order. */
export type Prepared = ReadonlyMap<SimJobKind, unknown>;

/** Makes what each kind needs before its first job, through the SDK. */
export async function prepareFates(client: OpenAI): Promise<Prepared> {
  const prepared = new Map<SimJobKind, unknown>();
  for (const spec of SIM_KIND_SPECS)
    if (spec.demo.prepare) prepared.set(spec.kind, await spec.demo.prepare(client));
  return prepared;
}

/** Creates one job scripted to meet `fate` on the simulator, through the SDK as a user would. */
export async function createFateJob(client: OpenAI, fate: Fate, prepared: Prepared): Promise<JobRef> {
  const ref = await SIM_KINDS[fate.kind].demo.create(
    client,
    { sim_scenario: fate.name },
    prepared.get(fate.kind),
  );
  return ref as unknown as JobRef;
}

/** Creates the demo's streamed job (of the first kind that streams) and leaves the create's own stream. */
export async function createStreamedJob(client: OpenAI): Promise<JobRef> {
  const spec = SIM_KIND_SPECS.find((s) => s.demo.createStreamed);
  if (!spec?.demo.createStreamed) throw new Error('demo: no kind streams');
  return (await spec.demo.createStreamed(client, { sim_scenario: 'demo_streamed' })) as unknown as JobRef;
}
