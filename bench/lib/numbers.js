'use strict';
// Percentiles, summaries and the number format of the markdown tables, shared by the benchmarks.

/** Nearest-rank percentile (q in 0..1) of an ascending array (or typed array); NaN when empty. */
function percentile(sorted, q) {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil(q * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

/** n, p50, p95, p99, mean and max of a list of milliseconds. */
function summarize(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  return {
    n,
    p50: percentile(sorted, 0.5),
    p95: percentile(sorted, 0.95),
    p99: percentile(sorted, 0.99),
    mean: n ? sorted.reduce((sum, v) => sum + v, 0) / n : NaN,
    max: n ? sorted[n - 1] : NaN,
  };
}

/** The upper middle of the finite values (the middle one of an odd count); NaN when none. */
function median(values) {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  return sorted.length === 0 ? NaN : sorted[Math.floor(sorted.length / 2)];
}

/** `value` with `digits` decimals, or n/a when it is not a finite number. */
const fixed = (value, digits) => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');

module.exports = { percentile, summarize, median, fixed };
