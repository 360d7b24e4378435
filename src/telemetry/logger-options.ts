import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Params } from 'nestjs-pino';
import { routingLogFields } from '../gateway/routing-headers';

/** Paths polled by Kubernetes and Prometheus: logging each poll would drown the useful lines. */
const QUIET_PATHS = /^\/(health|metrics)(\/|$|\?)/;

/**
 * Structured JSON logs with one line per request. Every header that can carry a secret is redacted:
 * keys must never reach a log.
 */
export function loggerOptions(level: string): Params {
  return {
    pinoHttp: {
      level,
      redact: {
        paths: [
          'req.headers.authorization',
          'req.headers["x-api-key"]',
          'req.headers["x-goog-api-key"]',
          'req.headers.cookie',
        ],
        censor: '[redacted]',
      },
      autoLogging: {
        ignore: (req: IncomingMessage) =>
          QUIET_PATHS.test((req as { originalUrl?: string }).originalUrl ?? req.url ?? ''),
      },
      quietReqLogger: true,
      // Method, URL and id are what an operator needs per line; dumping every header costs CPU per request.
      serializers: {
        req: (req: { id?: unknown; method?: string; url?: string }) => ({
          id: req.id,
          method: req.method,
          url: req.url,
        }),
        res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
      },
      customProps: (_req: IncomingMessage, res: ServerResponse) => routingLogFields(res),
    },
  };
}
