import type { ErrorRequest } from './flavour.types';

const TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  402: 'billing_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  504: 'timeout_error',
  529: 'overloaded_error',
};

const MESSAGES: Record<number, string> = {
  400: 'Invalid request.',
  401: 'invalid x-api-key',
  402: 'Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits.',
  403: 'Your API key does not have permission to use the specified resource.',
  413: 'Request exceeds the maximum allowed number of bytes.',
  429: 'This request would exceed the rate limit for your organization (00000000-0000-4000-8000-000000000000) of 30,000 input tokens per minute. For details, refer to: https://docs.claude.com/en/api/rate-limits. You can see the response headers for current usage. Please reduce the prompt length or the maximum tokens requested, or try again later. You may also contact sales at https://www.anthropic.com/contact-sales to discuss your options for a rate limit increase.',
  500: 'Internal server error',
  504: 'Request timed out',
  529: 'Overloaded',
};

/** Anthropic's `error.type` for an HTTP status. */
export function anthropicErrorType(status: number): string {
  return TYPES[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error');
}

interface AnthropicError {
  type: 'error';
  error: { type: string; message: string };
  request_id: string;
}

/** `{type: 'error', error: {type, message}, request_id}`, compact, as Anthropic sends it. */
export function anthropicError(r: ErrorRequest): AnthropicError {
  return {
    type: 'error',
    error: { type: anthropicErrorType(r.status), message: r.message ?? message(r) },
    request_id: r.requestId,
  };
}

function message(r: ErrorRequest): string {
  switch (r.variant) {
    case 'missing_key':
      return 'x-api-key header is required';
    case 'invalid_key':
      return MESSAGES[401];
    case 'quota':
      return 'You have reached your specified API usage limits. You will regain access on the first day of next month at 00:00 UTC.';
    case 'model_not_found':
      return `model: ${r.model}`;
    case 'unknown_route':
      return 'Not Found';
    default:
      if (r.status === 404) return `model: ${r.model}`;
      return (
        MESSAGES[r.status] ?? (r.status >= 500 ? MESSAGES[500] : `Request failed with status ${r.status}.`)
      );
  }
}
