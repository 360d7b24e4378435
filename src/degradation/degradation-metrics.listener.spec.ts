import { metrics } from '@opentelemetry/api';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import type { DegradationLevel } from '../common/events';
import { DegradationMetricsListener } from './degradation-metrics.listener';
import type { DegradationManager } from './degradation-manager.service';

describe(DegradationMetricsListener.name, () => {
  it('reports the level as a gauge, level changes, shed requests by tier and cache lookups', async () => {
    const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 60_000 });
    const provider = new MeterProvider({ readers: [reader] });
    metrics.setGlobalMeterProvider(provider);
    try {
      let level: DegradationLevel = 'critical';
      const listener = new DegradationMetricsListener({ level: () => level } as DegradationManager);
      listener.onLevelChanged({
        from: 'healthy',
        to: 'critical',
        cause: 'computed',
        healthyShare: 0.25,
        at: 0,
      });
      listener.onShed({ tier: 'normal', level: 'critical', reason: 'acceptance', at: 0 });
      listener.onShed({ tier: 'normal', level: 'critical', reason: 'acceptance', at: 0 });
      listener.onShed({ tier: 'premium', level: 'critical', reason: 'concurrency_limit', at: 0 });
      listener.cacheLookup(true);
      listener.cacheLookup(false);
      listener.cacheLookup(true);
      const points = async () => {
        exporter.reset();
        await reader.forceFlush();
        const out = new Map<string, Array<{ value: unknown; attributes: unknown }>>();
        for (const scope of exporter.getMetrics().flatMap((resource) => resource.scopeMetrics)) {
          for (const metric of scope.metrics) {
            out.set(
              metric.descriptor.name,
              metric.dataPoints.map((point) => ({ value: point.value, attributes: point.attributes })),
            );
          }
        }
        return out;
      };
      const first = await points();
      expect(first.get('cortex.degradation.level')).toEqual([{ value: 3, attributes: {} }]);
      expect(first.get('cortex.degradation.level_changes')).toEqual([
        {
          value: 1,
          attributes: {
            'cortex.level.from': 'healthy',
            'cortex.level.to': 'critical',
            'cortex.cause': 'computed',
          },
        },
      ]);
      expect(first.get('cortex.degradation.shed')).toEqual([
        {
          value: 2,
          attributes: { 'cortex.tier': 'normal', 'cortex.level': 'critical', 'cortex.reason': 'acceptance' },
        },
        {
          value: 1,
          attributes: {
            'cortex.tier': 'premium',
            'cortex.level': 'critical',
            'cortex.reason': 'concurrency_limit',
          },
        },
      ]);
      expect(first.get('cortex.degradation.cache_lookups')).toEqual([
        { value: 2, attributes: { 'cortex.result': 'hit' } },
        { value: 1, attributes: { 'cortex.result': 'miss' } },
      ]);
      level = 'healthy';
      expect((await points()).get('cortex.degradation.level')).toEqual([{ value: 0, attributes: {} }]);
      // Once the module is destroyed its manager is no longer read (the last value may linger).
      listener.onModuleDestroy();
      level = 'emergency';
      expect((await points()).get('cortex.degradation.level')).not.toContainEqual({
        value: 4,
        attributes: {},
      });
    } finally {
      await provider.shutdown();
      metrics.disable();
    }
  });
});
