// runstate/kinds: kinds of job runstate does not ship, defined by users (an Anthropic message batch, an export job of
// your own API), watched with the same machine, sources, budget, compose and queue as OpenAI's (docs/kinds.md).

export type { AnyRunUpdate, DefinedUpdate } from '../compose/run-update.js';
export type { JobState } from '../model/observation.js';
export type { DefinedSnapshot } from '../model/types.js';
export {
  type AnyDefinedKind,
  type AnyDefinedRef,
  type DefinedAnswer,
  type DefinedCallContext,
  type DefinedKind,
  type DefinedRef,
  defineKind,
  type KindDefinition,
} from './define-kind.js';
export type { PollDefaults, WebhookEventLike } from './spec.js';
