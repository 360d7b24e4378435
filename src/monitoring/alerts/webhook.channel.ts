import { Logger } from '@nestjs/common';
import type { RandomSource } from '../../common/random';
import { Backoff } from '../../resilience/backoff';
import { sleep } from '../../resilience/sleep';
import { errorMessage } from '../with-timeout';
import type { AlertChannel, AlertNotification } from './alert.types';
import { slackMessage } from './slack-message';

export interface WebhookOptions {
  /** Tries per notification, the first included. */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** Per try, the whole exchange. */
  timeoutMs: number;
  /** Notifications waiting behind a slow receiver; beyond, the oldest is dropped. */
  maxQueued: number;
}

const DEFAULTS: WebhookOptions = {
  attempts: 4,
  baseDelayMs: 1000,
  maxDelayMs: 30_000,
  timeoutMs: 5000,
  maxQueued: 100,
};

type PostOutcome = { kind: 'delivered' } | { kind: 'retry' | 'rejected'; reason: string };

/**
 * POSTs each notification as a Slack-compatible JSON body. Delivery runs in the background, one
 * notification at a time (a receiver sees a raise before its resolve), each retried with exponential
 * backoff and equal jitter on network errors, timeouts, 408, 429 and 5xx. A receiver that stays broken
 * costs a log line per notification: deliver() never blocks and nothing here throws.
 */
export class WebhookChannel implements AlertChannel {
  readonly name = 'webhook';
  private readonly options: WebhookOptions;
  private readonly queue: AlertNotification[] = [];
  private readonly closing = new AbortController();
  private draining: Promise<void> | undefined;
  /** The URL without path or query: webhook URLs carry their secret in the path (Slack), so logs show only this. */
  private readonly target: string;

  constructor(
    private readonly url: string,
    private readonly random: RandomSource,
    options: Partial<WebhookOptions> = {},
    private readonly logger: Pick<Logger, 'warn' | 'error'> = new Logger('AlertWebhook'),
  ) {
    this.options = { ...DEFAULTS, ...options };
    this.target = new URL(url).origin;
  }

  deliver(notification: AlertNotification): void {
    if (this.closing.signal.aborted) return;
    if (this.queue.length >= this.options.maxQueued) {
      const dropped = this.queue.shift()!;
      this.logger.warn(
        `webhook ${this.target} is behind: dropped the ${dropped.kind} notice of ${dropped.alert.id}`,
      );
    }
    this.queue.push(notification);
    this.draining ??= this.drain().finally(() => {
      this.draining = undefined;
    });
  }

  /** Resolves once every queued notification was delivered or given up on. */
  idle(): Promise<void> {
    return this.draining ?? Promise.resolve();
  }

  /** Shutdown: the queue is dropped and a retry in progress stops. */
  async close(): Promise<void> {
    this.closing.abort(new Error('alert webhook closed'));
    this.queue.length = 0;
    await this.idle();
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0 && !this.closing.signal.aborted) {
      await this.send(this.queue.shift()!);
    }
  }

  private async send(notification: AlertNotification): Promise<void> {
    const body = JSON.stringify(slackMessage(notification));
    const backoff = new Backoff(
      {
        max_attempts: this.options.attempts,
        base_delay_ms: this.options.baseDelayMs,
        max_delay_ms: this.options.maxDelayMs,
        multiplier: 2,
        jitter: 'equal',
      },
      this.random,
    );
    const what = `the ${notification.kind} notice of ${notification.alert.id}`;
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.post(body);
      if (outcome.kind === 'delivered') return;
      if (this.closing.signal.aborted) return;
      if (outcome.kind === 'rejected' || attempt >= this.options.attempts) {
        this.logger.error(
          `webhook ${this.target} did not take ${what} after ${attempt} tries: ${outcome.reason}`,
        );
        return;
      }
      try {
        await sleep(backoff.next(), this.closing.signal);
      } catch {
        return;
      }
    }
  }

  private async post(body: string): Promise<PostOutcome> {
    try {
      const response = await fetch(this.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        signal: AbortSignal.any([AbortSignal.timeout(this.options.timeoutMs), this.closing.signal]),
      });
      // The answer's body is not needed; reading it to the end frees the connection.
      await response.arrayBuffer().catch(() => undefined);
      if (response.ok) return { kind: 'delivered' };
      const status = response.status;
      const retryable = status === 408 || status === 429 || status >= 500;
      return { kind: retryable ? 'retry' : 'rejected', reason: `HTTP ${status}` };
    } catch (error) {
      return { kind: 'retry', reason: errorMessage(error) };
    }
  }
}
