/** Time source, injected so every timing rule can be tested with a fake clock. */
export abstract class Clock {
  /** Epoch milliseconds. */
  abstract now(): number;
  /** A monotonic millisecond reading for measuring durations. */
  abstract monotonic(): number;
}

export class SystemClock extends Clock {
  now(): number {
    return Date.now();
  }
  monotonic(): number {
    return performance.now();
  }
}
