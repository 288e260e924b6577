import type { UpDownCounter } from '@opentelemetry/api';

/** One row of the queue's tally: the watches of a kind going on in a state. */
export interface KindStateCount {
  kind: string;
  state: string;
  count: number;
}

/**
 * Keeps this process's share of `runstate.watches.active` equal to the queue's durable watches by kind and state,
 * as the tally in Redis counts them, while this worker holds the gauge lease; at zero otherwise. The counter is an
 * up-down counter (in-process watches move it too), so the queue's numbers are added as differences from what this
 * process reported last. One worker of a queue holds the lease at a time: a sum over every worker's series
 * (`sum by (kind, state)`) counts each watch once, however many workers run.
 */
export class QueueWatchesGauge {
  private reported = new Map<string, number>();
  private counter: UpDownCounter | undefined;
  private closed = false;

  /** Ignores every later sync: a tick still waiting on Redis when the worker closed must not report again. */
  close(): void {
    this.closed = true;
  }

  /**
   * Brings the reported numbers to `rows` (the tally, while holding the lease) or to zero (`undefined`: the lease
   * is another worker's, or this one is closing), through `counter` (runstate's `runstate.watches.active`).
   */
  sync(counter: UpDownCounter | undefined, rows: readonly KindStateCount[] | undefined): void {
    if (this.closed) return;
    // Another SDK registered: what was added went to the old counter, which the new one never saw.
    if (counter !== this.counter) {
      this.reported.clear();
      this.counter = counter;
    }
    if (!counter) return;
    const target = new Map<string, number>();
    for (const row of rows ?? []) target.set(`${row.kind}|${row.state}`, row.count);
    for (const key of new Set([...this.reported.keys(), ...target.keys()])) {
      const delta = (target.get(key) ?? 0) - (this.reported.get(key) ?? 0);
      if (delta === 0) continue;
      const bar = key.indexOf('|');
      counter.add(delta, { kind: key.slice(0, bar), state: key.slice(bar + 1) });
    }
    this.reported = target;
  }
}
