/**
 * Recent latencies of one deployment in a ring buffer: the hedging delay (p95) and the ordering
 * of chains by speed read it on every request, so quantiles come from a sorted copy that is
 * refreshed at most every few records rather than sorted per call.
 */

const DEFAULT_MIN_SAMPLES = 20;

export class LatencyTracker {
  private readonly samples: Float64Array;
  private readonly sorted: Float64Array;
  private readonly resortEvery: number;
  private head = 0;
  private size = 0;
  private sum = 0;
  private sortedSize = 0;
  private sinceSort = 0;

  constructor(capacity = 256) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
    }
    this.samples = new Float64Array(capacity);
    this.sorted = new Float64Array(capacity);
    this.resortEvery = Math.max(1, Math.floor(capacity / 16));
  }

  /** Samples held, at most the capacity. */
  get count(): number {
    return this.size;
  }

  /** Adds one latency in ms; negative or non-finite values are ignored. */
  record(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) return;
    const capacity = this.samples.length;
    if (this.size === capacity) this.sum -= this.samples[this.head];
    else this.size++;
    this.samples[this.head] = ms;
    this.sum += ms;
    this.head = (this.head + 1) % capacity;
    // Re-add from scratch once per lap so the running sum cannot drift.
    if (this.head === 0) this.sum = this.samples.reduce((total, v) => total + v, 0);
    this.sinceSort++;
  }

  /** Quantile 0..1 of the recent samples (nearest rank), undefined with fewer than `minSamples`. */
  quantile(q: number, minSamples = DEFAULT_MIN_SAMPLES): number | undefined {
    if (this.size === 0 || this.size < minSamples) return undefined;
    // A small sorted copy goes stale faster, relatively: refresh it sooner.
    if (this.sortedSize === 0 || this.sinceSort >= Math.min(this.resortEvery, this.sortedSize)) {
      this.resort();
    }
    const rank = Math.ceil(Math.min(1, Math.max(0, q)) * this.sortedSize);
    return this.sorted[Math.max(0, rank - 1)];
  }

  /** Mean of the recent samples, undefined when there are none. */
  mean(): number | undefined {
    return this.size === 0 ? undefined : this.sum / this.size;
  }

  private resort(): void {
    // Until the ring first fills, the samples are the prefix [0, size); afterwards all of it.
    this.sorted.set(this.samples.subarray(0, this.size));
    this.sorted.subarray(0, this.size).sort();
    this.sortedSize = this.size;
    this.sinceSort = 0;
  }
}
