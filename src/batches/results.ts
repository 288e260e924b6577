import type OpenAI from 'openai';
import type { Batch } from 'openai/resources/batches';
import { Observable, type SchedulerLike } from 'rxjs';
import { BatchNotEndedError } from '../errors/batch-not-ended-error.js';
import { ConfigurationError } from '../errors/configuration-error.js';
import { classifyRequestError } from '../errors/from-api-error.js';
import { MalformedResultLineError } from '../errors/malformed-result-line-error.js';
import { RetriesExhaustedError } from '../errors/retries-exhausted-error.js';
import { type BatchRef, batch as batchKind } from '../kinds/batch/spec.js';
import type { JobRef } from '../model/types.js';
import { readLines } from './lines.js';

/**
 * One request's result in a batch's output or error file, paired with its `custom_id`. `ok` is true for a 2xx
 * `response` without `error`; a request that failed, or never ran because the batch was cancelled or expired,
 * has `ok: false` and says why in `error` (`batch_cancelled`, `batch_expired`, ...) or in a non-2xx `response`.
 */
export interface BatchResult<Body = unknown> {
  /** The `custom_id` the request was given in the input file. */
  customId: string;
  /** The line's own id (`batch_req_...`). */
  id: string;
  ok: boolean;
  /** The HTTP answer to the request, as the API wrote it; null when it got none. */
  response: { status_code: number; request_id: string; body: Body } | null;
  /** Why the request has no answer; null when it has one. */
  error: { code: string | null; message: string } | null;
  /** Which file the line came from. */
  file: 'output' | 'error';
  /** 1-based line number within that file. */
  line: number;
}

/** Options of {@link batchResults}. */
export interface BatchResultsOptions {
  /**
   * Which files to read, in this order.
   *
   * @defaultValue `['output', 'error']` (both)
   */
  files?: readonly ('output' | 'error')[];
  /**
   * Retries of a download that failed transiently (429, 5xx, network, a cut connection), each resuming after the
   * lines already emitted, before `RetriesExhaustedError`.
   *
   * @defaultValue `3`
   */
  maxRetries?: number;
  /**
   * Wait before retry n (0-based), in ms.
   *
   * @defaultValue `1000 · 2^n`
   */
  retryDelayMs?: (retry: number) => number;
  /**
   * Schedules the retry waits (inject a virtual-time scheduler in tests).
   *
   * @defaultValue `setTimeout`
   */
  scheduler?: SchedulerLike;
}

/** Batch statuses with final files (a `failed` batch never ran: it has none, and gives no results). */
const ENDED: ReadonlySet<string> = new Set(['completed', 'cancelled', 'expired', 'failed']);

/**
 * The per-request results of an ended batch, as a typed `Observable`: the lines of its output file, then of its
 * error file, read with `files.content` as they download (one line in memory at a time, the next chunk read
 * only once the previous lines were handed on, so a synchronous subscriber throttles the download), each paired
 * with its `custom_id`. A cancelled or expired batch gives the results it has, plus one `ok: false` line per
 * request that never ran. Pass the batch object (from `waitForRun` or a terminal snapshot) or its id (one
 * `batches.retrieve` then). Errors: `BatchNotEndedError` for a batch still running, `MalformedResultLineError`
 * naming the file and the line number of a line that is not a result, and the API errors of `watchRun`.
 * Unsubscribing aborts the download.
 * @example
 * const batch = await waitForRun({ client, job: { kind: 'batch', id } });
 * batchResults(client, batch).subscribe((r) => console.log(r.customId, r.ok ? r.response?.body : r.error));
 */
export function batchResults<Body = unknown>(
  client: OpenAI,
  batch: Batch | string,
  options: BatchResultsOptions = {},
): Observable<BatchResult<Body>> {
  const {
    files = ['output', 'error'],
    maxRetries = 3,
    retryDelayMs = (n: number) => 1000 * 2 ** n,
    scheduler,
  } = options;
  if (!(typeof batch === 'string' ? batch !== '' : typeof batch?.id === 'string')) {
    throw new ConfigurationError('batchResults(): pass a Batch object or a batch id');
  }
  if (!Array.isArray(files) || files.some((f) => f !== 'output' && f !== 'error')) {
    throw new ConfigurationError(
      `batchResults(): files must list 'output' and/or 'error', got ${JSON.stringify(files)}`,
    );
  }
  if (!(Number.isInteger(maxRetries) && maxRetries >= 0)) {
    throw new ConfigurationError(`batchResults(): maxRetries must be a whole number ≥ 0, got ${maxRetries}`);
  }
  return new Observable<BatchResult<Body>>((subscriber) => {
    const controller = new AbortController();
    const sleep = (ms: number) =>
      new Promise<void>((resolve) => {
        if (scheduler) {
          const s = scheduler.schedule(() => resolve(), ms);
          controller.signal.addEventListener('abort', () => s.unsubscribe(), { once: true });
        } else {
          const t = setTimeout(resolve, ms);
          controller.signal.addEventListener('abort', () => clearTimeout(t), { once: true });
        }
      });
    const run = async () => {
      const job = batchKind.refFromJobId(typeof batch === 'string' ? batch : batch.id, '');
      const describe = batchKind.describe(job);
      const ended =
        typeof batch === 'string' ? await retrieve(client, job, describe, controller.signal) : batch;
      if (!ENDED.has(ended.status)) {
        throw new BatchNotEndedError(
          `${describe} is ${ended.status}: its results exist once it is completed, cancelled or expired (watch it with watchRun first)`,
          ended.status,
          { job },
        );
      }
      for (const file of files) {
        const fileId = file === 'output' ? ended.output_file_id : ended.error_file_id;
        if (!fileId) continue;
        // Lines already handed on: a retry skips them, so a cut download resumes without repeating results.
        let emitted = 0;
        for (let failures = 0; ; ) {
          try {
            const response = await client.files.content(fileId, { signal: controller.signal, maxRetries: 0 });
            if (!response.body) break;
            let line = 0;
            for await (const text of readLines(response.body)) {
              line++;
              if (line <= emitted) continue;
              if (subscriber.closed) return;
              if (text.trim() === '') continue;
              subscriber.next(parseResult<Body>(text, { fileId, file, line, job }));
              emitted = line;
              failures = 0;
            }
            break;
          } catch (e) {
            if (controller.signal.aborted || e instanceof MalformedResultLineError) throw e;
            const failure = classifyRequestError(e, job, `the ${file} file ${fileId} of ${describe}`);
            if (!failure.transient) throw failure.error;
            if (++failures > maxRetries) {
              const last = failure.status === undefined ? 'a network error' : `HTTP ${failure.status}`;
              throw new RetriesExhaustedError(
                `reading the ${file} file ${fileId} of ${describe}: ${failures} attempts in a row failed (last: ${last}) after ${emitted} lines; raise batchResults({ maxRetries })`,
                failures,
                { job, status: failure.status, cause: failure.cause },
              );
            }
            await sleep(retryDelayMs(failures - 1));
          }
        }
      }
    };
    run().then(
      () => subscriber.complete(),
      (e: unknown) => {
        if (!controller.signal.aborted) subscriber.error(e);
      },
    );
    return () => controller.abort();
  });
}

async function retrieve(
  client: OpenAI,
  job: BatchRef,
  describe: string,
  signal: AbortSignal,
): Promise<Batch> {
  try {
    return await client.batches.retrieve(job.id, { signal, maxRetries: 2 });
  } catch (e) {
    const failure = classifyRequestError(e, job, describe);
    throw failure.transient ? e : failure.error;
  }
}

/** One line as a result, or a `MalformedResultLineError` that names it. */
function parseResult<Body>(
  text: string,
  where: { fileId: string; file: 'output' | 'error'; line: number; job: JobRef },
): BatchResult<Body> {
  const { fileId, file, line, job } = where;
  const malformed = (why: string, cause?: unknown) =>
    new MalformedResultLineError(
      `line ${line} of the ${file} file ${fileId} is not a batch result (${why}): ${text.length > 80 ? `${text.slice(0, 79)}…` : text}`,
      fileId,
      file,
      line,
      { job, cause },
    );
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw malformed('not JSON', e);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw malformed('not an object');
  const o = value as Record<string, unknown>;
  if (typeof o.custom_id !== 'string') throw malformed('no custom_id');
  const response = o.response ?? null;
  const error = o.error ?? null;
  if (
    response !== null &&
    (typeof response !== 'object' || typeof (response as { status_code?: unknown }).status_code !== 'number')
  ) {
    throw malformed('response without a status_code');
  }
  if (
    error !== null &&
    (typeof error !== 'object' || typeof (error as { message?: unknown }).message !== 'string')
  ) {
    throw malformed('error without a message');
  }
  if (response === null && error === null) throw malformed('neither response nor error');
  // not a kind: the `response` field of a result line.
  const r = response as BatchResult<Body>['response'];
  const status = r?.status_code ?? 0;
  return {
    customId: o.custom_id,
    id: typeof o.id === 'string' ? o.id : '',
    ok: error === null && status >= 200 && status < 300,
    response: r,
    error: error as BatchResult<Body>['error'],
    file,
    line,
  };
}
