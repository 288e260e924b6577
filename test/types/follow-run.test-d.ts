// Type tests for followRun's EventSource option: `npm run typecheck` fails when the browser's own EventSource or
// a polyfill's no longer fits it (their handlers take a whole MessageEvent). Nothing here runs.
import { EventSource as Polyfill } from 'eventsource';
import type { Observable } from 'rxjs';
import { expectTypeOf } from 'vitest';
import { followRun, type RunSnapshot } from '../../src/client/index.js';

export function theBrowsersEventSourceFits() {
  expectTypeOf(followRun('/runs/resp_1/events', { EventSource: globalThis.EventSource })).toEqualTypeOf<
    Observable<RunSnapshot<unknown>>
  >();
}

export function thePolyfillsEventSourceFits() {
  followRun('/runs/resp_1/events', { EventSource: Polyfill });
}
