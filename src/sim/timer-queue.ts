/** A callback due at a clock time; `seq` keeps callbacks due at the same time in scheduling order. */
interface Entry {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

/**
 * A min-heap of callbacks keyed by clock time. One queue per clock replaces a timer per job, so ten thousand
 * jobs cost ten thousand heap entries rather than ten thousand Node timers.
 */
export class TimerQueue {
  private heap: Entry[] = [];
  private seq = 0;
  private live = 0;

  /** Adds `fn` due at `at`; returns a function that cancels it. */
  add(at: number, fn: () => void): () => void {
    const entry: Entry = { at, seq: this.seq++, fn, cancelled: false };
    this.push(entry);
    this.live++;
    return () => {
      if (entry.cancelled) return;
      entry.cancelled = true;
      this.live--;
    };
  }

  /** Time of the earliest live callback, or undefined when none is waiting. */
  peek(): number | undefined {
    this.dropCancelled();
    return this.heap[0]?.at;
  }

  /** Removes and returns the earliest callback if it is due at or before `now`. */
  popDue(now: number): (() => void) | undefined {
    this.dropCancelled();
    const top = this.heap[0];
    if (!top || top.at > now) return undefined;
    this.pop();
    top.cancelled = true;
    this.live--;
    return top.fn;
  }

  /** Number of callbacks still waiting. */
  get size(): number {
    return this.live;
  }

  private dropCancelled(): void {
    while (this.heap[0]?.cancelled) this.pop();
  }

  private less(a: Entry, b: Entry): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  private push(entry: Entry): void {
    const h = this.heap;
    h.push(entry);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(h[i]!, h[parent]!)) break;
      [h[i], h[parent]] = [h[parent]!, h[i]!];
      i = parent;
    }
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop()!;
    if (h.length === 0) return;
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let min = i;
      if (l < h.length && this.less(h[l]!, h[min]!)) min = l;
      if (r < h.length && this.less(h[r]!, h[min]!)) min = r;
      if (min === i) break;
      [h[i], h[min]] = [h[min]!, h[i]!];
      i = min;
    }
  }
}
