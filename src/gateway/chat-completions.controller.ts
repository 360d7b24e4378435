import { Readable } from 'node:stream';
import { Body, Controller, HttpCode, Post, Req, Res, UseGuards, UseInterceptors } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { TrafficGauge } from '../common/traffic-gauge';
import { DegradationCacheInterceptor } from '../degradation/degradation-cache.interceptor';
import { LoadSheddingGuard } from '../degradation/load-shedding.guard';
import type { ChatCompletion } from '../providers/chat.types';
import { RequestOutcomes } from '../resilience/request-outcomes.service';
import { RequestRouter } from '../resilience/request-router.service';
import { ResilienceInterceptor, type ResilienceScope } from '../resilience/resilience.interceptor';
import { parseChatRequest } from './chat-request.schema';
import { ClientAuthGuard } from './client-auth.guard';
import { ClientRateLimitGuard } from './client-rate-limit.guard';
import { writeCoalescer } from './coalesce-writes';
import { setRoutingHeaders } from './routing-headers';
import { SseBody } from './sse-events';

/** POST /v1/chat/completions, JSON and SSE (CONTRACT §2). */
@Controller('v1')
@UseGuards(ClientAuthGuard, ClientRateLimitGuard, LoadSheddingGuard)
@UseInterceptors(DegradationCacheInterceptor, ResilienceInterceptor)
export class ChatCompletionsController {
  constructor(
    private readonly router: RequestRouter,
    private readonly outcomes: RequestOutcomes,
    private readonly traffic: TrafficGauge,
  ) {}

  @Post('chat/completions')
  @HttpCode(200)
  async create(
    @Body() body: unknown,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ChatCompletion | Readable> {
    const chatRequest = parseChatRequest(body);
    const scope = request.resilience as ResilienceScope;
    if (chatRequest.stream !== true) {
      const routed = await this.router.complete(chatRequest, scope.context, scope.policy);
      scope.attempts = routed.attempts;
      setRoutingHeaders(reply, routed);
      return routed.completion;
    }
    const routed = await this.router.openStream(chatRequest, scope.context, scope.policy);
    setRoutingHeaders(reply, routed);
    reply
      .header('content-type', 'text/event-stream; charset=utf-8')
      .header('cache-control', 'no-cache')
      .header('x-accel-buffering', 'no');
    const finished = scope.finished(routed.attempts);
    // Fastify pipes the body into the socket: backpressure pauses the upstream read, and a closed
    // socket destroys the body, which returns the upstream iterator and so aborts the upstream request.
    return new SseBody(routed, {
      opened: () => this.traffic.openStreams++,
      closed: () => this.traffic.openStreams--,
      succeeded: () => this.outcomes.succeeded(finished),
      failed: (error) => this.outcomes.failed(finished, error),
      beforeEvent: writeCoalescer(reply.raw),
    });
  }
}
