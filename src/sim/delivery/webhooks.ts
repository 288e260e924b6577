import type { IdFactory } from '../ids.js';
import type { JobEvent } from '../jobs/job.js';
import { toUnix } from '../jobs/job.js';
import type { Random } from '../scenario/random.js';
import { sampleDuration } from '../scenario/sample.js';
import type { Duration } from '../scenario/scenario.js';
import { ArmedRule, checkDuration, checkRule, routeMatcher } from '../server/faults.js';
import type { SimClock } from '../time/clock.js';
import { corruptSignature, generateWebhookSecret, signWebhook } from './signing.js';

/** A registered receiver. */
export interface WebhookEndpoint {
  readonly id: string;
  readonly url: string;
  /** The `whsec_…` secret deliveries are signed with (generated when none was given). */
  readonly secret: string;
  /** Stops deliveries to this URL (attempts in flight finish). */
  remove(): void;
}

/** Where to deliver: a URL and, optionally, its secret. */
export interface WebhookEndpointOptions {
  url: string;
  secret?: string;
}

/** Retry policy and transport for deliveries. */
export interface WebhookDeliveryOptions {
  /**
   * Clock ms to wait before each retry (the last one repeats). A scaled or manual clock compresses them.
   *
   * @defaultValue after Standard Webhooks/Svix: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h
   */
  retryDelaysMs?: readonly number[];
  /**
   * Attempts per delivery, the first included.
   *
   * @defaultValue `8`
   */
  maxAttempts?: number;
  /**
   * Wall-clock ms an attempt may take before it counts as failed.
   *
   * @defaultValue `5000`
   */
  timeoutMs?: number;
  /**
   * The fetch to deliver with.
   *
   * @defaultValue the global `fetch`
   */
  fetch?: typeof fetch;
}

/**
 * When a webhook fault fires: `next` deliveries first, then `probability` (default 0); `types` limits it to
 * event types or globs (`'response.*'`, `'thread.run.completed'`).
 */
export interface WebhookFaultRule {
  probability?: number;
  next?: number;
  types?: readonly string[];
}

/** Delivery faults, configured with `faults.webhooks` (at start or with `sim.setFaults`). */
export interface WebhookFaults {
  /** Never delivered. */
  drop?: WebhookFaultRule | null;
  /** Delivered `copies` extra times (default 1) with the same `webhook-id`. */
  duplicate?: (WebhookFaultRule & { copies?: number }) | null;
  /**
   * Held back until another delivery to the same URL has been attempted (or `holdMs` of clock time passed,
   * default 1000), so it arrives after an event that happened later.
   */
  reorder?: (WebhookFaultRule & { holdMs?: number }) | null;
  /** Extra clock delay before the first attempt. */
  delay?: (WebhookFaultRule & { ms: Duration }) | null;
  /** First attempt signed with a corrupted signature (retries, if the receiver refuses it, are signed right). */
  badSignature?: WebhookFaultRule | null;
}

/** The JSON body of a delivery, as OpenAI sends it. */
export interface SimWebhookEvent {
  id: string;
  type: string;
  /** Unix seconds of the moment the job reached the status (clock time). */
  created_at: number;
  data: { id: string } & Record<string, unknown>;
  object: 'event';
}

/** One attempt of one delivery. */
export interface WebhookAttempt {
  /** Clock ms the attempt started. */
  at: number;
  /** HTTP status the receiver answered, or why there was none. */
  status: number | 'network_error' | 'timeout';
  badSignature: boolean;
}

/** One delivery of one event to one URL (duplicates are separate deliveries sharing `webhookId`). */
export interface WebhookDelivery {
  webhookId: string;
  event: SimWebhookEvent;
  url: string;
  /** 0 for the delivery itself, 1.. for injected duplicates. */
  copy: number;
  state: 'pending' | 'delivered' | 'failed' | 'dropped';
  attempts: WebhookAttempt[];
}

/** Delivery counters. */
export interface WebhookStats {
  /** Events published while at least one URL was registered. */
  events: number;
  /** Deliveries created (events × URLs, plus duplicates, drops included). */
  deliveries: number;
  attempts: number;
  /** Deliveries a receiver acknowledged with a 2xx. */
  delivered: number;
  /** Attempts after the first. */
  retried: number;
  /** Deliveries that used up their attempts. */
  failed: number;
  dropped: number;
  duplicated: number;
  reordered: number;
  delayed: number;
  badSignatures: number;
}

const USER_AGENT = 'OpenAI/1.0 (+https://platform.openai.com/docs/webhooks)';
const DEFAULT_RETRY_DELAYS_MS = [5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000];

interface Delivery {
  endpoint: WebhookEndpoint;
  body: string;
  record: WebhookDelivery;
  corruptNext: boolean;
  /** Order of dispatch: a held delivery waits for an attempt of one dispatched after it, not one already in flight. */
  seq: number;
}

interface Held {
  /** The copies of one event: one dispatch, one `seq`. */
  deliveries: Delivery[];
  cancel: () => void;
}

interface Scheduled {
  at: number;
  cancel: () => void;
}

type Armed = {
  [K in keyof WebhookFaults]-?: ArmedRule<NonNullable<WebhookFaults[K]>> | undefined;
};

/**
 * Signs and delivers job events to registered URLs, with retries on the clock and injectable faults.
 * Each attempt is a real `fetch`; `close()` aborts attempts in flight and cancels pending retries.
 */
export class WebhookDispatcher {
  private readonly endpoints = new Map<string, WebhookEndpoint>();
  private readonly held = new Map<string, Held[]>();
  private dispatched = 0;
  private readonly scheduled = new Set<Scheduled>();
  private readonly inflight = new Set<Promise<void>>();
  private readonly controllers = new Set<AbortController>();
  private readonly log: WebhookDelivery[] = [];
  private faults: WebhookFaults = {};
  private armed: Partial<Armed> = {};
  private closed = false;
  readonly stats: WebhookStats = {
    events: 0,
    deliveries: 0,
    attempts: 0,
    delivered: 0,
    retried: 0,
    failed: 0,
    dropped: 0,
    duplicated: 0,
    reordered: 0,
    delayed: 0,
    badSignatures: 0,
  };
  private readonly retryDelaysMs: readonly number[];
  private readonly maxAttempts: number;
  private readonly timeoutMs: number;
  private readonly fetch: typeof fetch;

  constructor(
    private readonly clock: SimClock,
    private readonly ids: IdFactory,
    private readonly random: Random,
    options: WebhookDeliveryOptions = {},
  ) {
    this.retryDelaysMs = options.retryDelaysMs?.length ? options.retryDelaysMs : DEFAULT_RETRY_DELAYS_MS;
    this.maxAttempts = options.maxAttempts ?? DEFAULT_RETRY_DELAYS_MS.length + 1;
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.fetch = options.fetch ?? ((...args) => globalThis.fetch(...args));
    if (!(Number.isInteger(this.maxAttempts) && this.maxAttempts >= 1)) {
      throw new RangeError(`webhookDelivery.maxAttempts: expected an integer >= 1, got ${this.maxAttempts}`);
    }
  }

  /** Registers a URL; every event from now on is delivered to it. */
  register({ url, secret }: WebhookEndpointOptions): WebhookEndpoint {
    new URL(url);
    const id = this.ids.make('we_');
    const endpoint: WebhookEndpoint = {
      id,
      url,
      secret: secret ?? generateWebhookSecret(),
      remove: () => this.endpoints.delete(id),
    };
    this.endpoints.set(id, endpoint);
    return endpoint;
  }

  /** Replaces the fault keys given; `null` clears one. */
  setFaults(partial: WebhookFaults): void {
    const entries = Object.entries(partial) as [keyof WebhookFaults, WebhookFaultRule | null | undefined][];
    // Check everything first, so a bad option leaves the faults in force untouched.
    for (const [key, rule] of entries) {
      if (rule == null) continue;
      checkRule(rule, `faults.webhooks.${key}`);
      if (key === 'delay') checkDuration((rule as { ms: Duration }).ms, 'faults.webhooks.delay.ms');
    }
    for (const [key, rule] of entries) {
      if (rule == null) {
        delete this.faults[key];
        delete this.armed[key];
      } else {
        (this.faults as Record<string, unknown>)[key] = rule;
        (this.armed as Record<string, unknown>)[key] = new ArmedRule(rule, routeMatcher(rule.types));
      }
    }
  }

  /** The webhook faults in force. */
  get currentFaults(): Readonly<WebhookFaults> {
    return this.faults;
  }

  /** Delivers `event`, reached at clock time `atMs`, to every registered URL. */
  publish(event: JobEvent, atMs: number): void {
    if (this.closed || this.endpoints.size === 0) return;
    const payload: SimWebhookEvent = {
      id: this.ids.make('evt_'),
      type: event.type,
      created_at: toUnix(atMs),
      data: event.data,
      object: 'event',
    };
    const body = JSON.stringify(payload);
    this.stats.events++;
    for (const endpoint of this.endpoints.values()) this.dispatch(endpoint, payload, body);
  }

  /** Every delivery so far, in creation order. */
  deliveries(): readonly WebhookDelivery[] {
    return this.log;
  }

  /**
   * Resolves once no attempt is in flight and none is due at the current clock time (later retries and held
   * deliveries still wait for the clock).
   */
  async flush(): Promise<void> {
    for (;;) {
      if (this.inflight.size > 0) {
        await Promise.allSettled([...this.inflight]);
        continue;
      }
      const now = this.clock.now();
      if (![...this.scheduled].some((s) => s.at <= now)) return;
      await new Promise<void>((resolve) => setTimeout(resolve, 1));
    }
  }

  /** Aborts attempts in flight and cancels every pending one. */
  close(): void {
    this.closed = true;
    for (const s of this.scheduled) s.cancel();
    this.scheduled.clear();
    for (const list of this.held.values()) for (const h of list) h.cancel();
    this.held.clear();
    for (const c of this.controllers) c.abort();
  }

  private fires(key: keyof WebhookFaults, type: string): boolean {
    return this.armed[key]?.fires(type, this.random) ?? false;
  }

  private dispatch(endpoint: WebhookEndpoint, event: SimWebhookEvent, body: string): void {
    const webhookId = this.ids.make('wh_');
    const seq = ++this.dispatched;
    const make = (copy: number): Delivery => {
      const record: WebhookDelivery = {
        webhookId,
        event,
        url: endpoint.url,
        copy,
        state: 'pending',
        attempts: [],
      };
      this.log.push(record);
      this.stats.deliveries++;
      return { endpoint, body, record, corruptNext: false, seq };
    };
    const primary = make(0);
    if (this.fires('drop', event.type)) {
      primary.record.state = 'dropped';
      this.stats.dropped++;
      return;
    }
    let startAt = this.clock.now();
    if (this.fires('delay', event.type)) {
      startAt += sampleDuration(this.faults.delay!.ms, this.random);
      this.stats.delayed++;
    }
    const group = [primary];
    if (this.fires('duplicate', event.type)) {
      const copies = this.faults.duplicate!.copies ?? 1;
      for (let i = 1; i <= copies; i++) group.push(make(i));
      this.stats.duplicated += copies;
    }
    primary.corruptNext = this.fires('badSignature', event.type);
    if (this.fires('reorder', event.type)) {
      this.hold(endpoint.id, group, startAt + (this.faults.reorder!.holdMs ?? 1000));
      this.stats.reordered++;
      return;
    }
    for (const d of group) this.schedule(d, startAt);
  }

  private hold(endpointId: string, deliveries: Delivery[], untilMs: number): void {
    const list = this.held.get(endpointId) ?? [];
    const entry: Held = { deliveries, cancel: () => {} };
    entry.cancel = this.clock.schedule(untilMs, () => this.release(endpointId, entry));
    list.push(entry);
    this.held.set(endpointId, list);
  }

  /** Releases `only`, or every delivery held before the one numbered `afterSeq` was dispatched. */
  private release(endpointId: string, only?: Held, afterSeq = Number.POSITIVE_INFINITY): void {
    const list = this.held.get(endpointId);
    if (!list) return;
    const releasing = only ? [only] : list.filter((h) => h.deliveries[0]!.seq < afterSeq);
    for (const entry of releasing) list.splice(list.indexOf(entry), 1);
    if (list.length === 0) this.held.delete(endpointId);
    for (const entry of releasing) {
      entry.cancel();
      for (const d of entry.deliveries) this.schedule(d, this.clock.now());
    }
  }

  private schedule(d: Delivery, at: number): void {
    if (this.closed) return;
    const entry: Scheduled = { at, cancel: () => {} };
    entry.cancel = this.clock.schedule(at, () => {
      this.scheduled.delete(entry);
      const attempt = this.attempt(d);
      this.inflight.add(attempt);
      void attempt.finally(() => this.inflight.delete(attempt));
    });
    this.scheduled.add(entry);
  }

  private async attempt(d: Delivery): Promise<void> {
    const { record, endpoint } = d;
    if (this.closed || !this.endpoints.has(endpoint.id)) return;
    const attemptNo = record.attempts.length + 1;
    const startedAt = this.clock.now();
    this.stats.attempts++;
    if (attemptNo > 1) this.stats.retried++;
    // Wall-clock seconds: receivers check the timestamp against their own clock (the SDK allows ±300 s).
    const timestamp = Math.floor(Date.now() / 1000);
    let signature = signWebhook(endpoint.secret, record.webhookId, timestamp, d.body);
    const badSignature = d.corruptNext;
    if (badSignature) {
      signature = corruptSignature(signature);
      d.corruptNext = false;
      this.stats.badSignatures++;
    }
    const controller = new AbortController();
    this.controllers.add(controller);
    const timer = setTimeout(() => controller.abort(), this.timeoutMs);
    timer.unref();
    let status: WebhookAttempt['status'];
    try {
      const res = await this.fetch(endpoint.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': USER_AGENT,
          'webhook-id': record.webhookId,
          'webhook-timestamp': String(timestamp),
          'webhook-signature': signature,
        },
        body: d.body,
        // OpenAI does not follow redirects: a 3xx is a failed attempt.
        redirect: 'manual',
        signal: controller.signal,
      });
      status = res.status;
      await res.arrayBuffer().catch(() => undefined);
    } catch {
      status = controller.signal.aborted ? 'timeout' : 'network_error';
    } finally {
      clearTimeout(timer);
      this.controllers.delete(controller);
    }
    if (this.closed) return;
    record.attempts.push({ at: startedAt, status, badSignature });
    if (typeof status === 'number' && status >= 200 && status < 300) {
      record.state = 'delivered';
      this.stats.delivered++;
    } else if (attemptNo < this.maxAttempts) {
      const delay = this.retryDelaysMs[Math.min(attemptNo - 1, this.retryDelaysMs.length - 1)]!;
      this.schedule(d, this.clock.now() + delay);
    } else {
      record.state = 'failed';
      this.stats.failed++;
    }
    // A held (reordered) delivery goes out once a later one has been attempted: an attempt of an earlier event
    // that was still in flight when the hold began must not release it, or the reorder depends on socket timing.
    this.release(endpoint.id, undefined, d.seq);
  }
}
