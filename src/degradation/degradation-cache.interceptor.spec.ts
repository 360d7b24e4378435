import { Readable } from 'node:stream';
import { type CallHandler, type ExecutionContext, Logger } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { firstValueFrom, of } from 'rxjs';
import { CortexEvent, CortexEventBus, type RequestShedEvent } from '../common/events';
import { FakeClock } from '../common/fake-clock';
import { GatewayError } from '../common/gateway-error';
import { parseConfig } from '../config/config.loader';
import type { ChatCompletion } from '../providers/chat.types';
import { RoutingAdjustments } from '../resilience/routing-adjustments';
import { DegradationCacheInterceptor } from './degradation-cache.interceptor';
import { DegradationManager } from './degradation-manager.service';
import { DegradationMetricsListener } from './degradation-metrics.listener';
import { ResponseCache } from './response-cache';

const COMPLETION: ChatCompletion = {
  id: 'chatcmpl-1',
  object: 'chat.completion',
  created: 1,
  model: 'gpt-4o-mini',
  choices: [
    {
      index: 0,
      message: { role: 'assistant', content: 'cached words' },
      logprobs: null,
      finish_reason: 'stop',
    },
  ],
};
const DETERMINISTIC = { model: 'chat', messages: [{ role: 'user', content: 'hi' }], temperature: 0 };

function setup() {
  const config = parseConfig(
    {
      providers: { p: { type: 'ollama', base_url: 'http://127.0.0.1:1' } },
      models: { m: [{ provider: 'p', model: 'x' }] },
      degradation: { retry_after_seconds: 9 },
    },
    {},
  );
  const clock = new FakeClock();
  const emitter = new EventEmitter2();
  const shed: RequestShedEvent[] = [];
  emitter.on(CortexEvent.RequestShed, (event: RequestShedEvent) => shed.push(event));
  const bus = new CortexEventBus(emitter);
  const manager = new DegradationManager(config, clock, bus, new RoutingAdjustments());
  const cache = new ResponseCache(config, clock);
  const metrics = new DegradationMetricsListener(manager);
  const interceptor = new DegradationCacheInterceptor(manager, cache, metrics, bus, clock, config);
  /** One request through the interceptor; the handler answers `answer` and counts its calls. */
  const run = async (body: unknown, answer: unknown = COMPLETION) => {
    const headers: Record<string, string> = { 'x-cortex-provider': 'a', 'x-cortex-model': 'gpt-4o-mini' };
    const reply = {
      header: (name: string, value: string) => (headers[name] = value),
      getHeader: (name: string) => headers[name],
    };
    const context = {
      switchToHttp: () => ({
        getRequest: () => ({ body, cortexClient: { name: 'team-search', tier: 'premium' } }),
        getResponse: () => reply,
      }),
    } as unknown as ExecutionContext;
    const handler = { calls: 0, handle: () => (handler.calls++, of(answer)) };
    const value = await firstValueFrom(interceptor.intercept(context, handler as CallHandler));
    return { value, headers, upstreamCalls: handler.calls };
  };
  return { manager, cache, shed, run, clock };
}

describe(DegradationCacheInterceptor.name, () => {
  beforeEach(() => jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined));
  afterEach(() => jest.restoreAllMocks());

  it('stores answers while healthy but serves them only from major_issues on', async () => {
    const { manager, cache, run } = setup();
    expect((await run(DETERMINISTIC)).upstreamCalls).toBe(1);
    expect(cache.size).toBe(1);
    expect((await run(DETERMINISTIC)).upstreamCalls).toBe(1);
    manager.force('major_issues', 60);
    const hit = await run(DETERMINISTIC);
    expect(hit).toEqual({
      value: COMPLETION,
      upstreamCalls: 0,
      headers: {
        'x-cortex-provider': 'a',
        'x-cortex-model': 'gpt-4o-mini',
        'x-cortex-cache': 'hit',
        'x-cortex-attempts': '0',
      },
    });
  });

  it('stores neither streams nor requests that are not deterministic', async () => {
    const { cache, run } = setup();
    await run({ ...DETERMINISTIC, stream: true }, Readable.from([]));
    await run({ ...DETERMINISTIC, temperature: 0.7 });
    await run(DETERMINISTIC, { object: 'something.else' });
    expect(cache.size).toBe(0);
  });

  it('sheds every request without a cached answer under return_cached_only, and serves the cached ones', async () => {
    const { manager, shed, run, clock } = setup();
    await run(DETERMINISTIC);
    manager.force('emergency', 60);
    expect((await run(DETERMINISTIC)).headers['x-cortex-cache']).toBe('hit');
    const error = await run({ ...DETERMINISTIC, temperature: 1 }).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(GatewayError);
    expect([(error as GatewayError).status, (error as GatewayError).retryAfterSeconds]).toEqual([503, 9]);
    expect(shed).toEqual([{ tier: 'premium', level: 'emergency', reason: 'cache_only', at: clock.now() }]);
  });
});
