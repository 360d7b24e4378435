import { Body, Controller, Delete, Get, HttpCode, Inject, Put, UseGuards } from '@nestjs/common';
import { AdminAuthGuard } from '../admin/admin-auth.guard';
import { CORTEX_CONFIG } from '../config/config.module';
import type { CortexConfig } from '../config/config.schema';
import { ConcurrencyCap } from './concurrency-cap';
import { DegradationManager } from './degradation-manager.service';
import { parseForceLevel } from './force-level.schema';

/** The degradation admin routes of CONTRACT §4, behind the admin token. */
@Controller('admin/degradation')
@UseGuards(AdminAuthGuard)
export class DegradationController {
  constructor(
    private readonly manager: DegradationManager,
    private readonly cap: ConcurrencyCap,
    @Inject(CORTEX_CONFIG) private readonly config: CortexConfig,
  ) {}

  @Get()
  get(): Record<string, unknown> {
    return this.state();
  }

  /** Forces a level for `ttl_seconds`, whatever the health checks say. */
  @Put()
  @HttpCode(200)
  force(@Body() body: unknown): Record<string, unknown> {
    const { level, ttlSeconds } = parseForceLevel(body);
    this.manager.force(level, ttlSeconds);
    return this.state();
  }

  /** Back to the computed level; idempotent. */
  @Delete()
  @HttpCode(200)
  clear(): Record<string, unknown> {
    this.manager.clearForce();
    return this.state();
  }

  private state(): Record<string, unknown> {
    const snapshot = this.manager.snapshot();
    const degradation = this.config.degradation;
    return {
      level: snapshot.level,
      computed_level: snapshot.computedLevel,
      forced: snapshot.forced
        ? { level: snapshot.forced.level, expires_at: new Date(snapshot.forced.expiresAt).toISOString() }
        : null,
      healthy_share: snapshot.healthyShare ?? null,
      changed_at: new Date(snapshot.changedAt).toISOString(),
      strategies: snapshot.strategies,
      acceptance: degradation.acceptance[snapshot.level],
      concurrency: { in_flight: this.cap.inFlight, limit: degradation.max_concurrent_requests },
      thresholds: { degrade_below: degradation.degrade_below, recover_above: degradation.recover_above },
    };
  }
}
