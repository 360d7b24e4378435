import { Injectable } from '@nestjs/common';
import { Clock } from '../common/clock';
import { CortexEvent, CortexEventBus, type RequestOutcomeEvent } from '../common/events';
import type { GatewayError } from '../common/gateway-error';
import { isObject } from '../providers/json';
import type { RequestContext } from '../common/request-context';
import type { AttemptRecord } from './attempt-record';

/** What is known of a finished client request. */
export interface FinishedRequest {
  context: RequestContext;
  model: string;
  stream: boolean;
  attempts: readonly AttemptRecord[];
  startedAt: number;
  traceId?: string;
  /** The request body as validated (for the dead letter queue on failure). */
  body?: unknown;
}

/**
 * Announces how each client request ended. A failure is awaited (listeners such as the dead letter
 * queue finish their work, and may stamp `error.dlqId`, before the response is written).
 */
@Injectable()
export class RequestOutcomes {
  constructor(
    private readonly bus: CortexEventBus,
    private readonly clock: Clock,
  ) {}

  succeeded(request: FinishedRequest): void {
    if (!this.bus.hasListeners(CortexEvent.RequestSucceeded)) return;
    this.bus.emit(CortexEvent.RequestSucceeded, this.payload(request));
  }

  async failed(request: FinishedRequest, error: GatewayError): Promise<void> {
    await this.bus.emitAsync(CortexEvent.RequestFailed, {
      ...this.payload(request),
      failureClass: error.failureClass,
      status: error.status,
      message: error.message,
      error,
      request: isObject(request.body) ? request.body : undefined,
    });
  }

  private payload(request: FinishedRequest): RequestOutcomeEvent {
    return {
      requestId: request.context.requestId,
      traceId: request.traceId,
      model: request.model,
      stream: request.stream,
      client: request.context.client,
      attempts: request.attempts,
      durationMs: Math.round((this.clock.monotonic() - request.startedAt) * 100) / 100,
    };
  }
}
