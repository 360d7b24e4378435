import { metrics } from '@opentelemetry/api';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import { FailureClass } from '../common/failure-class';
import { DlqMetricsListener } from './dlq-metrics.listener';

describe(DlqMetricsListener.name, () => {
  it('counts added, evicted, expired, replayed (by outcome) and write failures', async () => {
    const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 60_000 });
    const provider = new MeterProvider({ readers: [reader] });
    metrics.setGlobalMeterProvider(provider);
    try {
      const listener = new DlqMetricsListener();
      listener.onAdded({ id: 'dlq_1', failureClass: FailureClass.Timeout, providers: ['a'], at: 0 });
      listener.onAdded({ id: 'dlq_2', failureClass: FailureClass.Timeout, providers: ['a'], at: 0 });
      listener.onEvicted({ count: 3, at: 0 });
      listener.onExpired({ count: 4, at: 0 });
      listener.onReplayed({ id: 'dlq_1', outcome: 'success', at: 0 });
      listener.onWriteFailed({ requestId: 'r', message: 'disk full', at: 0 });
      await reader.forceFlush();
      const points = new Map<string, Array<{ value: unknown; attributes: unknown }>>();
      for (const scope of exporter.getMetrics().flatMap((resource) => resource.scopeMetrics)) {
        for (const metric of scope.metrics) {
          points.set(
            metric.descriptor.name,
            metric.dataPoints.map((point) => ({ value: point.value, attributes: point.attributes })),
          );
        }
      }
      expect(points.get('cortex.dlq.items_added')).toEqual([
        { value: 2, attributes: { 'cortex.failure_class': 'timeout' } },
      ]);
      expect(points.get('cortex.dlq.items_evicted')).toEqual([{ value: 3, attributes: {} }]);
      expect(points.get('cortex.dlq.items_expired')).toEqual([{ value: 4, attributes: {} }]);
      expect(points.get('cortex.dlq.replays')).toEqual([
        { value: 1, attributes: { 'cortex.outcome': 'success' } },
      ]);
      expect(points.get('cortex.dlq.write_failures')).toEqual([{ value: 1, attributes: {} }]);
    } finally {
      await provider.shutdown();
      metrics.disable();
    }
  });
});
