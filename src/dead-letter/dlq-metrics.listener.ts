import { Injectable } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { metrics } from '@opentelemetry/api';
import {
  CortexEvent,
  type DlqCountEvent,
  type DlqItemEvent,
  type DlqReplayedEvent,
  type DlqWriteFailedEvent,
} from '../common/events';

/**
 * The queue's OpenTelemetry counters, fed by its events (exported wherever the SDK's metric reader
 * sends them; no-ops when telemetry is off). Attributes are failure classes and outcomes only:
 * never ids, never anything from a request.
 */
@Injectable()
export class DlqMetricsListener {
  private readonly meter = metrics.getMeter('cortex');
  private readonly added = this.meter.createCounter('cortex.dlq.items_added', {
    description: 'Failed requests recorded',
  });
  private readonly evicted = this.meter.createCounter('cortex.dlq.items_evicted', {
    description: 'Oldest records dropped at max_size',
  });
  private readonly expired = this.meter.createCounter('cortex.dlq.items_expired', {
    description: 'Records past retention_hours',
  });
  private readonly replayed = this.meter.createCounter('cortex.dlq.replays', {
    description: 'Replays by outcome',
  });
  private readonly writeFailures = this.meter.createCounter('cortex.dlq.write_failures', {
    description: 'Failed requests that could not be recorded',
  });

  @OnEvent(CortexEvent.DlqItemAdded)
  onAdded(event: DlqItemEvent): void {
    this.added.add(1, { 'cortex.failure_class': event.failureClass });
  }

  @OnEvent(CortexEvent.DlqItemsEvicted)
  onEvicted(event: DlqCountEvent): void {
    this.evicted.add(event.count);
  }

  @OnEvent(CortexEvent.DlqItemsExpired)
  onExpired(event: DlqCountEvent): void {
    this.expired.add(event.count);
  }

  @OnEvent(CortexEvent.DlqItemReplayed)
  onReplayed(event: DlqReplayedEvent): void {
    this.replayed.add(1, { 'cortex.outcome': event.outcome });
  }

  @OnEvent(CortexEvent.DlqWriteFailed)
  onWriteFailed(_event: DlqWriteFailedEvent): void {
    this.writeFailures.add(1);
  }
}
