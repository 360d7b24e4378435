import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { type HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { Redis } from 'ioredis';
import { CORTEX_CONFIG } from '../../config/config.module';
import type { CortexConfig } from '../../config/config.schema';
import { roundTo } from '../report-format';
import { errorMessage, withTimeout } from '../with-timeout';

const PING_TIMEOUT_MS = 1000;

/**
 * PING on the Redis of `runtime.redis_url`, over one connection kept for the checks (ioredis
 * reconnects in the background with a capped backoff). Commands fail at once while it is down rather
 * than queueing, so a check never waits on a dead server beyond its timeout.
 */
@Injectable()
export class RedisHealthIndicator implements OnModuleDestroy {
  private client: Redis | undefined;
  /** The first connection attempt, shared by checks that arrive while it runs. */
  private connecting: Promise<void> | undefined;

  constructor(
    private readonly indicator: HealthIndicatorService,
    @Inject(CORTEX_CONFIG) private readonly config: CortexConfig,
  ) {}

  get configured(): boolean {
    return this.config.runtime.redis_url !== undefined;
  }

  async isHealthy(key = 'redis'): Promise<HealthIndicatorResult> {
    const session = this.indicator.check(key);
    if (!this.configured) return session.up({ configured: false });
    const started = performance.now();
    try {
      await withTimeout(this.ping(), PING_TIMEOUT_MS, 'redis');
      return session.up({ latency_ms: roundTo(performance.now() - started, 2) });
    } catch (error) {
      return session.down({ message: errorMessage(error) });
    }
  }

  onModuleDestroy(): void {
    this.client?.disconnect();
    this.client = undefined;
  }

  private async ping(): Promise<void> {
    const client = this.connection();
    if (client.status === 'wait') {
      this.connecting ??= client.connect().finally(() => {
        this.connecting = undefined;
      });
    }
    if (this.connecting) await this.connecting;
    const answer = await client.ping();
    if (answer !== 'PONG') throw new Error(`redis answered PING with ${String(answer)}`);
  }

  private connection(): Redis {
    if (!this.client) {
      this.client = new Redis(this.config.runtime.redis_url!, {
        lazyConnect: true,
        enableOfflineQueue: false,
        enableReadyCheck: false,
        maxRetriesPerRequest: 0,
        connectTimeout: PING_TIMEOUT_MS,
        retryStrategy: (times) => Math.min(times * 500, 5000),
        // disconnect() arms this timer even for a stream that is already closed; the default 2 s
        // would hold the process (and test runners) open that long after shutdown.
        disconnectTimeout: 200,
      });
      // Without a listener an 'error' event would crash the process; the check reports the failure.
      this.client.on('error', () => undefined);
    }
    return this.client;
  }
}
