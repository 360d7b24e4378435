import type { OutgoingHttpHeaders } from 'node:http';
import type { RetryHintKind } from './fault-profile.types';
import { formatGoDuration, formatRfc3339Seconds } from './go-duration.util';

export const DEFAULT_HINT_MS = 1000;

/** Normalizes a rule's `hint` field; `none` (alone or in a list) means no hint at all. */
export function hintList(hint: RetryHintKind | RetryHintKind[] | undefined): RetryHintKind[] | undefined {
  if (hint === undefined) return undefined;
  const list = Array.isArray(hint) ? hint : [hint];
  return list.includes('none') ? [] : list;
}

/**
 * The headers that carry the header-style hints. Gemini's `retry_info` lives in the body and is
 * rendered by the Gemini responder. Header values are rounded up so a client that honours them
 * never comes back early.
 */
export function hintHeaders(
  hints: readonly RetryHintKind[],
  hintMs: number,
  now: number,
): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = {};
  for (const hint of hints) {
    switch (hint) {
      case 'retry_after':
        headers['retry-after'] = String(Math.ceil(hintMs) / 1000);
        break;
      case 'retry_after_date':
        headers['retry-after'] = new Date(Math.ceil((now + hintMs) / 1000) * 1000).toUTCString();
        break;
      case 'retry_after_ms':
        headers['retry-after-ms'] = String(Math.ceil(hintMs));
        break;
      case 'ratelimit_reset': {
        const reset = formatGoDuration(Math.ceil(hintMs));
        headers['x-ratelimit-remaining-requests'] = '0';
        headers['x-ratelimit-reset-requests'] = reset;
        headers['x-ratelimit-remaining-tokens'] = '0';
        headers['x-ratelimit-reset-tokens'] = reset;
        break;
      }
      case 'anthropic_ratelimit':
        headers['anthropic-ratelimit-requests-remaining'] = '0';
        headers['anthropic-ratelimit-requests-reset'] = formatRfc3339Seconds(now + hintMs);
        break;
      case 'retry_info':
      case 'none':
        break;
    }
  }
  return headers;
}

/** Human wait for error messages: `135ms`, `1.2s`, `6m0s`. */
export function humanWait(ms: number): string {
  return formatGoDuration(Math.ceil(ms));
}
