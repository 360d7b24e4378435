import type { CortexConfig } from '../../config/config.schema';
import type { AlertSeverity } from './alert.types';

/** The rules of `alerts.rules` (CONTRACT §1) plus key_disabled, and one built-in rule. */
export type ConfiguredRule = keyof CortexConfig['alerts']['rules'];
export type AlertRule = ConfiguredRule | typeof DLQ_STORE_UNAVAILABLE;

/**
 * Built in, not configurable (the config schema has no entry for it): the dead letter store failed
 * a write or its check. Failed requests are then not kept, which an operator must know.
 */
export const DLQ_STORE_UNAVAILABLE = 'dlq_store_unavailable';
const BUILT_IN = { severity: 'critical', cooldown_ms: 300_000 } as const;

export interface AlertRuleSettings {
  severity: AlertSeverity;
  cooldownMs: number;
  /** high_dlq_size: records in the queue. */
  threshold?: number;
  /** high_memory_usage: resident set size. */
  thresholdBytes?: number;
}

const DEFAULT_DLQ_THRESHOLD = 50;
const DEFAULT_MEMORY_THRESHOLD_BYTES = 1_000_000_000;

/**
 * Each rule's settings, read from that rule's own entry of `alerts.rules` (severity included: the
 * seed read it from another map).
 */
export function resolveRuleSettings(config: CortexConfig): Record<AlertRule, AlertRuleSettings> {
  const rules = config.alerts.rules;
  const settings = (rule: ConfiguredRule): AlertRuleSettings => {
    const entry = rules[rule];
    const out: AlertRuleSettings = { severity: entry.severity, cooldownMs: entry.cooldown_ms };
    if (entry.threshold !== undefined) out.threshold = entry.threshold;
    if (entry.threshold_bytes !== undefined) out.thresholdBytes = entry.threshold_bytes;
    return out;
  };
  return {
    no_available_workers: settings('no_available_workers'),
    circuit_breaker_open: settings('circuit_breaker_open'),
    high_dlq_size: { threshold: DEFAULT_DLQ_THRESHOLD, ...settings('high_dlq_size') },
    high_memory_usage: {
      thresholdBytes: DEFAULT_MEMORY_THRESHOLD_BYTES,
      ...settings('high_memory_usage'),
    },
    key_disabled: settings('key_disabled'),
    [DLQ_STORE_UNAVAILABLE]: { severity: BUILT_IN.severity, cooldownMs: BUILT_IN.cooldown_ms },
  };
}

/**
 * Rules whose condition is re-checked on every health check repeat their notification once the
 * cooldown has passed. key_disabled does not: it is raised once per disabled key (its default
 * cooldown is 0, which would otherwise notify on every check).
 */
export function remindsWhileActive(rule: AlertRule): boolean {
  return rule !== 'key_disabled';
}
