/** What a response adds to a snapshot: the text written so far, and its length. */
export interface ResponseText {
  text?: string;
  textLength?: number;
}

/**
 * A response's `output_text` (the SDK computes it on retrieve; `stream()` keeps it as the text grows), with its
 * length; nothing before the first observation or for an object without one (a webhook's announcement).
 */
export function responseText(job: unknown): ResponseText {
  const text = (job as { output_text?: unknown } | undefined)?.output_text;
  return typeof text === 'string' ? { text, textLength: text.length } : {};
}

/** Text as it streams in is news, though the status stays in_progress. */
export const textKey = (extras: ResponseText): string => String(extras.textLength ?? '');
