/**
 * Formats milliseconds the way Go's time.Duration.String() does (`12ms`, `1.2s`, `6m0s`, `1h2m3.5s`):
 * OpenAI and Groq send their `x-ratelimit-reset-*` headers in this format.
 */
export function formatGoDuration(ms: number): string {
  if (ms <= 0) return '0s';
  if (ms < 1000) return `${trimFraction(ms)}ms`;
  const hours = Math.floor(ms / 3_600_000);
  const minutes = Math.floor((ms % 3_600_000) / 60_000);
  const seconds = (ms % 60_000) / 1000;
  let out = '';
  if (hours > 0) out += `${hours}h`;
  if (hours > 0 || minutes > 0) out += `${minutes}m`;
  return `${out}${trimFraction(seconds)}s`;
}

function trimFraction(value: number): string {
  // Go prints up to nanosecond precision without trailing zeros; three decimals cover milliseconds.
  return String(Math.round(value * 1000) / 1000);
}

/** RFC 3339 with whole seconds (`2025-10-21T09:41:18Z`), as Anthropic's reset headers use. */
export function formatRfc3339Seconds(epochMs: number): string {
  return new Date(Math.ceil(epochMs / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}
