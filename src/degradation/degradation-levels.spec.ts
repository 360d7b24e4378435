import type { DegradationLevel } from '../common/events';
import { parseConfig } from '../config/config.loader';
import {
  DEGRADATION_LEVELS,
  degradedLevelFor,
  type HysteresisThresholds,
  nextLevel,
  severityOf,
} from './degradation-levels';

/** The thresholds exactly as the schema defaults them (CONTRACT §1), not copied by hand. */
function defaultThresholds(): HysteresisThresholds {
  const config = parseConfig(
    {
      providers: { p: { type: 'ollama', base_url: 'http://127.0.0.1:1' } },
      models: { m: [{ provider: 'p', model: 'x' }] },
    },
    {},
  );
  return { degradeBelow: config.degradation.degrade_below, recoverAbove: config.degradation.recover_above };
}

describe(degradedLevelFor.name, () => {
  const { degradeBelow } = defaultThresholds();

  it('uses the contract defaults 0.8 / 0.5 / 0.2 / 0.0 and 0.9 / 0.7 / 0.4 / 0.3', () => {
    expect(defaultThresholds()).toEqual({
      degradeBelow: { minor_issues: 0.8, major_issues: 0.5, critical: 0.2, emergency: 0 },
      recoverAbove: { minor_issues: 0.9, major_issues: 0.7, critical: 0.4, emergency: 0.3 },
    });
  });

  it.each<[number, DegradationLevel]>([
    [4, 'healthy'],
    [3, 'minor_issues'], // 0.75 < 0.8
    [2, 'minor_issues'], // 0.5 is not < 0.5
    [1, 'major_issues'], // 0.25 < 0.5, not < 0.2
    [0, 'emergency'], // 0 <= 0.0
  ])('with the defaults, %i of 4 deployments healthy is %s', (healthy, level) => {
    expect(degradedLevelFor(healthy / 4, degradeBelow)).toBe(level);
  });

  it.each<[number, DegradationLevel]>([
    [1, 'healthy'],
    [0.8, 'healthy'],
    [0.79, 'minor_issues'],
    [0.5, 'minor_issues'],
    [0.49, 'major_issues'],
    [0.2, 'major_issues'],
    [0.19, 'critical'],
    [0.01, 'critical'],
    [0, 'emergency'],
  ])('is strictly below each threshold: share %f is %s', (share, level) => {
    expect(degradedLevelFor(share, degradeBelow)).toBe(level);
  });

  it('compares emergency with <=, so a raised emergency threshold includes its own value', () => {
    expect(degradedLevelFor(0.1, { ...degradeBelow, emergency: 0.1 })).toBe('emergency');
    expect(degradedLevelFor(0.11, { ...degradeBelow, emergency: 0.1 })).toBe('critical');
  });

  it('follows the test config of the end-to-end run: degrade_below.critical 0.3 makes 1 of 4 critical', () => {
    expect(degradedLevelFor(0.25, { ...degradeBelow, critical: 0.3 })).toBe('critical');
  });
});

describe(nextLevel.name, () => {
  const thresholds = defaultThresholds();

  it.each<[DegradationLevel, number, DegradationLevel]>([
    // Down: at once, to the worst level the share calls for, skipping levels.
    ['healthy', 0.75, 'minor_issues'],
    ['healthy', 0.25, 'major_issues'],
    ['healthy', 0.1, 'critical'],
    ['healthy', 0, 'emergency'],
    ['minor_issues', 0.4, 'major_issues'],
    ['major_issues', 0.1, 'critical'],
    ['critical', 0, 'emergency'],
    // Hysteresis: between degrade_below[L] and recover_above[L] the level stays.
    ['minor_issues', 0.8, 'minor_issues'],
    ['minor_issues', 0.89, 'minor_issues'],
    ['major_issues', 0.5, 'major_issues'],
    ['major_issues', 0.69, 'major_issues'],
    ['critical', 0.2, 'critical'],
    ['critical', 0.39, 'critical'],
    ['emergency', 0.01, 'emergency'],
    ['emergency', 0.29, 'emergency'],
    // Up: a level is left when the share reaches its recover_above, and the climb goes on while
    // each next level's recover_above is met too.
    ['minor_issues', 0.9, 'healthy'],
    ['major_issues', 0.7, 'minor_issues'],
    ['major_issues', 0.9, 'healthy'],
    ['critical', 0.4, 'major_issues'],
    ['critical', 0.7, 'minor_issues'],
    ['critical', 1, 'healthy'],
    ['emergency', 0.3, 'critical'],
    ['emergency', 0.4, 'major_issues'],
    ['emergency', 1, 'healthy'],
    // Steady.
    ['healthy', 1, 'healthy'],
    ['healthy', 0.8, 'healthy'],
  ])('from %s at share %f goes to %s', (current, share, expected) => {
    expect(nextLevel(current, share, thresholds)).toBe(expected);
  });

  it('walks the end-to-end scenario: 4/4, 1/4, 2/4, 3/4, 4/4 healthy with degrade_below.critical 0.3', () => {
    const scenario = { ...thresholds, degradeBelow: { ...thresholds.degradeBelow, critical: 0.3 } };
    const levels: DegradationLevel[] = [];
    let level: DegradationLevel = 'healthy';
    for (const healthy of [4, 1, 2, 3, 4]) {
      level = nextLevel(level, healthy / 4, scenario);
      levels.push(level);
    }
    expect(levels).toEqual(['healthy', 'critical', 'major_issues', 'minor_issues', 'healthy']);
  });

  it('never climbs past what the share calls for, even with recover_above set below degrade_below', () => {
    const inverted = { ...thresholds, recoverAbove: { ...thresholds.recoverAbove, major_issues: 0.3 } };
    // 0.4 meets major's (odd) recover_above, but 0.4 < degrade_below.major_issues keeps it major.
    expect(nextLevel('major_issues', 0.4, inverted)).toBe('major_issues');
  });

  it('is monotonic: from any level, a higher share never gives a worse level, and the result lies between the floor and the current level', () => {
    for (const current of DEGRADATION_LEVELS) {
      let previous = Number.POSITIVE_INFINITY;
      for (let percent = 0; percent <= 100; percent++) {
        const share = percent / 100;
        const severity = severityOf(nextLevel(current, share, thresholds));
        expect(severity).toBeLessThanOrEqual(previous);
        const floor = severityOf(degradedLevelFor(share, thresholds.degradeBelow));
        expect(severity).toBeGreaterThanOrEqual(Math.min(floor, severityOf(current)));
        expect(severity).toBeLessThanOrEqual(Math.max(floor, severityOf(current)));
        previous = severity;
      }
    }
  });

  it('is stable: a second check at the same share never moves the level again', () => {
    for (const current of DEGRADATION_LEVELS) {
      for (let percent = 0; percent <= 100; percent++) {
        const once = nextLevel(current, percent / 100, thresholds);
        expect(nextLevel(once, percent / 100, thresholds)).toBe(once);
      }
    }
  });
});
