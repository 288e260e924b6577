import type { RequestMeter } from '../model/types.js';

/** A plain counter of HTTP requests, shared by a watch's source and its actors. */
export function createRequestMeter(): RequestMeter {
  let count = 0;
  return {
    get count() {
      return count;
    },
    add(n = 1) {
      count += n;
    },
  };
}
