import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { DestinationStream } from 'pino';
import { AppModule } from './app.module';
import type { CortexConfig } from './config/config.schema';
import { createRootLogger, PinoNestLogger, registerAccessLog } from './telemetry/logger';
import { currentTraceparent } from './telemetry/traceparent';

const REQUEST_ID = /^[\w.:-]{1,128}$/;

/** A client's x-request-id is kept when it is a sane token; otherwise the gateway makes one. */
function requestId(request: IncomingMessage): string {
  const given = request.headers['x-request-id'];
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
}

/** Builds the application exactly as main.ts runs it; tests call this too (and may capture the log lines). */
export async function createApp(
  config: CortexConfig,
  options: { logDestination?: DestinationStream } = {},
): Promise<NestFastifyApplication> {
  const logger = createRootLogger(config.runtime.log_level, options.logDestination);
  const adapter = new FastifyAdapter({
    bodyLimit: config.server.body_limit_bytes,
    genReqId: requestId,
    requestIdHeader: false,
    // Slow or stalled clients must not hold sockets forever (slowloris).
    requestTimeout: 120_000,
    connectionTimeout: 0,
    keepAliveTimeout: 72_000,
    return503OnClosing: true,
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config), adapter, {
    bufferLogs: true,
  });
  app.useLogger(new PinoNestLogger(logger));
  const fastify = app.getHttpAdapter().getInstance();
  registerAccessLog(fastify, logger);
  fastify.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    reply.header('traceparent', currentTraceparent(request.headers.traceparent));
    done();
  });
  return app;
}
