import { Clock } from './clock';

/** A clock that moves only when told to: every timing rule is tested on it. */
export class FakeClock extends Clock {
  constructor(private current = 1_700_000_000_000) {
    super();
  }

  now(): number {
    return this.current;
  }

  monotonic(): number {
    return this.current;
  }

  advance(ms: number): void {
    this.current += ms;
  }

  set(epochMs: number): void {
    this.current = epochMs;
  }
}
