import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { setRoutingHeaders } from './routing-headers';
import type { AttemptRecord } from '../resilience/attempt-record';
import { GatewayError } from '../common/gateway-error';
import { ClientDisconnectedError } from '../common/request-aborted';

/**
 * The one place where errors become responses: everything (our GatewayErrors, Fastify's body
 * parser errors, Nest's HttpExceptions, bugs) leaves in the OpenAI error shape of CONTRACT §2.
 */
@Catch()
export class OpenAiExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const request = host.switchToHttp().getRequest<FastifyRequest>();
    if (exception instanceof ClientDisconnectedError || reply.raw.destroyed) return;
    const error = toGatewayError(exception, request);
    if (error.status >= 500 && !(exception instanceof GatewayError)) {
      this.logger.error(`unhandled error on ${request.method} ${request.url}`, (exception as Error)?.stack);
    }
    if (reply.sent) return;
    const attempts = (exception as { attempts?: AttemptRecord[] }).attempts;
    if (attempts) setRoutingHeaders(reply, { attempts });
    if (error.retryAfterSeconds !== undefined) reply.header('retry-after', String(error.retryAfterSeconds));
    void reply
      .status(error.status)
      .header('content-type', 'application/json; charset=utf-8')
      .send(error.toBody());
  }
}

/** Errors thrown before Nest's handler runs may carry a statusCode. */
interface FastifyLikeError {
  statusCode?: number;
  message?: string;
}

function invalidJson(detail: string): GatewayError {
  return GatewayError.invalidRequest(
    `We could not parse the JSON body of your request (${detail}). The body must be a valid JSON object.`,
    null,
    'invalid_json',
  );
}

function toGatewayError(exception: unknown, request: FastifyRequest): GatewayError {
  if (exception instanceof GatewayError) return exception;
  if (exception instanceof HttpException) {
    // Nest turns Fastify's body-parser errors into bare HttpExceptions; their status says which.
    const status = exception.getStatus();
    switch (status) {
      case 404:
        return GatewayError.routeNotFound(request.method, request.url.split('?')[0]);
      case 400:
        return invalidJson(exception.message);
      case 413:
        return new GatewayError(413, 'invalid_request_error', exception.message, {
          code: 'request_too_large',
        });
      case 415:
        return GatewayError.invalidRequest(
          'Content-Type must be application/json.',
          null,
          'invalid_content_type',
        );
      default:
        return new GatewayError(
          status,
          status >= 500 ? 'server_error' : 'invalid_request_error',
          exception.message,
        );
    }
  }
  const fastifyError = (exception ?? {}) as FastifyLikeError;
  if (exception instanceof SyntaxError) return invalidJson(exception.message);
  if (
    typeof fastifyError.statusCode === 'number' &&
    fastifyError.statusCode >= 400 &&
    fastifyError.statusCode < 500
  ) {
    return new GatewayError(
      fastifyError.statusCode,
      'invalid_request_error',
      fastifyError.message ?? 'Bad request.',
    );
  }
  return new GatewayError(
    500,
    'server_error',
    'The gateway had an internal error while processing your request.',
  );
}
