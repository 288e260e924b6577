/**
 * Tool calls being handled in this process, by run. Several watches of one run (two `watchRun`s, a `watchRun`
 * and a `waitForRun`) see the same `tool_call.id`s: the first runs the handler and submits, the others wait for
 * its result, so a call is handled once and its outputs are submitted once, however many watches see it.
 *
 * Entries live while a watch of the run is open (`join` / the returned `leave`): the last watch to leave takes the
 * run's entries with it, and every watch ends at the latest at its `maxWaitMs`, so nothing outlives its watches.
 */
export class ToolCallRegistry {
  private readonly runs = new Map<string, RunEntry>();

  /** A watch of `run` starts; call the returned function when it ends. */
  join(run: string): () => void {
    let entry = this.runs.get(run);
    if (!entry) {
      entry = { watches: 0, shared: new Map() };
      this.runs.set(run, entry);
    }
    entry.watches++;
    let left = false;
    return () => {
      if (left) return;
      left = true;
      const current = this.runs.get(run);
      if (current && --current.watches === 0) this.runs.delete(run);
    };
  }

  /**
   * The result of `work` for `key` of `run` (a call id, or a round of call ids), started by the first watch that
   * asks and shared with every later one. When the watch that started it stops (its `signal` aborted) before it
   * settles, the next watch waiting takes the work over; any other failure is shared.
   */
  async once<T>(
    run: string | undefined,
    key: string,
    signal: AbortSignal,
    work: () => Promise<T>,
  ): Promise<T> {
    for (;;) {
      const entry = run === undefined ? undefined : this.runs.get(run);
      // A watch that did not join (or a run already forgotten) still works, unshared.
      if (!entry) return work();
      const existing = entry.shared.get(key) as Shared<T> | undefined;
      if (!existing) {
        const shared: Shared<T> = { promise: work(), signal };
        entry.shared.set(key, shared);
        // A failure is not kept: a watch that comes later tries again.
        shared.promise.catch(() => {
          if (entry.shared.get(key) === shared) entry.shared.delete(key);
        });
        return shared.promise;
      }
      try {
        return await existing.promise;
      } catch (error) {
        if (signal.aborted || !existing.signal.aborted) throw error;
        // Its owner stopped watching: take the work over on the next turn of the loop.
      }
    }
  }

  /** Runs with at least one open watch (for tests and leak checks). */
  get size(): number {
    return this.runs.size;
  }
}

interface Shared<T> {
  promise: Promise<T>;
  /** The signal of the watch that started the work. */
  signal: AbortSignal;
}

interface RunEntry {
  watches: number;
  shared: Map<string, Shared<unknown>>;
}

/** The process-wide registry every watch uses. */
export const toolCallRegistry = new ToolCallRegistry();
