import { FailureClass } from './failure-class';

/** The `error.type` values of CONTRACT §2. */
export type OpenAiErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'permission_error'
  | 'not_found_error'
  | 'conflict_error'
  | 'rate_limit_error'
  | 'upstream_error'
  | 'service_unavailable'
  | 'timeout_error'
  | 'server_error';

export interface GatewayErrorInit {
  code?: string | null;
  param?: string | null;
  /** Seconds, sent as Retry-After. */
  retryAfterSeconds?: number;
  /** The final failure class, when the error ends an upstream attempt chain. */
  failureClass?: FailureClass;
  cause?: unknown;
}

/**
 * An error answered to the client in the OpenAI shape. Everything the gateway rejects or gives up
 * on becomes one of these, and the exception filter is the only place that writes them out.
 */
export class GatewayError extends Error {
  readonly status: number;
  readonly type: OpenAiErrorType;
  readonly code: string | null;
  readonly param: string | null;
  readonly retryAfterSeconds?: number;
  readonly failureClass?: FailureClass;
  /** Set by the dead letter queue when the request was recorded. */
  dlqId?: string;

  constructor(status: number, type: OpenAiErrorType, message: string, init: GatewayErrorInit = {}) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'GatewayError';
    this.status = status;
    this.type = type;
    this.code = init.code ?? null;
    this.param = init.param ?? null;
    this.retryAfterSeconds = init.retryAfterSeconds;
    this.failureClass = init.failureClass;
  }

  static invalidRequest(message: string, param: string | null = null, code = 'invalid_value'): GatewayError {
    return new GatewayError(400, 'invalid_request_error', message, { param, code });
  }

  static payloadTooLarge(limitBytes: number): GatewayError {
    return new GatewayError(
      413,
      'invalid_request_error',
      `Request body is larger than the limit of ${limitBytes} bytes.`,
      {
        code: 'request_too_large',
      },
    );
  }

  static authentication(message: string): GatewayError {
    return new GatewayError(401, 'authentication_error', message, { code: 'invalid_api_key' });
  }

  static modelNotFound(model: string): GatewayError {
    return new GatewayError(404, 'not_found_error', `The model \`${model}\` does not exist.`, {
      param: 'model',
      code: 'model_not_found',
    });
  }

  static routeNotFound(method: string, url: string): GatewayError {
    return new GatewayError(404, 'not_found_error', `Unknown route: ${method} ${url}`, {
      code: 'unknown_route',
    });
  }

  static clientRateLimited(retryAfterSeconds: number): GatewayError {
    return new GatewayError(429, 'rate_limit_error', 'Rate limit reached for this client key; retry later.', {
      code: 'rate_limit_exceeded',
      retryAfterSeconds,
    });
  }

  /** Load shed by degradation (CONTRACT §2: 503 with Retry-After); the request never went upstream. */
  static shed(message: string, retryAfterSeconds: number): GatewayError {
    return new GatewayError(503, 'service_unavailable', message, {
      code: 'load_shed',
      retryAfterSeconds,
      failureClass: FailureClass.Shed,
    });
  }

  /** The response body of CONTRACT §2. */
  toBody(): { error: Record<string, unknown> } {
    const error: Record<string, unknown> = {
      message: this.message,
      type: this.type,
      code: this.code,
      param: this.param,
    };
    if (this.failureClass) error.failure_class = this.failureClass;
    if (this.dlqId) error.dlq_id = this.dlqId;
    return { error };
  }
}
