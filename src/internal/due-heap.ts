/** One item waiting in a {@link DueHeap}: cancel it to drop it. An object rather than a closure per item. */
export class DueEntry<T> {
  live = true;

  constructor(
    private readonly owner: DueHeap<T>,
    readonly at: number,
    readonly seq: number,
    readonly item: T,
  ) {}

  cancel(): void {
    if (!this.live) return;
    this.live = false;
    this.owner.dropped();
  }
}

type Slot<T> = DueEntry<T>;

/**
 * A min-heap of items keyed by the time they are due, with cancellation in O(1) (cancelled slots are dropped when
 * they reach the top). One timer serves everything in it: the shared poll budget keeps its waiting watches here,
 * and the simulator's clocks their callbacks (ten thousand jobs cost heap entries, not Node timers).
 */
export class DueHeap<T> {
  private heap: Slot<T>[] = [];
  private seq = 0;
  private live = 0;

  /** @param onCancel called after an entry is cancelled (a timer queue re-arms for its new earliest then). */
  constructor(private readonly onCancel?: () => void) {}

  /** Adds `item` due at `at`; returns a function that removes it. Equal times keep insertion order. */
  push(at: number, item: T): () => void {
    const entry = this.add(at, item);
    return () => entry.cancel();
  }

  /** Adds `item` due at `at`; returns its entry, whose `cancel()` removes it. Equal times keep insertion order. */
  add(at: number, item: T): DueEntry<T> {
    // Cancelled slots wait for the top; rebuild when they outnumber the live ones, so churn cannot grow the heap.
    if (this.heap.length > 2 * this.live + 64) this.compact();
    const slot = new DueEntry(this, at, this.seq++, item);
    const h = this.heap;
    h.push(slot);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const up = h[i]!;
      const down = h[parent]!;
      if (!before(up, down)) break;
      h[i] = down;
      h[parent] = up;
      i = parent;
    }
    this.live++;
    return slot;
  }

  /** An entry was cancelled. */
  dropped(): void {
    this.live--;
    this.onCancel?.();
  }

  /** When the earliest item is due, or undefined when the heap is empty. */
  peek(): number | undefined {
    this.dropCancelled();
    return this.heap[0]?.at;
  }

  /** Removes and returns the earliest item if it is due at or before `now`. */
  popDue(now: number): T | undefined {
    this.dropCancelled();
    const top = this.heap[0];
    if (!top || top.at > now) return undefined;
    this.pop();
    top.live = false;
    this.live--;
    return top.item;
  }

  /** Items waiting. */
  get size(): number {
    return this.live;
  }

  private compact(): void {
    // A sorted array is a valid heap.
    this.heap = this.heap.filter((slot) => slot.live).sort((a, b) => (before(a, b) ? -1 : 1));
  }

  private dropCancelled(): void {
    while (this.heap.length > 0 && !this.heap[0]!.live) this.pop();
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
      if (l < h.length && before(h[l]!, h[min]!)) min = l;
      if (r < h.length && before(h[r]!, h[min]!)) min = r;
      if (min === i) break;
      const up = h[min]!;
      h[min] = h[i]!;
      h[i] = up;
      i = min;
    }
  }
}

function before<T>(a: Slot<T>, b: Slot<T>): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}
