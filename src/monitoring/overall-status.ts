import type { CortexConfig } from '../config/config.schema';

/** The `status` of GET /health (CONTRACT §4). */
export type OverallStatus = 'healthy' | 'warning' | 'degraded' | 'critical' | 'no_workers';

export interface StatusInputs {
  /** Deployments the last check found healthy, and all configured ones. */
  healthy: number;
  total: number;
  /** Severities of the alerts active now (acknowledged ones included: the condition still holds). */
  activeAlertSeverities: ReadonlyArray<'info' | 'warning' | 'critical'>;
}

/**
 * The overall status, first rule that holds wins (share = healthy / total deployments):
 *  1. no_workers: no deployment is healthy (or none is configured);
 *  2. critical:   share < degradation.degrade_below.critical      (default 0.2);
 *  3. degraded:   share < degradation.degrade_below.major_issues  (default 0.5);
 *  4. warning:    share < 1, or any active alert of severity warning or critical;
 *  5. healthy.
 * The thresholds are the degradation module's, so /health and the degradation level agree.
 */
export function overallStatus(
  inputs: StatusInputs,
  thresholds: CortexConfig['degradation']['degrade_below'],
): OverallStatus {
  const { healthy, total } = inputs;
  if (total <= 0 || healthy <= 0) return 'no_workers';
  const share = healthy / total;
  if (share < thresholds.critical) return 'critical';
  if (share < thresholds.major_issues) return 'degraded';
  if (share < 1 || inputs.activeAlertSeverities.some((severity) => severity !== 'info')) return 'warning';
  return 'healthy';
}

/** GET /health answers 503 for these, so a load balancer stops sending traffic. */
export function isUnavailableStatus(status: OverallStatus): boolean {
  return status === 'critical' || status === 'no_workers';
}
