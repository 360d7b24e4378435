import type { IncomingHttpHeaders } from 'node:http';
import { asArray, asObject, asString } from './json';

/**
 * Parsers for the wait hints providers send with 429 and 5xx answers (RELIABILITY.md, "Server
 * hints"). Every parser is pure: it returns whole milliseconds from `now`, 0 for a moment already
 * past, and undefined when the value is absent or unreadable, so a garbled hint never turns into a
 * zero wait by accident. Fractions round up: a hint is a floor, and waiting 1 ms too little can
 * earn another 429.
 */

const MS_PER_UNIT: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};
const GO_DURATION = /^([+-]?)((?:(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+)$/;
const GO_DURATION_PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g;
const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$/;
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$/;
// IMF-fixdate, RFC 850 and asctime all start with a day name.
const HTTP_DATE = /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*,? /;

/** Whole milliseconds, rounded up but forgiving float noise such as 3.3 * 1000 = 3299.9999. */
function wholeMs(ms: number): number {
  return Math.max(0, Math.ceil(ms - 1e-6));
}

function untilMs(epochMs: number, now: number): number | undefined {
  return Number.isFinite(epochMs) ? wholeMs(epochMs - now) : undefined;
}

/** One header as text, whatever the case of its name; the first value of a repeated header. */
export function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const wanted = name.toLowerCase();
  let value = headers[wanted];
  if (value === undefined) {
    const key = Object.keys(headers).find((candidate) => candidate.toLowerCase() === wanted);
    value = key === undefined ? undefined : headers[key];
  }
  const first = Array.isArray(value) ? value[0] : value;
  const trimmed = first?.trim();
  return trimmed ? trimmed : undefined;
}

/** `Retry-After`: seconds (decimals tolerated) or an HTTP-date, relative to `now` (epoch ms). */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (DECIMAL.test(text)) return wholeMs(Number(text) * 1000);
  if (!HTTP_DATE.test(text)) return undefined;
  // asctime dates carry no zone but are GMT by definition; Date.parse would read them as local time.
  return untilMs(Date.parse(/GMT$/i.test(text) ? text : `${text} GMT`), now);
}

/** OpenAI's `retry-after-ms`: float milliseconds. */
export function parseRetryAfterMs(value: string | undefined): number | undefined {
  const text = value?.trim();
  return text !== undefined && DECIMAL.test(text) ? wholeMs(Number(text)) : undefined;
}

/** Go `time.Duration` text as in `x-ratelimit-reset-*`: `12ms`, `1.2s`, `6m0s`, `1h2m3.5s`. */
export function parseGoDuration(value: string | undefined): number | undefined {
  const text = value?.trim();
  if (text === undefined) return undefined;
  if (/^[+-]?0$/.test(text)) return 0;
  const match = GO_DURATION.exec(text);
  if (!match) return undefined;
  let total = 0;
  for (const [, amount, unit] of match[2].matchAll(GO_DURATION_PART))
    total += Number(amount) * MS_PER_UNIT[unit];
  return match[1] === '-' ? 0 : wholeMs(total);
}

/** An absolute RFC 3339 timestamp (Anthropic's `anthropic-ratelimit-*-reset`), relative to `now`. */
export function parseResetTimestamp(value: string | undefined, now: number): number | undefined {
  const text = value?.trim();
  if (text === undefined || !RFC3339.test(text)) return undefined;
  return untilMs(Date.parse(text.replace(' ', 'T').toUpperCase()), now);
}

/**
 * A generic `x-ratelimit-reset-*` value. Go durations first (OpenAI, Groq); a bare number is read
 * as epoch seconds when it is that large (the Fern SDKs' X-RateLimit-Reset) and as seconds otherwise.
 */
export function parseResetValue(value: string | undefined, now: number): number | undefined {
  const duration = parseGoDuration(value);
  if (duration !== undefined || value === undefined || !DECIMAL.test(value.trim())) return duration;
  const number = Number(value.trim());
  return number > 1e9 ? untilMs(number * 1000, now) : wholeMs(number * 1000);
}

/** A google.protobuf.Duration in JSON (`"41s"`, `"0.5s"`), or its `{seconds, nanos}` object form. */
export function parseProtoDuration(value: unknown): number | undefined {
  const text = asString(value)?.trim();
  if (text !== undefined) {
    const match = /^(\d+(?:\.\d+)?|\.\d+)s$/.exec(text);
    return match ? wholeMs(Number(match[1]) * 1000) : undefined;
  }
  const object = asObject(value);
  if (!object) return undefined;
  const seconds = Number(object.seconds ?? 0);
  const nanos = Number(object.nanos ?? 0);
  return Number.isFinite(seconds) && Number.isFinite(nanos)
    ? wholeMs(seconds * 1000 + nanos / 1e6)
    : undefined;
}

/** Gemini's google.rpc.RetryInfo in `error.details[]`; the body may be an array (stream errors). */
export function readGoogleRetryDelayMs(body: unknown): number | undefined {
  for (const item of Array.isArray(body) ? body : [body]) {
    for (const detail of asArray(asObject(asObject(item)?.error)?.details)) {
      const delay = parseProtoDuration(asObject(detail)?.retryDelay);
      if (delay !== undefined) return delay;
    }
  }
  return undefined;
}

/** `x-should-retry`: the server's own verdict, which overrides the status rule. */
export function parseShouldRetry(value: string | undefined): boolean | undefined {
  const text = value?.trim().toLowerCase();
  return text === 'true' ? true : text === 'false' ? false : undefined;
}

export function readShouldRetry(headers: IncomingHttpHeaders): boolean | undefined {
  return parseShouldRetry(headerValue(headers, 'x-should-retry'));
}

/** OpenAI and Groq 429 messages: "Please try again in 3.3s" / "in 135ms" / "in 6m0s". */
export function parseMessageRetryHint(message: string | undefined): number | undefined {
  if (!message) return undefined;
  const duration =
    /(?:try again|retry)\s+(?:in|after)\s+((?:(?:\d+(?:\.\d+)?)(?:ms|us|µs|ns|h|m|s))+)\b/i.exec(message);
  if (duration) return parseGoDuration(duration[1]);
  const seconds = /(?:try again|retry)\s+(?:in|after)\s+(\d+(?:\.\d+)?)\s*sec(?:ond)?s?\b/i.exec(message);
  return seconds ? wholeMs(Number(seconds[1]) * 1000) : undefined;
}

/**
 * The wait until every exhausted rate limit resets: the `x-ratelimit-reset-*` (or
 * `anthropic-ratelimit-*-reset`) whose matching `remaining` is 0. `-1` means unknown, not exhausted.
 */
export function readExhaustedResetMs(headers: IncomingHttpHeaders, now: number): number | undefined {
  let wait: number | undefined;
  for (const name of Object.keys(headers)) {
    const lower = name.toLowerCase();
    if (headerValue(headers, lower) !== '0') continue;
    const openai = /^x-ratelimit-remaining(-.+)?$/.exec(lower);
    const anthropic = /^anthropic-ratelimit-(.+)-remaining$/.exec(lower);
    let reset: number | undefined;
    if (openai) reset = parseResetValue(headerValue(headers, `x-ratelimit-reset${openai[1] ?? ''}`), now);
    else if (anthropic)
      reset = parseResetTimestamp(headerValue(headers, `anthropic-ratelimit-${anthropic[1]}-reset`), now);
    if (reset !== undefined) wait = Math.max(wait ?? 0, reset);
  }
  return wait;
}

/**
 * The server's wait hint from headers, by the RELIABILITY.md precedence: `retry-after-ms`, then
 * `retry-after`, then the reset of an exhausted rate limit.
 */
export function readRetryHintMs(headers: IncomingHttpHeaders, now: number): number | undefined {
  return (
    parseRetryAfterMs(headerValue(headers, 'retry-after-ms')) ??
    parseRetryAfter(headerValue(headers, 'retry-after'), now) ??
    readExhaustedResetMs(headers, now)
  );
}
