import type { Clock } from '../common/clock';
import type { FailureClass } from '../common/failure-class';
import { maskKey } from '../providers/mask-key';
import { KeyWaitQueue } from './key-wait-queue';
import { type KeyState, type KeyStateStore, type KeyStatus, keyStateId } from './key-state.store';

/**
 * A provider's API keys with a state per key: requests spread round-robin over the healthy
 * ones, a rate-limited or out-of-quota key rests until its reset, and a rejected key is disabled
 * until an operator enables it. Raw keys never leave this class except through take(): events,
 * snapshots and the store see only maskKey() suffixes and keyStateId() hashes.
 *
 * State changes are saved to the store; the success and failure counters ride along with them
 * rather than being written on every request.
 */

export type { KeyState, KeyStatus } from './key-state.store';

export interface KeyEvent {
  provider: string;
  /** maskKey() of the key. */
  keySuffix: string;
  status: KeyStatus;
  reason?: FailureClass;
  until?: number;
  /** Epoch ms of the change. */
  at: number;
}

interface KeyEntry {
  readonly key: string;
  readonly id: string;
  readonly suffix: string;
  readonly state: KeyState;
}

export class KeyPool {
  /** True for a provider without keys (e.g. local Ollama): take() then returns undefined but the provider is usable. */
  readonly keyless: boolean;
  private readonly entries: KeyEntry[] = [];
  private readonly byKey = new Map<string, KeyEntry>();
  private readonly queue: KeyWaitQueue;
  private cursor = 0;

  constructor(
    readonly provider: string,
    keys: readonly string[],
    private readonly clock: Clock,
    private readonly onChange?: (event: KeyEvent) => void,
    private readonly store?: KeyStateStore,
  ) {
    const now = clock.now();
    for (const key of keys) {
      // A key listed twice would get twice the traffic and two states for one quota.
      if (key.length === 0 || this.byKey.has(key)) continue;
      const id = keyStateId(key);
      const saved = store?.load(provider, id);
      const state: KeyState = saved
        ? { ...saved }
        : { status: 'healthy', since: now, successes: 0, failures: 0 };
      const entry: KeyEntry = { key, id, suffix: maskKey(key), state };
      this.entries.push(entry);
      this.byKey.set(key, entry);
    }
    this.keyless = this.entries.length === 0;
    this.queue = new KeyWaitQueue(
      clock,
      () => this.usableCount(),
      () => this.nextRestEnd(),
    );
  }

  /**
   * Waits for a key when every key rests (the caller checked the wait fits its deadline and nothing
   * else can serve). Waiters are served in order, one per key that comes back.
   */
  waitForKey(signal: AbortSignal): Promise<void> {
    return this.queue.wait(signal);
  }

  /**
   * Is it worth queueing for a key? Only while there are fewer waiters than keys that will come back:
   * each of those waiters is served at the next return; anyone later would wait a whole extra cycle
   * and is better told to come back (503 with Retry-After).
   */
  canQueue(): boolean {
    let returning = 0;
    for (const entry of this.entries) if (entry.state.status !== 'disabled') returning++;
    return this.queue.length < returning;
  }

  /** Next usable key, round-robin over healthy keys, skipping `exclude` (keys this request already tried); undefined when none is usable. */
  take(exclude?: ReadonlySet<string>): string | undefined {
    const count = this.entries.length;
    if (count === 0) return undefined;
    const now = this.clock.now();
    for (let i = 0; i < count; i++) {
      const index = (this.cursor + i) % count;
      const entry = this.entries[index];
      if (exclude?.has(entry.key) || !this.usable(entry, now)) continue;
      this.cursor = (index + 1) % count;
      return entry.key;
    }
    return undefined;
  }

  /** Is a key usable now that this request has not tried yet? Unlike take(), moves nothing. */
  hasUntried(exclude: ReadonlySet<string>): boolean {
    const now = this.clock.now();
    for (const entry of this.entries) if (!exclude.has(entry.key) && this.usable(entry, now)) return true;
    return false;
  }

  /** Is any key usable now (or keyless)? */
  available(): boolean {
    if (this.keyless) return true;
    const now = this.clock.now();
    for (const entry of this.entries) if (this.usable(entry, now)) return true;
    return false;
  }

  /** Earliest time a resting key becomes usable, when no key is usable now; undefined if one is, or if none will be by itself (all disabled, or keyless). */
  nextAvailableAt(): number | undefined {
    const now = this.clock.now();
    let earliest: number | undefined;
    for (const entry of this.entries) {
      if (this.usable(entry, now)) return undefined;
      const { status, until } = entry.state;
      if (status === 'resting' && until !== undefined && (earliest === undefined || until < earliest)) {
        earliest = until;
      }
    }
    return earliest;
  }

  /** Rests a key until `untilMs` (rate_limited, quota_exceeded); a later until extends a rest without a new event. */
  rest(key: string, untilMs: number, reason: FailureClass): void {
    const entry = this.byKey.get(key);
    const now = this.clock.now();
    // A rest that is already over changes nothing; a disabled key stays disabled.
    if (!entry || entry.state.status === 'disabled' || untilMs <= now) return;
    const state = entry.state;
    if (state.status === 'resting' && state.until !== undefined && state.until > now) {
      if (untilMs > state.until) {
        state.until = untilMs;
        state.reason = reason;
        this.store?.save(this.provider, entry.id, state);
      }
      return;
    }
    this.transition(entry, 'resting', now, reason, untilMs);
  }

  /** Never uses the key again until enable() (auth_error). */
  disable(key: string, reason: FailureClass): void {
    const entry = this.byKey.get(key);
    if (!entry || entry.state.status === 'disabled') return;
    this.transition(entry, 'disabled', this.clock.now(), reason, undefined);
  }

  /** Makes a resting or disabled key healthy again (operator action). */
  enable(key: string): void {
    const entry = this.byKey.get(key);
    if (!entry || entry.state.status === 'healthy') return;
    this.transition(entry, 'healthy', this.clock.now(), undefined, undefined);
    this.queue.wake();
  }

  /** Counts a success on the key; undefined (keyless) is ignored. */
  recordSuccess(key: string | undefined): void {
    const entry = key === undefined ? undefined : this.byKey.get(key);
    if (entry) entry.state.successes++;
  }

  /** Counts a failure on the key; undefined (keyless) is ignored. */
  recordFailure(key: string | undefined): void {
    const entry = key === undefined ? undefined : this.byKey.get(key);
    if (entry) entry.state.failures++;
  }

  /** For admin views: each key's state with only maskKey(key), never the raw key. */
  snapshot(): Array<{ keySuffix: string } & KeyState> {
    const now = this.clock.now();
    return this.entries.map((entry) => {
      this.usable(entry, now);
      return { keySuffix: entry.suffix, ...entry.state };
    });
  }

  /** Requests are queued for this pool's keys: newcomers line up behind them. */
  get hasWaiters(): boolean {
    return this.queue.length > 0;
  }

  /** The earliest end of a current rest, whether or not another key is usable now. */
  private nextRestEnd(): number | undefined {
    const now = this.clock.now();
    let earliest: number | undefined;
    for (const { state } of this.entries) {
      if (
        state.status === 'resting' &&
        state.until !== undefined &&
        state.until > now &&
        (earliest === undefined || state.until < earliest)
      ) {
        earliest = state.until;
      }
    }
    return earliest;
  }

  private usableCount(): number {
    if (this.keyless) return Number.POSITIVE_INFINITY;
    const now = this.clock.now();
    let count = 0;
    for (const entry of this.entries) if (this.usable(entry, now)) count++;
    return count;
  }

  /** Healthy, or resting with its time up, in which case it becomes healthy here. */
  private usable(entry: KeyEntry, now: number): boolean {
    const { status, until } = entry.state;
    if (status === 'healthy') return true;
    if (status === 'disabled' || (until !== undefined && until > now)) return false;
    this.transition(entry, 'healthy', now, undefined, undefined);
    return true;
  }

  private transition(
    entry: KeyEntry,
    status: KeyStatus,
    now: number,
    reason: FailureClass | undefined,
    until: number | undefined,
  ): void {
    const state = entry.state;
    state.status = status;
    state.since = now;
    state.reason = reason;
    state.until = until;
    this.store?.save(this.provider, entry.id, state);
    if (!this.onChange) return;
    const event: KeyEvent = { provider: this.provider, keySuffix: entry.suffix, status, at: now };
    if (reason !== undefined) event.reason = reason;
    if (until !== undefined) event.until = until;
    this.onChange(event);
  }
}
