import { Controller, Get, Header, Inject, Res, ServiceUnavailableException } from '@nestjs/common';
import {
  HealthCheck,
  HealthCheckService,
  type HealthCheckResult,
  type HealthIndicatorFunction,
} from '@nestjs/terminus';
import type { FastifyReply } from 'fastify';
import { CORTEX_CONFIG } from '../config/config.module';
import type { CortexConfig } from '../config/config.schema';
import { HealthReportService } from './health-report.service';
import { DeadLetterHealthIndicator } from './indicators/dead-letter.health';
import { EventLoopHealthIndicator } from './indicators/event-loop.health';
import { LifecycleHealthIndicator } from './indicators/lifecycle.health';
import { ProvidersHealthIndicator } from './indicators/providers.health';
import { RedisHealthIndicator } from './indicators/redis.health';

/** Readiness fails while the event loop lags this much (p99): the instance serves too slowly to take more. */
export const READY_MAX_LOOP_DELAY_MS = 1000;
/**
 * Liveness fails only when the loop is all but stuck: a restart is the cure for a broken process,
 * never for load or an upstream outage (which would restart every replica at once).
 */
export const LIVE_MAX_LOOP_DELAY_MS = 10_000;

/**
 * CONTRACT §4 health endpoints, outside client auth and load shedding (they are not on the chat
 * controller). Liveness never looks at providers; readiness needs the first check done, no shutdown,
 * a usable deployment and answering stores.
 */
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly report: HealthReportService,
    private readonly lifecycle: LifecycleHealthIndicator,
    private readonly providers: ProvidersHealthIndicator,
    private readonly deadLetters: DeadLetterHealthIndicator,
    private readonly redis: RedisHealthIndicator,
    private readonly eventLoop: EventLoopHealthIndicator,
    @Inject(CORTEX_CONFIG) private readonly config: CortexConfig,
  ) {}

  @Get()
  @Header('cache-control', 'no-store')
  async detailed(@Res({ passthrough: true }) reply: FastifyReply): Promise<Record<string, unknown>> {
    const { httpStatus, body } = await this.report.build();
    reply.status(httpStatus);
    return body;
  }

  @Get('live')
  @HealthCheck()
  @Header('cache-control', 'no-store')
  live(@Res({ passthrough: true }) reply: FastifyReply): Promise<HealthCheckResult> {
    return this.run(reply, [() => this.eventLoop.isHealthy('event_loop', LIVE_MAX_LOOP_DELAY_MS)]);
  }

  @Get('ready')
  @HealthCheck()
  @Header('cache-control', 'no-store')
  ready(@Res({ passthrough: true }) reply: FastifyReply): Promise<HealthCheckResult> {
    const checks: HealthIndicatorFunction[] = [
      () => this.lifecycle.isReady(),
      () => this.providers.isHealthy(),
      () => this.deadLetters.isHealthy(),
      () => this.eventLoop.isHealthy('event_loop', READY_MAX_LOOP_DELAY_MS),
    ];
    // Redis gates readiness only as a store that must answer (dlq.store: redis); as the shared state
    // backend it is optional (the gateway runs on local state without it) and shows in GET /health.
    if (this.redis.configured && this.config.dlq.store === 'redis') checks.push(() => this.redis.isHealthy());
    return this.run(reply, checks);
  }

  /** Terminus answers a failed check by throwing; the 503 keeps Terminus's body rather than the OpenAI error shape. */
  private async run(reply: FastifyReply, checks: HealthIndicatorFunction[]): Promise<HealthCheckResult> {
    try {
      return await this.health.check(checks);
    } catch (error) {
      if (!(error instanceof ServiceUnavailableException)) throw error;
      reply.status(503);
      return error.getResponse() as HealthCheckResult;
    }
  }
}
