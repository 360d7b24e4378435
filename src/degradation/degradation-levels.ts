import type { DegradationLevel } from '../common/events';

/** The five levels, best first: a level's index is its severity. */
export const DEGRADATION_LEVELS: readonly DegradationLevel[] = [
  'healthy',
  'minor_issues',
  'major_issues',
  'critical',
  'emergency',
];

/** The degraded levels, the keys of `degrade_below` and `recover_above`. */
export type DegradedLevel = Exclude<DegradationLevel, 'healthy'>;
export type LevelThresholds = Readonly<Record<DegradedLevel, number>>;

export interface HysteresisThresholds {
  degradeBelow: LevelThresholds;
  recoverAbove: LevelThresholds;
}

/** 0 for healthy up to 4 for emergency. */
export function severityOf(level: DegradationLevel): number {
  return DEGRADATION_LEVELS.indexOf(level);
}

/**
 * The level a healthy share calls for on the way down: the worst level L whose `degrade_below[L]`
 * the share is strictly below. Emergency alone compares with <=, so that its default threshold of
 * 0.0 means "no healthy deployment at all" (a share can never be below 0).
 */
export function degradedLevelFor(share: number, degradeBelow: LevelThresholds): DegradationLevel {
  if (share <= degradeBelow.emergency) return 'emergency';
  for (const level of ['critical', 'major_issues', 'minor_issues'] as const) {
    if (share < degradeBelow[level]) return level;
  }
  return 'healthy';
}

/**
 * The next level after a health check, with hysteresis:
 * - worse: when the share calls for a worse level than the current one (degradedLevelFor), the
 *   level drops there at once, skipping levels if need be;
 * - better: a level L is left upwards only when the share is >= `recover_above[L]`; the climb goes
 *   on level by level while each level's recover_above is met, and never past what the share calls
 *   for on the way down. So one check may go straight from critical to healthy (share 1.0), while a
 *   share between degrade_below[L] and recover_above[L] keeps the level where it is.
 * For a given current level the result never gets worse as the share grows (monotonic), and it
 * always lies between degradedLevelFor(share) and the current level.
 */
export function nextLevel(
  current: DegradationLevel,
  share: number,
  thresholds: HysteresisThresholds,
): DegradationLevel {
  const floor = severityOf(degradedLevelFor(share, thresholds.degradeBelow));
  let severity = severityOf(current);
  if (floor >= severity) return DEGRADATION_LEVELS[floor];
  while (severity > floor) {
    const level = DEGRADATION_LEVELS[severity] as DegradedLevel;
    if (share < thresholds.recoverAbove[level]) break;
    severity--;
  }
  return DEGRADATION_LEVELS[severity];
}
