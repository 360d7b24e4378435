import type { DeploymentCheck } from './deployment-health';
import type { SystemMetricsSnapshot } from './system-metrics';

/** Everything one scheduled health check found; the latest is what /health and readiness read. */
export interface HealthSnapshot {
  /** Epoch ms when the check started. */
  at: number;
  deployments: DeploymentCheck[];
  healthy: number;
  total: number;
  /** healthy / total, 0 when no deployment is configured. */
  healthyShare: number;
  durationMs: number;
  system: SystemMetricsSnapshot;
  dlq: DlqFinding;
}

export interface DlqFinding {
  size: number;
  store: string;
  /** Set when the store did not answer its check. */
  error?: string;
}
