/** The callbacks waiting on one signal, and the one listener that calls them. */
interface Waiting {
  readonly callbacks: Set<() => void>;
  readonly fire: () => void;
}

const bySignal = new WeakMap<AbortSignal, Waiting>();

/**
 * Calls `callback` once when `signal` aborts; the returned function unregisters it. Every watch on one signal
 * shares a single `abort` listener: the documented hedge pattern puts dozens of watches on one signal, and a
 * listener each would trip Node's MaxListenersExceededWarning at 11 (silencing it globally would hide real leaks).
 */
export function onAbort(signal: AbortSignal, callback: () => void): () => void {
  let waiting = bySignal.get(signal);
  if (!waiting) {
    const callbacks = new Set<() => void>();
    const fire = () => {
      bySignal.delete(signal);
      for (const call of [...callbacks]) call();
      callbacks.clear();
    };
    waiting = { callbacks, fire };
    bySignal.set(signal, waiting);
    signal.addEventListener('abort', fire, { once: true });
  }
  // A wrapper per registration, so the same function registered twice is two registrations.
  const entry = () => callback();
  waiting.callbacks.add(entry);
  const registered = waiting;
  return () => {
    if (!registered.callbacks.delete(entry) || registered.callbacks.size > 0) return;
    signal.removeEventListener('abort', registered.fire);
    if (bySignal.get(signal) === registered) bySignal.delete(signal);
  };
}
