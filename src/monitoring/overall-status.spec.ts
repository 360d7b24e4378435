import { isUnavailableStatus, overallStatus, type StatusInputs } from './overall-status';

describe(overallStatus.name, () => {
  const thresholds = { minor_issues: 0.8, major_issues: 0.5, critical: 0.2, emergency: 0 };
  const status = (healthy: number, total: number, severities: StatusInputs['activeAlertSeverities'] = []) =>
    overallStatus({ healthy, total, activeAlertSeverities: severities }, thresholds);

  it.each([
    [0, 10, 'no_workers'],
    [0, 0, 'no_workers'],
    [1, 10, 'critical'], // 0.1 < 0.2
    [2, 10, 'degraded'], // exactly 0.2 is not below the critical threshold
    [4, 10, 'degraded'], // 0.4 < 0.5
    [5, 10, 'warning'], // exactly 0.5: not degraded, but not everything is healthy
    [9, 10, 'warning'],
    [10, 10, 'healthy'],
  ] as const)('%d of %d healthy deployments -> %s', (healthy, total, expected) => {
    expect(status(healthy, total)).toBe(expected);
  });

  it('an active warning or critical alert turns an all-healthy status into warning; info does not', () => {
    expect(status(3, 3, ['info'])).toBe('healthy');
    expect(status(3, 3, ['warning'])).toBe('warning');
    expect(status(3, 3, ['info', 'critical'])).toBe('warning');
  });

  it('alerts never make a worse share look better, nor a better one worse than warning', () => {
    expect(status(1, 10, ['critical'])).toBe('critical');
    expect(status(0, 3, [])).toBe('no_workers');
    expect(status(4, 10, ['critical'])).toBe('degraded');
  });

  it('follows the configured thresholds', () => {
    const strict = { ...thresholds, major_issues: 0.9, critical: 0.6 };
    const inputs = { healthy: 5, total: 10, activeAlertSeverities: [] };
    expect(overallStatus(inputs, strict)).toBe('critical');
    expect(overallStatus({ ...inputs, healthy: 8 }, strict)).toBe('degraded');
  });
});

describe(isUnavailableStatus.name, () => {
  it('answers 503 for critical and no_workers only', () => {
    expect(
      (['healthy', 'warning', 'degraded', 'critical', 'no_workers'] as const).filter(isUnavailableStatus),
    ).toEqual(['critical', 'no_workers']);
  });
});
