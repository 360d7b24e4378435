import { Injectable } from '@nestjs/common';

/**
 * The client requests the gateway holds right now, counted from admission to the close of their
 * response (a stream counts until its last byte or its client leaves). limit_concurrent_requests
 * turns requests away beyond `degradation.max_concurrent_requests` of them. Counting runs at every
 * level, so the count is already true at the moment the cap starts to apply.
 */
@Injectable()
export class ConcurrencyCap {
  private held = 0;

  get inFlight(): number {
    return this.held;
  }

  /** Counts one request; the returned release may be called any number of times, it counts once. */
  acquire(): () => void {
    this.held++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.held--;
    };
  }
}
