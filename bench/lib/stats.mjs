// Small statistics over repetitions: the tables show the median and the
// spread (min–max) so a reader can see how noisy a figure is.

/** @param {number[]} values @returns {{ median: number, min: number, max: number, n: number } | undefined} */
export function summarize(values) {
  const finite = values.filter((value) => Number.isFinite(value)).sort((a, b) => a - b);
  if (finite.length === 0) return undefined;
  const mid = finite.length >> 1;
  const median = finite.length % 2 === 1 ? finite[mid] : (finite[mid - 1] + finite[mid]) / 2;
  return { median, min: finite[0], max: finite[finite.length - 1], n: finite.length };
}
