/** The plain-JSON form of an OutcomeWindow, kept in breaker snapshots. */
export interface OutcomeWindowSnapshot {
  bucketMs: number;
  /** Absolute number (epoch ms / bucketMs) of the newest bucket; -1 before the first outcome. */
  head: number;
  calls: number[];
  failures: number[];
}

/**
 * Call and failure counts over a sliding time window, kept in a fixed ring of time buckets so that
 * recording an outcome never allocates. Buckets are 1 s like resilience4j's time-based window, but
 * there are never fewer than 10 nor more than 60 of them, so short test windows stay precise and long
 * windows stay small. The window covers the current (partial) bucket and the full ones before it.
 */
export class OutcomeWindow {
  readonly bucketMs: number;
  /** Outcomes and failures currently inside the window. */
  total = 0;
  failed = 0;
  private readonly calls: number[];
  private readonly failures: number[];
  private head = -1;
  private index = 0;

  constructor(windowMs: number) {
    this.bucketMs = Math.max(1, Math.ceil(windowMs / 60), Math.min(1000, Math.ceil(windowMs / 10)));
    const size = Math.max(1, Math.ceil(windowMs / this.bucketMs));
    this.calls = new Array<number>(size).fill(0);
    this.failures = new Array<number>(size).fill(0);
  }

  /** Counts one outcome at `now`; returns true when the window moved to a new bucket. */
  record(now: number, failure: boolean): boolean {
    const moved = this.advance(now);
    this.calls[this.index]++;
    this.total++;
    if (failure) {
      this.failures[this.index]++;
      this.failed++;
    }
    return moved;
  }

  /** Drops the buckets that fell out of the window by `now`; returns true when the head moved. */
  advance(now: number): boolean {
    const bucket = Math.floor(now / this.bucketMs);
    const gap = bucket - this.head;
    // A clock that steps back records into the newest bucket rather than rewriting history.
    if (gap <= 0) return false;
    const size = this.calls.length;
    if (gap >= size) {
      if (this.total > 0) this.clear();
    } else {
      for (let step = 1; step <= gap; step++) {
        const slot = (this.head + step) % size;
        this.total -= this.calls[slot];
        this.failed -= this.failures[slot];
        this.calls[slot] = 0;
        this.failures[slot] = 0;
      }
    }
    this.head = bucket;
    this.index = bucket % size;
    return true;
  }

  clear(): void {
    this.calls.fill(0);
    this.failures.fill(0);
    this.total = 0;
    this.failed = 0;
  }

  snapshot(): OutcomeWindowSnapshot {
    return {
      bucketMs: this.bucketMs,
      head: this.head,
      calls: this.calls.slice(),
      failures: this.failures.slice(),
    };
  }

  /** Takes the counts of a snapshot taken with the same geometry; anything else starts empty. */
  restore(snapshot: OutcomeWindowSnapshot): void {
    this.clear();
    const size = this.calls.length;
    if (
      snapshot.bucketMs !== this.bucketMs ||
      snapshot.calls.length !== size ||
      snapshot.failures.length !== size
    ) {
      return;
    }
    for (let slot = 0; slot < size; slot++) {
      this.calls[slot] = snapshot.calls[slot];
      this.failures[slot] = snapshot.failures[slot];
      this.total += snapshot.calls[slot];
      this.failed += snapshot.failures[slot];
    }
    this.head = snapshot.head;
    this.index = snapshot.head < 0 ? 0 : snapshot.head % size;
  }
}
