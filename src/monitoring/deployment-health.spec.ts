import { FailureClass } from '../common/failure-class';
import { assessDeployment, type DeploymentInputs, toDeploymentHealth } from './deployment-health';

describe(assessDeployment.name, () => {
  const base: DeploymentInputs = {
    provider: 'groq',
    model: 'llama',
    circuitState: 'closed',
    chatAllows: true,
    keyAvailable: true,
    probe: { kind: 'reachable', latencyMs: 12 },
    traffic: { calls: 0 },
  };
  const verdict = (overrides: Partial<DeploymentInputs>) => {
    const check = assessDeployment({ ...base, ...overrides });
    return { healthy: check.healthy, reason: check.reason };
  };
  const failedProbe = { kind: 'failed', failureClass: FailureClass.ServiceUnavailable } as const;

  it('healthy: breaker admits, a key is usable, the probe reached the upstream', () => {
    expect(assessDeployment(base)).toEqual({
      name: 'groq/llama',
      provider: 'groq',
      model: 'llama',
      healthy: true,
      circuitState: 'closed',
      keyAvailable: true,
      probe: { kind: 'reachable', latencyMs: 12 },
      probeLatencyMs: 12,
      trafficCalls: 0,
    });
  });

  it('an open chat circuit or no usable key is unhealthy whatever the probe says', () => {
    expect(verdict({ chatAllows: false, circuitState: 'open' })).toEqual({
      healthy: false,
      reason: 'circuit_open',
    });
    expect(verdict({ chatAllows: false, circuitState: 'half_open' })).toEqual({
      healthy: false,
      reason: 'circuit_half_open',
    });
    expect(verdict({ keyAvailable: false })).toEqual({ healthy: false, reason: 'no_key' });
  });

  it('a failed probe is unhealthy unless enough recent traffic succeeds', () => {
    expect(verdict({ probe: failedProbe })).toEqual({
      healthy: false,
      reason: 'probe_failed:service_unavailable',
    });
    // 4 calls are too few to outweigh the probe; 5 at 100% are enough; 90% is the bar.
    expect(verdict({ probe: failedProbe, traffic: { calls: 4, successRate: 1 } }).healthy).toBe(false);
    expect(verdict({ probe: failedProbe, traffic: { calls: 5, successRate: 1 } })).toEqual({
      healthy: true,
      reason: undefined,
    });
    expect(verdict({ probe: failedProbe, traffic: { calls: 20, successRate: 0.9 } }).healthy).toBe(true);
    expect(verdict({ probe: failedProbe, traffic: { calls: 20, successRate: 0.85 } }).healthy).toBe(false);
  });

  it('real traffic failing most of the time outweighs a passing probe', () => {
    expect(verdict({ traffic: { calls: 10, successRate: 0.4 } })).toEqual({
      healthy: false,
      reason: 'low_success_rate',
    });
    expect(verdict({ traffic: { calls: 4, successRate: 0 } }).healthy).toBe(true);
    expect(verdict({ traffic: { calls: 10, successRate: 0.5 } }).healthy).toBe(true);
  });

  it('a skipped probe (probe breaker open) counts as not reached', () => {
    expect(verdict({ probe: { kind: 'skipped', reason: 'probe_circuit_open' } })).toEqual({
      healthy: false,
      reason: 'probe_circuit_open',
    });
  });

  it('the event view carries only the DeploymentHealth fields', () => {
    const check = assessDeployment({
      ...base,
      probe: failedProbe,
      traffic: { calls: 3, successRate: 0.6667, p95LatencyMs: 250 },
    });
    expect(toDeploymentHealth(check)).toEqual({
      name: 'groq/llama',
      provider: 'groq',
      model: 'llama',
      healthy: false,
      reason: 'probe_failed:service_unavailable',
      successRate: 0.6667,
      p95LatencyMs: 250,
    });
  });
});
