import type { Clock } from '../common/clock';
import type { RandomSource } from '../common/random';

/**
 * Gradual return of traffic to a deployment that just recovered: a cold or barely healed
 * upstream that gets its full share at once tends to fall over again (the flapping of S5/S7).
 * The share walks through `steps`, equally spaced over `window_ms`, then the ramp ends.
 */

export interface RampSettings {
  /** Shares of traffic in order, e.g. [0.1, 0.25, 0.5, 1]. */
  steps: number[];
  /** Whole ramp duration; the steps are equally spaced over it. */
  window_ms: number;
}

export class RecoveryRamp {
  private startedAt: number | undefined;

  constructor(
    private readonly settings: RampSettings,
    private readonly clock: Clock,
  ) {}

  /** Starts the ramp from its first step, restarting one already running. */
  start(): void {
    this.startedAt = this.clock.monotonic();
  }

  /** Share of traffic admitted now; 1 when no ramp is running. */
  share(): number {
    const elapsed = this.elapsed();
    if (elapsed === undefined) return 1;
    const { steps, window_ms: window } = this.settings;
    return steps[Math.floor((elapsed * steps.length) / window)];
  }

  /** Admit with probability share(). */
  admit(random: RandomSource): boolean {
    const share = this.share();
    // Decided without drawing, so a finished ramp leaves the random sequence untouched.
    if (share >= 1) return true;
    if (share <= 0) return false;
    return random.next() < share;
  }

  /** True while a ramp is running. */
  get active(): boolean {
    return this.elapsed() !== undefined;
  }

  /** Time into the running ramp, or undefined (and the ramp forgotten) once it has ended. */
  private elapsed(): number | undefined {
    if (this.startedAt === undefined) return undefined;
    const elapsed = Math.max(0, this.clock.monotonic() - this.startedAt);
    if (elapsed >= this.settings.window_ms || this.settings.steps.length === 0) {
      this.startedAt = undefined;
      return undefined;
    }
    return elapsed;
  }
}
