import type { LoggerService } from '@nestjs/common';
import type { FastifyInstance } from 'fastify';
import pino, { type DestinationStream, type Level, type Logger } from 'pino';
import { routingLogFields } from '../gateway/routing-headers';

/** Paths polled by Kubernetes and Prometheus: logging each poll would drown the useful lines. */
const QUIET_PATHS = /^\/(health|metrics)(\/|$|\?)/;

/**
 * The process's one pino logger: JSON lines on stdout. Writes are asynchronous and batched: lines
 * collect up to 4 KB (or 250 ms) and leave in one write syscall, instead of one per line (a write
 * per request was 3% of the gateway's CPU). pino flushes what is queued when the process exits.
 */
export function createRootLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    { level },
    destination ?? pino.destination({ dest: 1, sync: false, minLength: 4096, periodicFlush: 250 }),
  );
}

/**
 * One access line per finished request, written from Fastify's onResponse hook (streams included:
 * it fires when the last byte is out). We log here instead of through pino-http's middleware: that
 * made a child logger and ran Nest's middleware chain for every request, 10% of the gateway's CPU.
 * Only method, URL, ids and routing are logged, never headers, so no key can reach a line.
 */
export function registerAccessLog(fastify: FastifyInstance, logger: Logger): void {
  if (!logger.isLevelEnabled('info')) return;
  fastify.addHook('onResponse', (request, reply, done) => {
    if (!QUIET_PATHS.test(request.url)) {
      const statusCode = reply.statusCode;
      logger[statusCode >= 500 ? 'error' : 'info'](
        {
          req: { id: request.id, method: request.method, url: request.url },
          res: { statusCode },
          responseTime: Math.round(reply.elapsedTime * 1000) / 1000,
          ...routingLogFields(reply.raw),
        },
        'request completed',
      );
    }
    done();
  });
}

/** Nest's LoggerService over pino: `new Logger('Context')` calls land here as JSON lines. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, ...params: unknown[]): void {
    this.write('info', message, params);
  }
  error(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params);
  }
  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }
  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }
  verbose(message: unknown, ...params: unknown[]): void {
    this.write('trace', message, params);
  }
  fatal(message: unknown, ...params: unknown[]): void {
    this.write('fatal', message, params);
  }

  /** Nest passes the logger's context last; `error` may pass a stack before it. */
  private write(level: Level, message: unknown, params: unknown[]): void {
    if (!this.logger.isLevelEnabled(level)) return;
    const fields: Record<string, unknown> = {};
    const rest = [...params];
    if (rest.length > 0 && typeof rest[rest.length - 1] === 'string') fields.context = rest.pop();
    for (const param of rest) {
      if (param instanceof Error) fields.err = param;
      else if (typeof param === 'string') fields.stack = param;
      else if (param && typeof param === 'object') Object.assign(fields, param);
    }
    if (message instanceof Error) {
      fields.err = message;
      this.logger[level](fields, message.message);
    } else if (message && typeof message === 'object') {
      this.logger[level]({ ...fields, ...message });
    } else {
      this.logger[level](fields, String(message));
    }
  }
}
