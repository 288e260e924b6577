/** Whether `x` is a number other than NaN and ±Infinity: the check every option validator starts with. */
export function isFiniteNumber(x: unknown): x is number {
  return typeof x === 'number' && Number.isFinite(x);
}
