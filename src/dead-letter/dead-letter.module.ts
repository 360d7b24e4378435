import { join } from 'node:path';
import { Logger, Module } from '@nestjs/common';
import { Clock } from '../common/clock';
import { CORTEX_CONFIG } from '../config/config.module';
import type { CortexConfig } from '../config/config.schema';
import { ProvidersModule } from '../providers/providers.module';
import { ResilienceModule } from '../resilience/resilience.module';
import { DeadLetterService } from './dead-letter.service';
import { DlqBulkReplayService } from './dlq-bulk-replay.service';
import { DlqMetricsListener } from './dlq-metrics.listener';
import { DlqReplayService } from './dlq-replay.service';
import { DLQ_STORE, type DlqStore } from './dlq-store';
import { DlqController } from './dlq.controller';
import { MemoryDlqStore } from './memory.dlq-store';
import { SqliteDlqStore } from './sqlite.dlq-store';
import { UnavailableDlqStore } from './unavailable.dlq-store';

/**
 * The store named by `dlq.store`: one SQLite file under CORTEX_DATA_DIR by default. A store that
 * cannot be opened never stops the gateway: it starts anyway and keeps trying (UnavailableDlqStore).
 */
function createStore(config: CortexConfig, clock: Clock): DlqStore {
  const logger = new Logger('DeadLetterModule');
  const open = (): DlqStore => {
    switch (config.dlq.store) {
      case 'sqlite':
        return new SqliteDlqStore({ path: join(config.runtime.data_dir, 'dlq.sqlite'), clock });
      case 'memory':
        return new MemoryDlqStore({ clock });
      case 'redis':
        throw new Error(
          'dlq.store "redis" needs the Redis state backend, which this build does not have yet; use sqlite',
        );
    }
  };
  try {
    return open();
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    logger.error(
      `the dead letter store (${config.dlq.store}) cannot be opened: ${reason}; failed requests are not kept until it can`,
    );
    return new UnavailableDlqStore(config.dlq.store, open, reason, clock);
  }
}

/** Owns the dead letter queue: recording failed requests, retention, queries, replay and its admin routes. */
@Module({
  imports: [ProvidersModule, ResilienceModule],
  controllers: [DlqController],
  providers: [
    { provide: DLQ_STORE, useFactory: createStore, inject: [CORTEX_CONFIG, Clock] },
    DeadLetterService,
    DlqReplayService,
    DlqBulkReplayService,
    DlqMetricsListener,
  ],
  exports: [DeadLetterService, DLQ_STORE],
})
export class DeadLetterModule {}
