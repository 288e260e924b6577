import type {
  AgentSessionStatus,
  RequiredAction,
  SessionInputEvent,
  SessionTurnStatus,
} from '../../../kinds/agent-session/types.js';
import type { IdFactory } from '../../ids.js';
import type { Random } from '../../scenario/random.js';
import { drawOutcome, samplePhase } from '../../scenario/sample.js';
import type { Outcome, Scenario, ToolCallSpec } from '../../scenario/scenario.js';
import { badRequest } from '../../server/errors.js';
import { type JobEvent, type SimJob, toUnix } from '../job.js';
import { Plan, type Step, StepBuilder } from '../plan.js';

type Status = AgentSessionStatus;

/**
 * A session as the simulator answers it: every field openai 7.60's `AgentSession` has (the SDK type itself is
 * absent from openai 6; test/types/agent-session.openai7.test-d.ts checks this one against it).
 */
export interface SimAgentSession {
  id: string;
  object: 'agent.session';
  created_at: number;
  last_active_at: number;
  status: Status;
  required_actions: RequiredAction[];
  error: string | null;
  agent: {
    id: string;
    instructions: string | null;
    model: string;
    multi_agent: { enabled: boolean; max_concurrent_subagents: number | null };
    name: string | null;
    reasoning: { effort: null; summary: null };
    service_tier: 'default';
    text: { format: { type: 'text' }; verbosity: 'medium' };
    tools: never[];
  };
  environment: { type: 'none' };
  metadata: Record<string, string>;
  usage: null;
  vault_ids: string[];
}

/**
 * A turn as `sessions.turns.retrieve / list` return it: every field openai 7.60's `Turn` has (checked against it
 * in test/types/agent-session.openai7.test-d.ts).
 */
export interface SimSessionTurn {
  id: string;
  object: 'agent.session.turn';
  agent_id: string;
  session_id: string;
  status: SessionTurnStatus;
  created_at: number;
  started_at: number | null;
  completed_at: number | null;
  error: { code: 'server_error'; message: string } | null;
  subagent_id: null;
  usage: null;
}

/** One turn of the script: when it began, and when a cancel ended it (a cancelled turn leaves the session idle). */
interface TurnRecord {
  id: string;
  at: number;
  cancelledAt?: number;
}

// What each status announces by webhook (`agent.session.<suffix>`), as openai 7 types the events.
const WEBHOOK_SUFFIX: Record<Status, string> = {
  in_progress: 'in_progress',
  requires_action: 'action_required',
  idle: 'idle',
  failed: 'failed',
};

/** What a session is created from: the request, the script and its dice. */
export interface SessionInit {
  id: string;
  model: string;
  instructions: string | null;
  metadata: Record<string, string> | null;
  /** Whether the create carried `input`: the first turn starts at once. */
  input: boolean;
  scenario: Scenario;
  random: Random;
  ids: IdFactory;
  now: number;
}

/**
 * A Managed Agents session scripted by a scenario. Each turn (started by `input` at create or a message event):
 * in_progress → (requires_action → in_progress) per round of `toolCalls` → idle (the scenario's `completed`) or
 * failed. A round's actions are answered one event at a time; the turn goes on once all are.
 */
export class SessionJob implements SimJob {
  readonly kind = 'agent.session';
  readonly id: string;
  readonly createdAt: number;
  readonly plan: Plan<Status>;
  /** The answers accepted so far, all turns: tool results and approval results, in order. */
  readonly answers: SessionInputEvent[] = [];
  private readonly outcome: Outcome;
  private turnId = '';
  /** Every turn so far, oldest first; the last is the current one. */
  private readonly turnRecords: TurnRecord[] = [];
  private readonly listeners = new Set<() => void>();
  /** The actions of the current round, and which of them were answered. */
  private round: RequiredAction[] = [];
  private readonly answered = new Set<string>();
  /** Rounds of the current turn already planned. */
  private rounds = 0;
  private lastActive: number;

  constructor(private readonly init: SessionInit) {
    this.id = init.id;
    this.createdAt = init.now;
    this.lastActive = init.now;
    this.outcome = drawOutcome(init.scenario, init.random);
    if (init.input) {
      const [first, ...rest] = this.startTurn(init.now);
      this.plan = new Plan(first!, rest);
    } else {
      this.plan = new Plan<Status>({ status: 'idle', at: init.now });
    }
  }

  /** A turn is what a watch follows: it ends idle or failed. */
  isTerminal(status: string): boolean {
    return status === 'idle' || status === 'failed';
  }

  /** `agent.session.<in_progress|action_required|idle|failed>`, with the action's type for action_required. */
  eventFor(step: Step): JobEvent | null {
    const status = step.status as Status;
    if (step === this.plan.step(0) && status === 'idle') return null;
    const data: JobEvent['data'] = { id: this.id };
    if (status === 'requires_action') {
      data.required_action = { type: this.round[0]?.type ?? 'function_call' };
    }
    return { type: `agent.session.${WEBHOOK_SUFFIX[status]}`, data };
  }

  /**
   * Applies input events at `t` (`sessions.events.create`), or throws the API's 400: a message starts a turn when
   * idle; a cancel ends the turn (idle); tool and approval results answer the current round's actions, once each.
   */
  accept(t: number, events: readonly SessionInputEvent[]): void {
    const status = this.plan.statusAt(t);
    // All or nothing: every answer is checked before any event is applied.
    const seen = new Set<string>();
    for (const event of events) {
      if (event.type === 'agent.session.input.message' || event.type === 'agent.session.input.cancel')
        continue;
      const id = 'call_id' in event ? event.call_id : event.request_id;
      this.check(status, id, 'turn_id' in event ? event.turn_id : undefined, seen);
      seen.add(id);
    }
    for (const event of events) {
      if (event.type === 'agent.session.input.message') {
        if (status !== 'idle' && status !== 'failed') {
          throw badRequest(
            `Session ${this.id} is ${status}: wait for the turn to end before sending a message.`,
          );
        }
        this.plan.replan(t, this.startTurn(t));
        continue;
      }
      if (event.type === 'agent.session.input.cancel') {
        if (!this.isTerminal(status)) {
          this.plan.replan(t, [{ status: 'idle', at: t }]);
          const current = this.turnRecords.at(-1);
          if (current) current.cancelledAt = t;
        }
        continue;
      }
      const id = 'call_id' in event ? event.call_id : event.request_id;
      this.answered.add(id);
      this.answers.push(event);
    }
    this.lastActive = t;
    if (this.plan.statusAt(t) === 'requires_action' && this.round.every((a) => this.answered.has(idOf(a)))) {
      this.plan.replan(t, this.nextSteps(t));
    }
    // Open event streams write what the input changed (a new turn, a cancel, the next round).
    for (const fn of [...this.listeners]) fn();
  }

  /** Calls `fn` when input rewrites the script; returns a function that stops it. */
  onChange(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Throws the API's 400 for an answer to an action the session does not wait for (or answered twice). */
  private check(status: Status, id: string, turnId: string | undefined, seen: ReadonlySet<string>): void {
    if (this.answered.has(id) || seen.has(id)) {
      throw badRequest(`The result for '${id}' was already submitted.`, 'events');
    }
    if (status !== 'requires_action' || !this.round.some((a) => idOf(a) === id)) {
      throw badRequest(
        `No pending required action with id '${id}' in session ${this.id} (${status}).`,
        'events',
      );
    }
    if (turnId !== undefined && turnId !== this.turnId) {
      throw badRequest(`Turn '${turnId}' is not the current turn of session ${this.id}.`, 'events');
    }
  }

  /** The session as `GET /agents/sessions/{id}` returns it at `t`. */
  toSession(t: number): SimAgentSession {
    const status = this.plan.statusAt(t);
    const { init } = this;
    return {
      id: this.id,
      object: 'agent.session',
      created_at: toUnix(this.createdAt),
      last_active_at: toUnix(Math.max(this.lastActive, this.plan.lastAt(t).at)),
      status,
      required_actions:
        status === 'requires_action' ? this.round.filter((a) => !this.answered.has(idOf(a))) : [],
      error: status === 'failed' ? (init.scenario.error?.message ?? 'The agent session failed.') : null,
      agent: {
        id: this.agentId,
        instructions: init.instructions,
        model: init.model,
        multi_agent: { enabled: false, max_concurrent_subagents: null },
        name: null,
        reasoning: { effort: null, summary: null },
        service_tier: 'default',
        text: { format: { type: 'text' }, verbosity: 'medium' },
        tools: [],
      },
      environment: { type: 'none' },
      metadata: init.metadata ?? {},
      usage: null,
      vault_ids: [],
    };
  }

  lastTurnStatus(t: number): string | undefined {
    return this.turns(t).at(-1)?.status;
  }

  /** The session's turns at `t`, oldest first (`sessions.turns.list` pages them). */
  turns(t: number): SimSessionTurn[] {
    return this.turnRecords
      .filter((r) => r.at <= t)
      .map((record, i, all) => this.toTurn(record, Math.min(t, (all[i + 1]?.at ?? t + 1) - 1)));
  }

  /** The turn in effect at `t` (the last one begun by then), as it reads at `t`; undefined before any turn. */
  turnAt(t: number): SimSessionTurn | undefined {
    const record = this.turnRecords.findLast((r) => r.at <= t);
    return record ? this.toTurn(record, t) : undefined;
  }

  /** A turn as it reads at `t` (`t` no later than the next turn's start): the plan's steps since it began. */
  private toTurn(record: TurnRecord, t: number): SimSessionTurn {
    const step = this.plan.lastAt(t);
    const session = step.status;
    const ended = session === 'idle' || session === 'failed';
    let status: SessionTurnStatus;
    if (record.cancelledAt !== undefined && record.cancelledAt <= t) status = 'cancelled';
    else if (session === 'idle') status = 'completed';
    else if (session === 'failed') status = 'failed';
    else if (session === 'requires_action') status = 'waiting';
    else status = 'in_progress';
    return {
      id: record.id,
      object: 'agent.session.turn',
      agent_id: this.agentId,
      session_id: this.id,
      status,
      created_at: toUnix(record.at),
      started_at: toUnix(record.at),
      completed_at: ended ? toUnix(step.at) : null,
      error:
        status === 'failed'
          ? { code: 'server_error', message: this.init.scenario.error?.message ?? 'The turn failed.' }
          : null,
      subagent_id: null,
      usage: null,
    };
  }

  private get agentId(): string {
    return `agent_${this.id.slice('sess_'.length, 'sess_'.length + 24)}`;
  }

  /** Steps of a new turn from `t`. */
  private startTurn(t: number): Step<Status>[] {
    this.turnId = this.init.ids.make('turn_');
    this.turnRecords.push({ id: this.turnId, at: t });
    this.rounds = 0;
    this.round = [];
    this.answered.clear();
    return this.nextSteps(t);
  }

  /** Steps from `t`: working, then the next round of actions or the outcome. */
  private nextSteps(t: number): Step<Status>[] {
    const { scenario, random } = this.init;
    const b = new StepBuilder<Status>(t).enter('in_progress', samplePhase(scenario, 'in_progress', random));
    const calls = scenario.toolCalls?.[this.rounds];
    if (calls) {
      this.rounds++;
      this.round = calls.map((call) => this.action(call));
      this.answered.clear();
      b.enter('requires_action');
    } else {
      b.enter(this.outcome === 'failed' ? 'failed' : 'idle');
    }
    return b.steps;
  }

  private action(call: ToolCallSpec): RequiredAction {
    const args = typeof call.arguments === 'string' ? safeParse(call.arguments) : (call.arguments ?? {});
    if (call.type === 'mcp_approval') {
      return {
        type: 'mcp_approval_request',
        request_id: this.init.ids.make('mcpr_'),
        turn_id: this.turnId,
        request: {
          type: 'mcp_tool_call',
          server_label: 'sim',
          name: call.name,
          arguments: args,
          message: `Allow the agent to call ${call.name} on MCP server sim?`,
        },
      };
    }
    if (call.type === 'computer_use_approval') {
      return {
        type: 'computer_use_approval_request',
        request_id: this.init.ids.make('cuar_'),
        turn_id: this.turnId,
        request: { type: 'browser_origin_access', origin: call.name, reason: null },
      };
    }
    return {
      type: 'function_call',
      call_id: this.init.ids.make('call_'),
      turn_id: this.turnId,
      name: call.name,
      arguments: args,
    };
  }
}

function idOf(action: RequiredAction): string {
  if (action.type === 'function_call') return action.call_id;
  if (action.type === 'environment_connection') return action.environment_id;
  return action.request_id;
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
