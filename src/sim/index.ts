/**
 * runstate/sim: an OpenAI-compatible simulator for Assistants runs, background responses and batches,
 * with scripted lifecycles, a controllable clock, injectable faults and signed webhooks.
 */

// clock
export type { ClockOption, ManualClock, SimClock } from './clock.js';
export { createManualClock, createScaledClock, MANUAL_CLOCK_START } from './clock.js';
export { simScheduler } from './scheduler.js';
// faults
export type {
  FaultRule,
  HttpFaults,
  LatencyFault,
  PollAfterFault,
  RateLimitFault,
  ServerErrorFault,
} from './faults.js';
export type { JobKind } from './jobs/job.js';
export type { Step } from './jobs/plan.js';
// scenarios
export type { Duration, Outcome, Phases, Scenario, ToolCallSpec } from './scenario.js';
export { DEFAULT_PHASES, DEFAULT_SCENARIO, ScenarioError, validateScenario } from './scenario.js';
export { generateWebhookSecret, signWebhook } from './signing.js';
// simulator
export type { ScenarioPicker, SimFaults, Simulator, SimulatorOptions } from './simulator.js';
export { startSimulator } from './simulator.js';
// stats
export type { JobStats, RouteStats, SimStats } from './stats.js';
// webhooks
export type {
  WebhookAttempt,
  WebhookDelivery,
  WebhookDeliveryOptions,
  WebhookEndpoint,
  WebhookEndpointOptions,
  WebhookEvent,
  WebhookFaultRule,
  WebhookFaults,
  WebhookStats,
} from './webhooks.js';
