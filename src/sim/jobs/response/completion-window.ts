import { badRequest } from '../../server/errors.js';

/** `background_options.completion_window`, as openai 7.58 types it. */
export type SimCompletionWindow = 'soonest' | '2h' | '8h';

const WINDOW_MS: Readonly<Record<SimCompletionWindow, number | null>> = {
  soonest: null,
  '2h': 2 * 60 * 60_000,
  '8h': 8 * 60 * 60_000,
};

/**
 * Reads `background_options` of a `responses.create` body: the window's length in ms for `2h` and `8h` (the
 * discounted windows), null for `soonest` or none. Refuses, as the SDK's docs say the API does, a discounted
 * window without `background: true` or with `stream: true`, and anything but the three windows.
 */
export function completionWindowMs(
  body: Record<string, unknown>,
  flags: { background: boolean; stream: boolean },
): { window: SimCompletionWindow; ms: number | null } {
  const options = body.background_options;
  if (options === undefined || options === null) return { window: 'soonest', ms: null };
  if (typeof options !== 'object' || Array.isArray(options)) {
    throw badRequest(
      `Invalid type for 'background_options': expected an object, but got ${JSON.stringify(options)}.`,
      'background_options',
    );
  }
  const window = (options as { completion_window?: unknown }).completion_window ?? 'soonest';
  if (typeof window !== 'string' || !Object.hasOwn(WINDOW_MS, window)) {
    throw badRequest(
      `Invalid value for 'background_options.completion_window': expected one of 'soonest', '2h' or '8h', got ${JSON.stringify(window)}.`,
      'background_options.completion_window',
    );
  }
  const ms = WINDOW_MS[window as SimCompletionWindow];
  if (ms !== null && (!flags.background || flags.stream)) {
    throw badRequest(
      `The '${window}' completion window requires background: true and stream false or omitted.`,
      'background_options.completion_window',
    );
  }
  return { window: window as SimCompletionWindow, ms };
}
