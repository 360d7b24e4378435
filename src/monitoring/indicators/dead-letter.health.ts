import { Inject, Injectable } from '@nestjs/common';
import { type HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { CORTEX_CONFIG } from '../../config/config.module';
import type { CortexConfig } from '../../config/config.schema';
import { DeadLetterService } from '../../dead-letter/dead-letter.service';
import { errorMessage, withTimeout } from '../with-timeout';

const TIMEOUT_MS = 2000;

/** Up when the dead letter store answers its check in time. */
@Injectable()
export class DeadLetterHealthIndicator {
  constructor(
    private readonly indicator: HealthIndicatorService,
    private readonly dlq: DeadLetterService,
    @Inject(CORTEX_CONFIG) private readonly config: CortexConfig,
  ) {}

  async isHealthy(key = 'dead_letter_queue'): Promise<HealthIndicatorResult> {
    const session = this.indicator.check(key);
    const store = this.config.dlq.store;
    try {
      await withTimeout(this.dlq.check(), TIMEOUT_MS, 'the dead letter store');
      return session.up({ store });
    } catch (error) {
      return session.down({ store, message: errorMessage(error) });
    }
  }
}
