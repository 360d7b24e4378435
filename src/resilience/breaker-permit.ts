import { FailureClass } from '../common/failure-class';

/** Which failure classes count against the breaker: the upstream's own faults, nothing else. */
export function countsForBreaker(failureClass: FailureClass): boolean {
  switch (failureClass) {
    case FailureClass.ServiceUnavailable:
    case FailureClass.Timeout:
    case FailureClass.NetworkError:
    case FailureClass.ParseError:
      return true;
    default:
      return false;
  }
}

/** One admitted call. Exactly one of its methods takes effect; later calls are ignored. */
export interface BreakerPermit {
  /** True when this permit is a half-open probe. */
  readonly probe: boolean;
  success(): void;
  /** Classes that do not count against the breaker are treated as release(). */
  failure(failureClass: FailureClass): void;
  /** No outcome (client gone, deadline): frees a probe slot without counting. */
  release(): void;
}

export type PermitOutcome = 'success' | 'failure' | 'release';
/** How a permit reports back to its breaker: a function, so the breaker exposes no outcome method. */
export type SettlePermit = (
  permit: Permit,
  outcome: PermitOutcome,
  failureClass: FailureClass | undefined,
) => void;

/**
 * Created by CircuitBreaker only: a small object per call, the one allocation of the hot path.
 * `generation` ties its outcome to the breaker state it was admitted in.
 */
export class Permit implements BreakerPermit {
  settled = false;

  constructor(
    private readonly settle: SettlePermit,
    readonly generation: number,
    readonly probe: boolean,
    readonly slot: number,
    readonly startedAt: number,
  ) {}

  success(): void {
    if (this.settled) return;
    this.settled = true;
    this.settle(this, 'success', undefined);
  }

  failure(failureClass: FailureClass): void {
    if (this.settled) return;
    this.settled = true;
    this.settle(this, countsForBreaker(failureClass) ? 'failure' : 'release', failureClass);
  }

  release(): void {
    if (this.settled) return;
    this.settled = true;
    this.settle(this, 'release', undefined);
  }
}
