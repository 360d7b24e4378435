import { FailureClass } from '../common/failure-class';
import type { AttemptRecord } from '../resilience/attempt-record';
import type { DlqRecord } from './dlq-record';

/** Test data for the dead letter queue specs (the store contract and anything that needs a record). */
export const DLQ_T0 = 1_700_000_000_000;

export function dlqAttempt(provider: string, overrides: Partial<AttemptRecord> = {}): AttemptRecord {
  return {
    provider,
    model: `${provider}-model`,
    keySuffix: 'abcd',
    outcome: 'failure',
    failureClass: FailureClass.ServiceUnavailable,
    status: 503,
    durationMs: 120,
    waitedMs: 0,
    message: 'upstream unavailable',
    ...overrides,
  };
}

/** A pending record as the gateway writes it, failed on openai then anthropic unless overridden. */
export function dlqRecord(id: string, overrides: Partial<DlqRecord> = {}): DlqRecord {
  return {
    id,
    createdAt: DLQ_T0,
    requestId: `req-${id}`,
    traceId: `trace-${id}`,
    client: { name: 'team-search', tier: 'premium' },
    request: {
      model: 'chat',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: `Question ${id}` },
      ],
      params: { temperature: 0.2, max_tokens: 256 },
      stream: false,
    },
    failureClass: FailureClass.ServiceUnavailable,
    status: 503,
    message: 'All providers failed',
    attempts: [dlqAttempt('openai'), dlqAttempt('anthropic', { waitedMs: 250 })],
    state: 'pending',
    replayCount: 0,
    replays: [],
    ...overrides,
  };
}
