import type { IncomingHttpHeaders } from 'node:http';
import { FailureClass } from '../common/failure-class';
import { UpstreamError } from '../common/upstream-error';
import type { ProviderType } from './protocol-codec';
import { parseMessageRetryHint, readRetryHintMs, readShouldRetry } from './retry-hints';

/**
 * The status table every codec shares (CONTRACT §3). Codecs read their own error envelope into
 * `FailureFacts` and override the class only for what the status alone gets wrong (Gemini's bad
 * key on 400, Groq's 498, quota exhaustion on 429).
 */

export interface FailureFacts {
  /** The provider's message, unmasked; masked here before it is kept. */
  message?: string;
  /** The provider's own code or type. */
  code?: string;
  param?: string | null;
  /** A wait hint found in the body (Gemini RetryInfo); headers still win over it. */
  bodyRetryAfterMs?: number;
  /** A long-lived quota (per day, billing): waiting seconds will not help. */
  quota?: boolean;
  /** The codec knows better than the status table. */
  failureClass?: FailureClass;
}

// Known key shapes (OpenAI sk-, Groq gsk_, Anthropic sk-ant-, Google AIza) and any long opaque
// alphanumeric run, which is what Cohere keys look like. Masking keeps the last 4 characters.
const SECRET_PATTERNS = [
  /\b(?:sk|gsk|rk|pk|xai)[-_][A-Za-z0-9_*.-]{5,}[A-Za-z0-9*]/g,
  /\bAIza[A-Za-z0-9_-]{10,}/g,
  /\b(?=[A-Za-z0-9]*\d)(?=[A-Za-z0-9]*[A-Za-z])[A-Za-z0-9]{32,}\b/g,
];

/** Hide anything that looks like an API key, keeping at most its last 4 characters. */
export function maskSecrets(text: string): string {
  return SECRET_PATTERNS.reduce(
    (masked, pattern) => masked.replace(pattern, (secret) => `****${secret.slice(-4).replace(/\*/g, '')}`),
    text,
  );
}

/** The class a status gets when the codec has no better knowledge. */
export function classForStatus(status: number, quota: boolean): FailureClass {
  if (status === 429) return quota ? FailureClass.QuotaExceeded : FailureClass.RateLimited;
  if (status === 402) return FailureClass.QuotaExceeded;
  if (status === 401 || status === 403) return FailureClass.AuthError;
  if (status === 408) return FailureClass.Timeout;
  // 404: the gateway built the URL and chose the model, so "not found" means this deployment lacks
  // the model (or its base_url is wrong): fall back to the next deployment, never answer the client 404.
  if (status === 404) return FailureClass.ServiceUnavailable;
  // 409 conflict and 425 too early are transient by definition; the official SDKs retry 409.
  if (status === 409 || status === 425) return FailureClass.ServiceUnavailable;
  if (status === 499) return FailureClass.NetworkError;
  if (status >= 400 && status < 500) return FailureClass.BadRequest;
  return FailureClass.ServiceUnavailable;
}

/** Build the classified error for a non-2xx answer, reading every wait hint the provider gave. */
export function upstreamFailure(
  provider: ProviderType,
  status: number,
  headers: IncomingHttpHeaders,
  now: number,
  facts: FailureFacts = {},
): UpstreamError {
  const quota = facts.quota === true || status === 402;
  let failureClass = facts.failureClass ?? classForStatus(status, quota);
  let shouldRetry = readShouldRetry(headers) ?? (status === 404 ? false : undefined);
  // The server saying "retry" means the request itself was fine.
  if (shouldRetry === true && failureClass === FailureClass.BadRequest) {
    failureClass = FailureClass.ServiceUnavailable;
  }
  if (failureClass === FailureClass.BadRequest) shouldRetry = undefined;
  const message = facts.message === undefined ? undefined : maskSecrets(facts.message);
  const retryAfterMs =
    readRetryHintMs(headers, now) ??
    facts.bodyRetryAfterMs ??
    (failureClass === FailureClass.RateLimited ? parseMessageRetryHint(message) : undefined);
  return new UpstreamError(failureClass, `${provider} answered ${status}${message ? `: ${message}` : ''}`, {
    status,
    retryAfterMs,
    longTerm: failureClass === FailureClass.QuotaExceeded,
    upstreamMessage: message,
    upstreamCode: facts.code,
    param: facts.param,
    shouldRetry,
  });
}

/** An error reported inside a 200 stream (no status): classified by the provider's code. */
export function streamFailure(
  provider: ProviderType,
  failureClass: FailureClass,
  message?: string,
  code?: string,
) {
  const masked = message === undefined ? undefined : maskSecrets(message);
  return new UpstreamError(failureClass, `${provider} stream error${masked ? `: ${masked}` : ''}`, {
    upstreamMessage: masked,
    upstreamCode: code,
    longTerm: failureClass === FailureClass.QuotaExceeded,
  });
}

/** A 2xx body or stream frame the codec cannot read. */
export function parseFailure(provider: ProviderType, what: string, cause?: unknown): UpstreamError {
  return new UpstreamError(FailureClass.ParseError, `${provider}: ${what}`, { cause });
}

/** The upstream closed the stream before its terminal marker. */
export function streamEndedEarly(provider: ProviderType, detail?: string): UpstreamError {
  return new UpstreamError(
    FailureClass.NetworkError,
    `${provider}: stream ended early${detail ? ` (${detail})` : ''}`,
  );
}
