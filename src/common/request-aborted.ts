/** The client closed its connection: nothing can be answered any more, and nothing counts as a failure. */
export class ClientDisconnectedError extends Error {
  constructor() {
    super('the client closed the connection');
    this.name = 'ClientDisconnectedError';
  }
}

/** The request's overall deadline (`resilience.request_timeout_ms`) passed. */
export class DeadlineExceededError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`the request did not complete within request_timeout_ms (${timeoutMs} ms)`);
    this.name = 'DeadlineExceededError';
  }
}

/** A hedged attempt whose twin answered first: it is cancelled, which is neither success nor failure. */
export class HedgeLostError extends Error {
  /**
   * @param slowerThanMs set on a primary that lost: all that is known of its latency is that it did
   *   not answer within the hedge delay (what it had run when its twin won includes the twin's time).
   */
  constructor(readonly slowerThanMs?: number) {
    super('another attempt of this request answered first');
    this.name = 'HedgeLostError';
  }
}
