/**
 * runstate/sim: an OpenAI-compatible simulator for Assistants runs, background responses and batches,
 * with scripted lifecycles, a controllable clock, injectable faults and signed webhooks.
 * (One export per module, each under its header: Biome sorts exports by path, and headers travel with them.)
 */

// ── clock ────────────────────────────────────────────────────────────────────────────────────────────────────
export {
  type ClockOption,
  createManualClock,
  createScaledClock,
  MANUAL_CLOCK_START,
  type ManualClock,
  type SimClock,
} from './time/clock.js';
// ── faults ───────────────────────────────────────────────────────────────────────────────────────────────────
export type {
  DropFault,
  FaultRule,
  HttpFaults,
  LatencyFault,
  PollAfterFault,
  RateLimitFault,
  ServerErrorFault,
  StreamFault,
} from './server/faults.js';
// ── stats: job kinds and timeline steps ──────────────────────────────────────────────────────────────────────
export type { SimJobKind } from './jobs/kinds.js';
export type { Step } from './jobs/plan.js';
// ── rate limits ──────────────────────────────────────────────────────────────────────────────────────────────
export { DEFAULT_RATE_LIMITS, type RateLimits } from './server/rate-limiter.js';
// ── scenarios ────────────────────────────────────────────────────────────────────────────────────────────────
export {
  DEFAULT_PHASES,
  DEFAULT_SCENARIO,
  type Duration,
  type Outcome,
  type Phases,
  type Scenario,
  ScenarioError,
  type StreamScript,
  type ToolCallSpec,
} from './scenario/scenario.js';
export { validateScenario } from './scenario/validate.js';
// ── clock, watcher side: an RxJS scheduler on the simulator clock ────────────────────────────────────────────
export { simScheduler } from './time/scheduler.js';
// ── webhooks: signing ────────────────────────────────────────────────────────────────────────────────────────
export { generateWebhookSecret, signWebhook } from './delivery/signing.js';
// ── simulator ────────────────────────────────────────────────────────────────────────────────────────────────
export {
  type ScenarioPicker,
  type SimFaults,
  type Simulator,
  type SimulatorOptions,
  startSimulator,
} from './simulator.js';
// ── stats ────────────────────────────────────────────────────────────────────────────────────────────────────
export type { JobStats, RouteStats, SimStats } from './server/stats.js';
// ── webhooks: delivery ───────────────────────────────────────────────────────────────────────────────────────
export type {
  SimWebhookEvent,
  WebhookAttempt,
  WebhookDelivery,
  WebhookDeliveryOptions,
  WebhookEndpoint,
  WebhookEndpointOptions,
  WebhookFaultRule,
  WebhookFaults,
  WebhookStats,
} from './delivery/webhooks.js';
