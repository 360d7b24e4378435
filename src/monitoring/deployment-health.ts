import type { DeploymentHealth } from '../common/events';
import { FailureClass } from '../common/failure-class';
import type { BreakerState } from '../resilience/circuit-breaker';

/**
 * How one deployment's health is decided: the active signal (a cheap probe) fused with the passive
 * one (real traffic through the chat breaker's window). Pure, so every rule is unit-tested.
 */

/** Real traffic is trusted only once the breaker window holds this many calls. */
export const MIN_TRAFFIC_CALLS = 5;
/** At or above this success rate, real traffic outweighs a failing probe (e.g. a flaky model-list route). */
export const HIGH_SUCCESS_RATE = 0.9;
/** Below this success rate, real traffic says unhealthy even when the probe passes. */
export const LOW_SUCCESS_RATE = 0.5;

/** What the probe found. `reachable` is false only for the upstream's own faults (5xx, timeout, network, parse). */
export type ProbeOutcome =
  | { kind: 'reachable'; latencyMs: number; failureClass?: FailureClass }
  | { kind: 'failed'; failureClass: FailureClass; latencyMs?: number }
  /** No probe was sent: its probe breaker is open, no key is usable, or the check was aborted. */
  | { kind: 'skipped'; reason: 'probe_circuit_open' | 'probe_no_key' | 'probe_aborted' };

export interface TrafficSignal {
  /** Calls in the chat breaker's window (successes and breaker-counted failures). */
  calls: number;
  /** 1 - failure rate over those calls; undefined without calls. */
  successRate?: number;
  p95LatencyMs?: number;
}

export interface DeploymentInputs {
  provider: string;
  model: string;
  /** The chat breaker's state and whether it would grant a permit now. */
  circuitState: BreakerState;
  chatAllows: boolean;
  /** A key of the provider is usable now (always true for keyless providers). */
  keyAvailable: boolean;
  probe: ProbeOutcome;
  traffic: TrafficSignal;
}

/** A deployment as one scheduled check saw it: the event's fields plus what the detailed /health shows. */
export interface DeploymentCheck extends DeploymentHealth {
  circuitState: BreakerState;
  keyAvailable: boolean;
  probe: ProbeOutcome;
  /** Calls the passive signal is based on. */
  trafficCalls: number;
}

/**
 * Healthy = the chat breaker admits requests AND a key is usable AND (the probe reached the upstream
 * OR recent real traffic succeeds at >= HIGH_SUCCESS_RATE). Real traffic below LOW_SUCCESS_RATE
 * makes it unhealthy whatever the probe says: a model list can answer while completions fail.
 */
export function assessDeployment(inputs: DeploymentInputs): DeploymentCheck {
  const { provider, model, traffic, probe } = inputs;
  const base: DeploymentCheck = {
    name: `${provider}/${model}`,
    provider,
    model,
    healthy: false,
    circuitState: inputs.circuitState,
    keyAvailable: inputs.keyAvailable,
    probe,
    trafficCalls: traffic.calls,
  };
  if (probe.kind !== 'skipped' && probe.latencyMs !== undefined) base.probeLatencyMs = probe.latencyMs;
  if (traffic.successRate !== undefined) base.successRate = traffic.successRate;
  if (traffic.p95LatencyMs !== undefined) base.p95LatencyMs = traffic.p95LatencyMs;

  const unhealthy = (reason: string): DeploymentCheck => ({ ...base, reason });
  if (!inputs.chatAllows) return unhealthy(`circuit_${inputs.circuitState}`);
  if (!inputs.keyAvailable) return unhealthy('no_key');
  const trusted = traffic.calls >= MIN_TRAFFIC_CALLS && traffic.successRate !== undefined;
  if (trusted && traffic.successRate! < LOW_SUCCESS_RATE) return unhealthy('low_success_rate');
  if (probe.kind === 'reachable') return { ...base, healthy: true };
  if (trusted && traffic.successRate! >= HIGH_SUCCESS_RATE) return { ...base, healthy: true };
  return unhealthy(probe.kind === 'failed' ? `probe_failed:${probe.failureClass}` : probe.reason);
}

/** The event's view of a check: only the fields of DeploymentHealth. */
export function toDeploymentHealth(check: DeploymentCheck): DeploymentHealth {
  const health: DeploymentHealth = {
    name: check.name,
    provider: check.provider,
    model: check.model,
    healthy: check.healthy,
  };
  if (check.reason !== undefined) health.reason = check.reason;
  if (check.probeLatencyMs !== undefined) health.probeLatencyMs = check.probeLatencyMs;
  if (check.successRate !== undefined) health.successRate = check.successRate;
  if (check.p95LatencyMs !== undefined) health.p95LatencyMs = check.p95LatencyMs;
  return health;
}
