import { Injectable } from '@nestjs/common';
import { type HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { LifecycleService } from '../lifecycle.service';

/** Ready only between the first health check and the start of shutdown. */
@Injectable()
export class LifecycleHealthIndicator {
  constructor(
    private readonly indicator: HealthIndicatorService,
    private readonly lifecycle: LifecycleService,
  ) {}

  isReady(key = 'lifecycle'): HealthIndicatorResult {
    const session = this.indicator.check(key);
    const state = this.lifecycle.state;
    return state === 'ready' ? session.up({ state }) : session.down({ state });
  }
}
