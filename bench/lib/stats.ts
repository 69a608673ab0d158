/** Summaries of timing samples: medians and tails, and paired differences and ratios. */

export interface Summary {
  n: number;
  median: number;
  p90: number;
  p99: number;
  min: number;
  max: number;
  mean: number;
}

/** The q-quantile (0..1) by linear interpolation between order statistics. */
export function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

const round = (x: number, digits = 2) => (Number.isFinite(x) ? Math.round(x * 10 ** digits) / 10 ** digits : x);

/** Median, p90, p99 (with few samples the p99 is close to the max), min, max, mean; rounded. */
export function summarize(values: number[], digits = 2): Summary {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  const mean = sorted.reduce((s, v) => s + v, 0) / (sorted.length || NaN);
  return {
    n: sorted.length,
    median: round(quantile(sorted, 0.5), digits),
    p90: round(quantile(sorted, 0.9), digits),
    p99: round(quantile(sorted, 0.99), digits),
    min: round(sorted[0] ?? NaN, digits),
    max: round(sorted[sorted.length - 1] ?? NaN, digits),
    mean: round(mean, digits),
  };
}

/** Pair by pair `a[i] - b[i]`, skipping pairs where either side is missing. */
export function differences(a: number[], b: number[]): number[] {
  return a.map((x, i) => x - b[i]).filter(Number.isFinite);
}

/** Pair by pair `a[i] / b[i]`. */
export function ratios(a: number[], b: number[]): number[] {
  return a.map((x, i) => x / b[i]).filter(Number.isFinite);
}

/** `items` rotated by `round`: over the rounds, every item goes first (and last) equally often. */
export function rotation<T>(items: T[], round: number): T[] {
  const k = round % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}
