import { Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { Clock } from '../common/clock';

/** starting -> ready (after the first health check) -> draining (shutdown); never back. */
export type LifecycleState = 'starting' | 'ready' | 'draining';

/**
 * Where the process is in its life, for readiness: not ready until the first health check has run,
 * and not ready again once shutdown began, so a load balancer stops sending new requests while the
 * in-flight ones finish. main.ts calls markDraining() on SIGTERM before closing the app; app.close()
 * marks it too (onModuleDestroy runs before the HTTP server closes).
 */
@Injectable()
export class LifecycleService implements OnModuleDestroy {
  private readonly logger = new Logger('Lifecycle');
  private current: LifecycleState = 'starting';
  readonly startedAt: number;

  constructor(private readonly clock: Clock) {
    this.startedAt = clock.now();
  }

  get state(): LifecycleState {
    return this.current;
  }

  /** The first scheduled check has finished: ready, unless shutdown already began. */
  markChecked(): void {
    if (this.current !== 'starting') return;
    this.current = 'ready';
    this.logger.log(`ready after ${this.clock.now() - this.startedAt} ms`);
  }

  /** Shutdown began: readiness answers 503 from now on. */
  markDraining(): void {
    if (this.current === 'draining') return;
    this.current = 'draining';
    this.logger.log('draining: readiness now answers 503');
  }

  uptimeSeconds(): number {
    return Math.max(0, Math.floor((this.clock.now() - this.startedAt) / 1000));
  }

  onModuleDestroy(): void {
    this.markDraining();
  }
}
