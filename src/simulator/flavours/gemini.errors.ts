import type { ErrorRequest } from './flavour.types';

// google.rpc.Code names by HTTP status.
const RPC_STATUS: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  409: 'ABORTED',
  429: 'RESOURCE_EXHAUSTED',
  499: 'CANCELLED',
  500: 'INTERNAL',
  501: 'NOT_IMPLEMENTED',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

const MESSAGES: Record<number, string> = {
  400: 'Request contains an invalid argument.',
  403: "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.",
  429: 'You exceeded your current quota, please check your plan and billing details. For more information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits.',
  500: 'An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting',
  503: 'The model is overloaded. Please try again later.',
  504: 'Deadline expired before operation could complete.',
};

const API_KEY_INVALID = 'API key not valid. Please pass a valid API key.';

interface GeminiError {
  error: { code: number; message: string; status: string; details?: unknown[] };
}

/** The body of a Gemini error: `{error: {code, message, status, details?}}` with google.rpc details. */
export function geminiError(r: ErrorRequest): GeminiError {
  const status = RPC_STATUS[r.status] ?? (r.status >= 500 ? 'UNKNOWN' : 'FAILED_PRECONDITION');
  const error: GeminiError['error'] = {
    code: r.status,
    message: r.message ?? MESSAGES[r.status] ?? `HTTP ${r.status}`,
    status,
  };
  if (r.variant === 'invalid_key') {
    error.message = r.message ?? API_KEY_INVALID;
    error.details = [
      {
        '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
        reason: 'API_KEY_INVALID',
        domain: 'googleapis.com',
        metadata: { service: 'generativelanguage.googleapis.com' },
      },
      {
        '@type': 'type.googleapis.com/google.rpc.LocalizedMessage',
        locale: 'en-US',
        message: API_KEY_INVALID,
      },
    ];
  } else if (r.variant === 'model_not_found' || (r.status === 404 && r.variant !== 'unknown_route')) {
    error.message =
      r.message ??
      `models/${r.model} is not found for API version v1beta, or is not supported for generateContent. Call ListModels to see the list of available models and their supported methods.`;
  } else if (r.variant === 'unknown_route') {
    error.message = r.message ?? `Method not found: ${r.method} ${r.path}`;
  } else if (r.status === 429) {
    error.details = quotaDetails(r);
  }
  return { error };
}

function quotaDetails(r: ErrorRequest): unknown[] {
  // A PerDay quota id tells the client that waiting seconds will not help.
  const perDay = r.variant === 'quota';
  const details: unknown[] = [
    {
      '@type': 'type.googleapis.com/google.rpc.QuotaFailure',
      violations: [
        {
          quotaMetric: 'generativelanguage.googleapis.com/generate_content_free_tier_requests',
          quotaId: perDay
            ? 'GenerateRequestsPerDayPerProjectPerModel-FreeTier'
            : 'GenerateRequestsPerMinutePerProjectPerModel-FreeTier',
          quotaDimensions: { location: 'global', model: r.model },
          quotaValue: perDay ? '200' : '15',
        },
      ],
    },
    {
      '@type': 'type.googleapis.com/google.rpc.Help',
      links: [
        {
          description: 'Learn more about Gemini API quotas',
          url: 'https://ai.google.dev/gemini-api/docs/rate-limits',
        },
      ],
    },
  ];
  if (r.hints.includes('retry_info')) {
    details.push({
      '@type': 'type.googleapis.com/google.rpc.RetryInfo',
      retryDelay: `${Math.ceil(r.hintMs) / 1000}s`,
    });
  }
  return details;
}
