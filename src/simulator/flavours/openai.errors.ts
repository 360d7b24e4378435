import { humanWait } from '../retry-hints';
import type { ErrorRequest } from './flavour.types';
import { maskKey } from './openai-wire';

interface OpenAiErrorObject {
  message: string;
  type: string;
  param: string | null;
  code: string | null;
}

/** The `error` object OpenAI sends for a status and variant. */
export function openAiError(r: ErrorRequest): OpenAiErrorObject {
  const e = baseError(r);
  return r.message === undefined ? e : { ...e, message: r.message };
}

function baseError(r: ErrorRequest): OpenAiErrorObject {
  const invalid = (message: string, code: string | null = null, param: string | null = null) => ({
    message,
    type: 'invalid_request_error',
    param,
    code,
  });
  if (r.variant === 'invalid_key' || (r.status === 401 && r.variant !== 'missing_key')) {
    return invalid(
      `Incorrect API key provided: ${maskKey(r.key)}. You can find your API key at https://platform.openai.com/account/api-keys.`,
      'invalid_api_key',
    );
  }
  if (r.variant === 'missing_key') {
    return invalid(
      "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank username) if you're accessing the API from your browser and are prompted for a username and password. You can obtain an API key from https://platform.openai.com/account/api-keys.",
    );
  }
  if (r.variant === 'unknown_route') return invalid(`Invalid URL (${r.method} ${r.path})`);
  if (r.variant === 'quota') {
    return {
      message:
        'You exceeded your current quota, please check your plan and billing details. For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.',
      type: 'insufficient_quota',
      param: null,
      code: 'insufficient_quota',
    };
  }
  if (r.variant === 'model_not_found' || r.status === 404) {
    return invalid(
      `The model \`${r.model}\` does not exist or you do not have access to it.`,
      'model_not_found',
    );
  }
  switch (r.status) {
    case 400:
      return invalid(r.variant === 'bad_request' ? (r.message ?? 'Invalid request.') : 'Invalid request.');
    case 403:
      return {
        message: 'Country, region, or territory not supported',
        type: 'request_forbidden',
        param: null,
        code: 'unsupported_country_region_territory',
      };
    case 429:
      return {
        message: `Rate limit reached for ${r.model} in organization org-simulator on tokens per min (TPM): Limit 200000, Used 199640, Requested 812. Please try again in ${humanWait(r.hintMs)}. Visit https://platform.openai.com/account/rate-limits to learn more.`,
        type: 'tokens',
        param: null,
        code: 'rate_limit_exceeded',
      };
    case 500:
      return {
        message: 'The server had an error while processing your request. Sorry about that!',
        type: 'server_error',
        param: null,
        code: null,
      };
    case 503:
      return {
        message: 'The server is overloaded or not ready yet.',
        type: 'server_error',
        param: null,
        code: null,
      };
  }
  if (r.status >= 500) {
    return {
      message: 'The server had an error processing your request.',
      type: 'server_error',
      param: null,
      code: null,
    };
  }
  return invalid(`Request failed with status ${r.status}.`);
}
