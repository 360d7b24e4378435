import { FakeClock } from '../common/fake-clock';
import { RandomSource, SeededRandom } from '../common/random';
import { RecoveryRamp } from './recovery-ramp';

describe(RecoveryRamp.name, () => {
  const settings = { steps: [0.1, 0.25, 0.5, 1], window_ms: 8_000 };

  it('is inactive with a share of 1 before it starts', () => {
    const ramp = new RecoveryRamp(settings, new FakeClock());
    expect(ramp.active).toBe(false);
    expect(ramp.share()).toBe(1);
  });

  it('walks through the steps at equally spaced boundaries, then ends at 1', () => {
    const clock = new FakeClock();
    const ramp = new RecoveryRamp(settings, clock);
    ramp.start();
    expect(ramp.active).toBe(true);
    expect(ramp.share()).toBe(0.1);
    clock.advance(1_999);
    expect(ramp.share()).toBe(0.1);
    clock.advance(1);
    expect(ramp.share()).toBe(0.25);
    clock.advance(2_000);
    expect(ramp.share()).toBe(0.5);
    clock.advance(2_000);
    expect(ramp.share()).toBe(1);
    expect(ramp.active).toBe(true);
    clock.advance(1_999);
    expect(ramp.active).toBe(true);
    clock.advance(1);
    expect(ramp.share()).toBe(1);
    expect(ramp.active).toBe(false);
  });

  it('ends at 1 even when the last step is below 1', () => {
    const clock = new FakeClock();
    const ramp = new RecoveryRamp({ steps: [0.2, 0.6], window_ms: 1_000 }, clock);
    ramp.start();
    clock.advance(500);
    expect(ramp.share()).toBe(0.6);
    clock.advance(500);
    expect(ramp.share()).toBe(1);
    expect(ramp.active).toBe(false);
  });

  it('admits each step within 2% of its share over 10,000 decisions', () => {
    const clock = new FakeClock();
    const ramp = new RecoveryRamp(settings, clock);
    const random = new SeededRandom(2024);
    ramp.start();
    for (const share of settings.steps) {
      let admitted = 0;
      for (let i = 0; i < 10_000; i++) if (ramp.admit(random)) admitted++;
      expect(Math.abs(admitted / 10_000 - share)).toBeLessThanOrEqual(0.02);
      clock.advance(2_000);
    }
  });

  it('admits without drawing a random number when no ramp is running or the share is 1', () => {
    const random = new (class extends RandomSource {
      draws = 0;
      next(): number {
        this.draws++;
        return 0.5;
      }
    })();
    const clock = new FakeClock();
    const ramp = new RecoveryRamp(settings, clock);
    expect(ramp.admit(random)).toBe(true);
    ramp.start();
    clock.advance(6_000);
    expect(ramp.admit(random)).toBe(true);
    expect(random.draws).toBe(0);
  });

  it('rejects everything at a share of 0', () => {
    const ramp = new RecoveryRamp({ steps: [0, 1], window_ms: 1_000 }, new FakeClock());
    ramp.start();
    const random = new SeededRandom(1);
    for (let i = 0; i < 100; i++) expect(ramp.admit(random)).toBe(false);
  });

  it('restarts from the first step', () => {
    const clock = new FakeClock();
    const ramp = new RecoveryRamp(settings, clock);
    ramp.start();
    clock.advance(5_000);
    expect(ramp.share()).toBe(0.5);
    ramp.start();
    expect(ramp.share()).toBe(0.1);
    clock.advance(10_000);
    expect(ramp.active).toBe(false);
    ramp.start();
    expect(ramp.active).toBe(true);
    expect(ramp.share()).toBe(0.1);
  });

  it('never runs with no steps', () => {
    const ramp = new RecoveryRamp({ steps: [], window_ms: 1_000 }, new FakeClock());
    ramp.start();
    expect(ramp.active).toBe(false);
    expect(ramp.share()).toBe(1);
  });
});
