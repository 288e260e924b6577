/**
 * The entries of a Map in the order they were set, oldest first, so that the Map can be pruned from its oldest
 * entries without iterating it.
 *
 * Why not iterate the Map itself, which keeps insertion order: V8 keeps the slot of a deleted Map entry until it
 * rehashes the table, and every `for…of` starts at the front and walks past the deleted slots there. A Map pruned
 * from its front on each insert therefore made each prune walk up to a table's worth of them: a full memory
 * idempotency store spent 11 to 97 µs a claim as the slots piled up between rehashes (docs/benchmarks.md,
 * "Idempotency store").
 *
 * An entry set again (a job's newer event) is queued again; its older place is stale, recognised because the Map
 * no longer holds that value there, and skipped.
 */
export class PruneQueue<K, V> {
  private keys: K[] = [];
  private values: V[] = [];
  private head = 0;

  constructor(private readonly map: Map<K, V>) {}

  /** Sets `key` to `value` in the map and queues it as the newest entry. */
  set(key: K, value: V): void {
    this.map.set(key, value);
    this.keys.push(key);
    this.values.push(value);
    // Places made stale by entries set again: dropped once they outnumber the live ones.
    if (this.keys.length - this.head > 2 * this.map.size + 1024) this.compact();
  }

  /**
   * Deletes the oldest entries while `drop(value)` says so, and stops at the first it keeps.
   *
   * @param drop - asked of each live entry from the oldest; false ends the pruning.
   */
  prune(drop: (value: V) => boolean): void {
    const { keys, values, map } = this;
    while (this.head < keys.length) {
      const key = keys[this.head]!;
      const value = values[this.head]!;
      if (map.get(key) === value) {
        if (!drop(value)) break;
        map.delete(key);
      }
      this.head++;
    }
    // Let go of the places already pruned, once they are the larger part of the queue.
    if (this.head > 1024 && this.head * 2 > keys.length) this.compact();
  }

  /** Places queued, stale ones included (tests). */
  get queued(): number {
    return this.keys.length - this.head;
  }

  /** Keeps only the live places from the head on: drops the pruned ones and those made stale by a newer set. */
  private compact(): void {
    const keys: K[] = [];
    const values: V[] = [];
    for (let i = this.head; i < this.keys.length; i++) {
      const key = this.keys[i]!;
      const value = this.values[i]!;
      if (this.map.get(key) !== value) continue;
      keys.push(key);
      values.push(value);
    }
    this.keys = keys;
    this.values = values;
    this.head = 0;
  }
}
