import { humanWait } from '../retry-hints';
import type { ErrorRequest } from './flavour.types';

interface GroqErrorObject {
  message: string;
  type: string;
  code?: string;
}

/** Groq's `error` object: OpenAI's without `param`. */
export function groqError(r: ErrorRequest): GroqErrorObject {
  const e = baseError(r);
  return r.message === undefined ? e : { ...e, message: r.message };
}

function baseError({ status, variant, model, hintMs, method, path }: ErrorRequest): GroqErrorObject {
  const org = 'org_01k7simulator000000000000';
  if (variant === 'invalid_key' || variant === 'missing_key' || status === 401) {
    return { message: 'Invalid API Key', type: 'invalid_request_error', code: 'invalid_api_key' };
  }
  if (variant === 'unknown_route') {
    return {
      message: `Unknown request URL: ${method} ${path}. Please check the URL for typos, or see the docs at https://console.groq.com/docs/`,
      type: 'invalid_request_error',
      code: 'unknown_url',
    };
  }
  if (variant === 'quota') {
    return {
      message: `Rate limit reached for model \`${model}\` in organization \`${org}\` service tier \`on_demand\` on requests per day (RPD): Limit 14400, Used 14400, Requested 1. Please try again in ${humanWait(hintMs)}. Need more tokens? Upgrade to Dev Tier today at https://console.groq.com/settings/billing`,
      type: 'requests',
      code: 'rate_limit_exceeded',
    };
  }
  if (variant === 'model_not_found' || status === 404) {
    return {
      message: `The model \`${model}\` does not exist or you do not have access to it.`,
      type: 'invalid_request_error',
      code: 'model_not_found',
    };
  }
  switch (status) {
    case 400:
      return { message: 'Invalid request.', type: 'invalid_request_error' };
    case 429:
      return {
        message: `Rate limit reached for model \`${model}\` in organization \`${org}\` service tier \`on_demand\` on tokens per minute (TPM): Limit 12000, Used 11210, Requested 1450. Please try again in ${humanWait(hintMs)}. Need more tokens? Upgrade to Dev Tier today at https://console.groq.com/settings/billing`,
        type: 'tokens',
        code: 'rate_limit_exceeded',
      };
    case 498:
      return {
        message: 'Flex tier capacity exceeded. Please try again later.',
        type: 'capacity_exceeded',
        code: 'capacity_exceeded',
      };
    case 503:
      return { message: 'Service Unavailable', type: 'internal_server_error' };
  }
  if (status >= 500) return { message: 'Internal Server Error', type: 'internal_server_error' };
  return { message: `Request failed with status ${status}.`, type: 'invalid_request_error' };
}
