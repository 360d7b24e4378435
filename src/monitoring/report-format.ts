/** How monitoring reports numbers and times (GET /health, alerts, the scheduled checks). */

/** `value` rounded to `digits` decimals. */
export function roundTo(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/** An epoch-ms time as ISO 8601; null when there is none. */
export function isoOrNull(epochMs: number | undefined): string | null {
  return epochMs === undefined ? null : new Date(epochMs).toISOString();
}
