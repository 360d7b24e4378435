import { Readable } from 'node:stream';
import { Body, Controller, HttpCode, Post, Req, Res, UseGuards } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ClientDisconnectedError } from '../common/request-aborted';
import type { RequestContext } from '../common/request-context';
import type { ChatCompletion } from '../providers/chat.types';
import { RequestRouter } from '../resilience/request-router.service';
import { parseChatRequest } from './chat-request.schema';
import { ClientAuthGuard } from './client-auth.guard';
import { ClientRateLimitGuard } from './client-rate-limit.guard';
import { setRoutingHeaders } from './routing-headers';
import { sseEvents } from './sse-events';

/** POST /v1/chat/completions, JSON and SSE (CONTRACT §2). */
@Controller('v1')
@UseGuards(ClientAuthGuard, ClientRateLimitGuard)
export class ChatCompletionsController {
  constructor(private readonly router: RequestRouter) {}

  @Post('chat/completions')
  @HttpCode(200)
  async create(
    @Body() body: unknown,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ChatCompletion | Readable> {
    const chatRequest = parseChatRequest(body);
    const context = requestContext(request, reply);
    if (chatRequest.stream !== true) {
      const routed = await this.router.complete(chatRequest, context);
      setRoutingHeaders(reply, routed);
      return routed.completion;
    }
    const routed = await this.router.openStream(chatRequest, context);
    setRoutingHeaders(reply, routed);
    reply
      .header('content-type', 'text/event-stream; charset=utf-8')
      .header('cache-control', 'no-cache')
      .header('x-accel-buffering', 'no');
    // Fastify pipes the Readable into the socket: backpressure pauses the generator, and a closed
    // socket destroys it, which returns the upstream iterator and so aborts the upstream request.
    return Readable.from(sseEvents(routed), { highWaterMark: 16 });
  }
}

/** Ties the request's lifetime to the client's connection: a closed socket aborts the upstream work. */
function requestContext(request: FastifyRequest, reply: FastifyReply): RequestContext {
  const controller = new AbortController();
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) controller.abort(new ClientDisconnectedError());
  });
  const client = request.cortexClient;
  return {
    requestId: request.id,
    signal: controller.signal,
    client: client ? { name: client.name, tier: client.tier } : undefined,
  };
}
