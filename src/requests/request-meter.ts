import type { RequestMeter } from '../model/types.js';

/**
 * A plain counter of HTTP requests, shared by a watch's source and its actors. A class rather than an object
 * literal with a getter and two closures: that literal cost every watch about half a KiB (its own closures and
 * context, and a property dictionary), where an instance is one small object (docs/benchmarks.md).
 */
class Meter implements RequestMeter {
  count = 0;

  add(n = 1): void {
    this.count += n;
  }
}

/** A new request counter for one watch. */
export function createRequestMeter(): RequestMeter {
  return new Meter();
}
