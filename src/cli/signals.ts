/**
 * An AbortSignal that aborts on the first SIGINT or SIGTERM, with the signal's name as reason. A second one
 * falls through to Node's default (the process ends at once), so a stuck shutdown can still be interrupted.
 */
export function interruption(): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const onSignal = (name: NodeJS.Signals) => {
    dispose();
    controller.abort(name);
  };
  const dispose = () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return { signal: controller.signal, dispose };
}

/** Resolves when the signal aborts (at once if it already has). */
export function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

/** Exit code of a process stopped by SIGINT (128 + 2), the shell convention. */
export const INTERRUPTED_EXIT_CODE = 130;
