import { FailureClass } from './failure-class';

export interface UpstreamErrorInit {
  /** HTTP status the upstream answered, when it answered at all. */
  status?: number;
  /** The provider's own wait hint, already converted to milliseconds from now. */
  retryAfterMs?: number;
  /** True when the provider said the limit is a long-lived quota (per day, billing), not a short burst. */
  longTerm?: boolean;
  /** The provider's error message, safe to show to the client (keys are masked by the codec). */
  upstreamMessage?: string;
  /** The provider's own error code or type, e.g. `insufficient_quota` or `overloaded_error`. */
  upstreamCode?: string;
  /** The upstream parameter the provider blamed, for bad_request answers. */
  param?: string | null;
  /**
   * Whether the same request is worth sending to the same deployment again: the server's
   * `x-should-retry`, or the codec's knowledge (a 404 means this deployment lacks the model, so
   * fall back instead). Undefined: decide by class.
   */
  shouldRetry?: boolean;
  cause?: unknown;
}

/** An upstream failure, classified into the taxonomy, with the provider's retry hint if it gave one. */
export class UpstreamError extends Error {
  readonly failureClass: FailureClass;
  readonly status?: number;
  readonly retryAfterMs?: number;
  readonly longTerm: boolean;
  readonly upstreamMessage?: string;
  readonly upstreamCode?: string;
  readonly param?: string | null;
  readonly shouldRetry?: boolean;

  constructor(failureClass: FailureClass, message: string, init: UpstreamErrorInit = {}) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'UpstreamError';
    this.failureClass = failureClass;
    this.status = init.status;
    this.retryAfterMs = init.retryAfterMs;
    this.longTerm = init.longTerm ?? false;
    this.upstreamMessage = init.upstreamMessage;
    this.upstreamCode = init.upstreamCode;
    this.param = init.param;
    this.shouldRetry = init.shouldRetry;
  }
}
