import type { OverallStatus } from './overall-status';

/** One scheduled check, as kept in the history. */
export interface HealthHistoryEntry {
  at: number;
  status: OverallStatus;
  healthy: number;
  total: number;
  healthyShare: number;
  durationMs: number;
  /** Names of the deployments found unhealthy, with why. */
  unhealthy: Record<string, string>;
}

/** The last `capacity` checks (health.history_size) in a ring: the oldest is overwritten, nothing grows. */
export class HealthHistory {
  private readonly ring: (HealthHistoryEntry | undefined)[];
  private next = 0;
  private size = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`history capacity must be a positive integer, got ${capacity}`);
    }
    this.ring = new Array<HealthHistoryEntry | undefined>(capacity).fill(undefined);
  }

  get length(): number {
    return this.size;
  }

  push(entry: HealthHistoryEntry): void {
    this.ring[this.next] = entry;
    this.next = (this.next + 1) % this.capacity;
    if (this.size < this.capacity) this.size++;
  }

  /** Oldest first. */
  entries(): HealthHistoryEntry[] {
    const out: HealthHistoryEntry[] = [];
    const start = (this.next - this.size + this.capacity) % this.capacity;
    for (let i = 0; i < this.size; i++) out.push(this.ring[(start + i) % this.capacity]!);
    return out;
  }

  latest(): HealthHistoryEntry | undefined {
    return this.size === 0 ? undefined : this.ring[(this.next - 1 + this.capacity) % this.capacity];
  }
}
