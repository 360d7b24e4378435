import { Inject, Injectable } from '@nestjs/common';
import { Clock } from '../common/clock';
import { FailureClass } from '../common/failure-class';
import { GatewayError } from '../common/gateway-error';
import { ClientDisconnectedError, DeadlineExceededError } from '../common/request-aborted';
import type { RequestContext } from '../common/request-context';
import { UpstreamError } from '../common/upstream-error';
import { CORTEX_CONFIG } from '../config/config.module';
import type { CortexConfig, DeploymentConfig } from '../config/config.schema';
import {
  chunkHasContent,
  type ChatCompletion,
  type ChatCompletionChunk,
  type ChatRequest,
} from '../providers/chat.types';
import { maskKey } from '../providers/key-rotation';
import { ModelCatalog } from '../providers/model-catalog.service';
import { ProviderBusyError } from '../providers/provider-adapter';
import { ProviderRegistry } from '../providers/provider-registry.service';
import type { AttemptRecord } from './attempt-record';
import { RequestDeadline } from './request-deadline';

export interface RoutedCompletion {
  completion: ChatCompletion;
  provider: string;
  model: string;
  attempts: AttemptRecord[];
}

export interface RoutedStream {
  provider: string;
  model: string;
  attempts: AttemptRecord[];
  /** The chunks read before the commit point (a role-only chunk, then the first content). */
  head: ChatCompletionChunk[];
  /** The rest of the upstream stream; failures from here on can no longer fall back. */
  tail: AsyncIterator<ChatCompletionChunk>;
  /** Call when the stream is over, however it ended. */
  release(): void;
}

/** Thrown when every deployment failed; carries the attempts for the caller's headers. */
export class ChainFailedError extends GatewayError {
  constructor(
    status: number,
    type: ConstructorParameters<typeof GatewayError>[1],
    message: string,
    readonly attempts: AttemptRecord[],
    init: ConstructorParameters<typeof GatewayError>[3],
  ) {
    super(status, type, message, init);
  }
}

/**
 * The fallback chain: the one place that decides which deployment serves a request. It walks the
 * model's deployments in order, moving on after a retryable failure and answering a bad request at
 * once. The resilience engine extends this class's decisions; adapters never fall back themselves.
 */
@Injectable()
export class RequestRouter {
  constructor(
    private readonly registry: ProviderRegistry,
    private readonly catalog: ModelCatalog,
    @Inject(CORTEX_CONFIG) private readonly config: CortexConfig,
    private readonly clock: Clock,
  ) {}

  async complete(request: ChatRequest, context: RequestContext): Promise<RoutedCompletion> {
    const chain = this.catalog.resolve(request.model);
    const deadline = this.startDeadline(context);
    const attempts: AttemptRecord[] = [];
    try {
      for (const deployment of chain) {
        const started = this.clock.monotonic();
        const apiKey = this.registry.keyRotation(deployment.provider).take();
        try {
          const completion = await this.registry.adapter(deployment.provider).complete(request, {
            model: deployment.model,
            apiKey,
            signal: deadline.signal,
            includeUsage: false,
          });
          attempts.push(this.record(deployment, apiKey, started));
          return { completion, provider: deployment.provider, model: completion.model, attempts };
        } catch (error) {
          this.handleFailure(error, deployment, apiKey, started, attempts);
        }
      }
      throw this.exhausted(request.model, attempts);
    } finally {
      deadline.dispose();
    }
  }

  /**
   * Opens a stream on the first deployment that delivers content. Failures before that point fall
   * back to the next deployment; the client has seen nothing yet.
   */
  async openStream(request: ChatRequest, context: RequestContext): Promise<RoutedStream> {
    const chain = this.catalog.resolve(request.model);
    const deadline = this.startDeadline(context);
    const attempts: AttemptRecord[] = [];
    const includeUsage = request.stream_options?.include_usage === true;
    try {
      for (const deployment of chain) {
        const started = this.clock.monotonic();
        const apiKey = this.registry.keyRotation(deployment.provider).take();
        const adapter = this.registry.adapter(deployment.provider);
        const iterator = adapter
          .stream(request, { model: deployment.model, apiKey, signal: deadline.signal, includeUsage })
          [Symbol.asyncIterator]();
        const head: ChatCompletionChunk[] = [];
        try {
          for (;;) {
            const next = await iterator.next();
            if (!next.done) head.push(next.value);
            if (next.done || chunkHasContent(next.value)) {
              deadline.commit();
              attempts.push(this.record(deployment, apiKey, started));
              const model = head[0]?.model ?? deployment.model;
              return {
                provider: deployment.provider,
                model,
                attempts,
                head,
                tail: iterator,
                release: () => deadline.dispose(),
              };
            }
          }
        } catch (error) {
          await iterator.return?.(undefined);
          this.handleFailure(error, deployment, apiKey, started, attempts);
        }
      }
      throw this.exhausted(request.model, attempts);
    } catch (error) {
      deadline.dispose();
      throw error;
    }
  }

  private startDeadline(context: RequestContext): RequestDeadline {
    return new RequestDeadline(context.signal, this.config.resilience.request_timeout_ms, this.clock.now());
  }

  /** Records a failed attempt; rethrows what must end the request now (client gone, deadline, bad request). */
  private handleFailure(
    error: unknown,
    deployment: DeploymentConfig,
    apiKey: string | undefined,
    started: number,
    attempts: AttemptRecord[],
  ): void {
    if (error instanceof ClientDisconnectedError) throw error;
    if (error instanceof DeadlineExceededError) {
      attempts.push(
        this.record(deployment, apiKey, started, FailureClass.DeadlineExceeded, undefined, error.message),
      );
      throw new ChainFailedError(504, 'timeout_error', `Request timed out: ${error.message}.`, attempts, {
        code: 'deadline_exceeded',
        failureClass: FailureClass.DeadlineExceeded,
      });
    }
    if (!(error instanceof UpstreamError)) throw error;
    const attempt = this.record(deployment, apiKey, started, error.failureClass, error.status, error.message);
    // A provider at its max_concurrency was skipped without an upstream call.
    if (error instanceof ProviderBusyError) attempt.skipped = true;
    attempts.push(attempt);
    if (error.failureClass === FailureClass.BadRequest) {
      throw new ChainFailedError(
        400,
        'invalid_request_error',
        error.upstreamMessage ?? error.message,
        attempts,
        {
          code: error.upstreamCode ?? 'upstream_bad_request',
          param: error.param ?? null,
          failureClass: FailureClass.BadRequest,
        },
      );
    }
  }

  private exhausted(model: string, attempts: AttemptRecord[]): GatewayError {
    const last = attempts.at(-1);
    if (attempts.every((attempt) => attempt.skipped)) {
      return new ChainFailedError(
        503,
        'service_unavailable',
        `No provider is available for model \`${model}\` right now.`,
        attempts,
        {
          code: 'no_provider_available',
          retryAfterSeconds: 1,
          failureClass: last?.failureClass ?? FailureClass.ServiceUnavailable,
        },
      );
    }
    const detail = last ? ` Last error (${last.provider}, ${last.failureClass}): ${last.message}` : '';
    return new ChainFailedError(
      502,
      'upstream_error',
      `Every provider for model \`${model}\` failed.${detail}`,
      attempts,
      {
        code: 'upstream_failed',
        failureClass: last?.failureClass,
      },
    );
  }

  private record(
    deployment: DeploymentConfig,
    apiKey: string | undefined,
    started: number,
    failureClass?: FailureClass,
    status?: number,
    message?: string,
  ): AttemptRecord {
    return {
      provider: deployment.provider,
      model: deployment.model,
      keySuffix: apiKey === undefined ? undefined : maskKey(apiKey),
      outcome: failureClass ? 'failure' : 'success',
      failureClass,
      status,
      durationMs: Math.round((this.clock.monotonic() - started) * 100) / 100,
      message,
    };
  }
}
