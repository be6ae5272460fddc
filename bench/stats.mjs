// Summaries shared by the benchmarks: rounds are reported as their median with min–max.
export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** The p-th percentile (nearest rank). */
export const percentile = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)];

/** `{ median, min, max }` of some rounds. */
export const summary = (xs) => ({ median: median(xs), min: Math.min(...xs), max: Math.max(...xs) });

/** "median (min–max)" with thousands separators. */
export function formatSummary(m, digits = 0) {
  const n = (x) => x.toLocaleString("en", { maximumFractionDigits: digits, minimumFractionDigits: digits });
  return `${n(m.median)} (${n(m.min)}–${n(m.max)})`;
}
