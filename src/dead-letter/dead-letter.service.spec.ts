import { EventEmitter2 } from '@nestjs/event-emitter';
import { CortexEvent, CortexEventBus, type RequestOutcomeEvent } from '../common/events';
import { FakeClock } from '../common/fake-clock';
import { FailureClass } from '../common/failure-class';
import { GatewayError } from '../common/gateway-error';
import { parseConfig } from '../config/config.loader';
import { DeadLetterService } from './dead-letter.service';
import { MemoryDlqStore } from './memory.dlq-store';

const HOUR = 3_600_000;

describe(DeadLetterService.name, () => {
  const config = parseConfig(
    {
      providers: { a: { type: 'openai', base_url: 'http://127.0.0.1:9/v1' } },
      models: { chat: [{ provider: 'a', model: 'm' }] },
      dlq: { store: 'memory', max_size: 100, retention_hours: 24 },
    },
    {},
  );
  let clock: FakeClock;
  let emitter: EventEmitter2;
  let service: DeadLetterService;

  beforeEach(() => {
    clock = new FakeClock(10 * 24 * HOUR);
    emitter = new EventEmitter2();
    service = new DeadLetterService(
      new MemoryDlqStore({ clock }),
      config,
      clock,
      new CortexEventBus(emitter),
    );
  });

  function failed(failureClass: FailureClass | undefined, requestId = 'r1'): RequestOutcomeEvent {
    return {
      requestId,
      model: 'chat',
      stream: false,
      attempts: [{ provider: 'a', model: 'm', outcome: 'failure', failureClass, durationMs: 3, waitedMs: 0 }],
      durationMs: 5,
      failureClass,
      status: 502,
      message: 'Every provider failed',
      error: new GatewayError(502, 'upstream_error', 'Every provider failed', { failureClass }),
      request: { model: 'chat', messages: [{ role: 'user', content: 'hi' }], max_tokens: 5 },
    };
  }

  it('records a failure, stamps its id on the error, and announces it', async () => {
    const added: unknown[] = [];
    emitter.on(CortexEvent.DlqItemAdded, (event) => added.push(event));
    const event = failed(FailureClass.ServiceUnavailable);
    await service.onRequestFailed(event);
    expect(event.error!.dlqId).toMatch(/^dlq_/);
    const record = await service.get(event.error!.dlqId!);
    expect(record).toMatchObject({
      requestId: 'r1',
      failureClass: 'service_unavailable',
      request: {
        model: 'chat',
        messages: [{ role: 'user', content: 'hi' }],
        params: { max_tokens: 5 },
        stream: false,
      },
      state: 'pending',
    });
    expect(added).toEqual([
      { id: event.error!.dlqId, failureClass: 'service_unavailable', providers: ['a'], at: clock.now() },
    ]);
  });

  it.each([FailureClass.BadRequest, FailureClass.Shed, undefined])(
    'does not record %s',
    async (failureClass) => {
      const event = failed(failureClass);
      await service.onRequestFailed(event);
      expect(event.error!.dlqId).toBeUndefined();
      expect((await service.stats()).currentSize).toBe(0);
    },
  );

  it('expires records older than retention_hours when the hourly job runs (fake clock)', async () => {
    const expiredEvents: unknown[] = [];
    emitter.on(CortexEvent.DlqItemsExpired, (event) => expiredEvents.push(event));
    await service.onRequestFailed(failed(FailureClass.Timeout, 'old'));
    clock.advance(20 * HOUR);
    await service.onRequestFailed(failed(FailureClass.Timeout, 'young'));
    clock.advance(5 * HOUR);
    expect(await service.expireOld()).toBe(1);
    const left = await service.list({ limit: 10 });
    expect(left.items.map((item) => item.requestId)).toEqual(['young']);
    expect(expiredEvents).toEqual([{ count: 1, at: clock.now() }]);
    const stats = await service.stats();
    expect(stats).toMatchObject({ currentSize: 1, totalAdded: 2, totalExpired: 1 });
    clock.advance(20 * HOUR);
    expect(await service.expireOld()).toBe(1);
    expect((await service.stats()).currentSize).toBe(0);
  });

  it('keeps answering when the store throws: counted, announced, no id stamped', async () => {
    const failing = new MemoryDlqStore({ clock });
    failing.add = () => Promise.reject(new Error('disk full'));
    const broken = new DeadLetterService(failing, config, clock, new CortexEventBus(emitter));
    const writeFailed: unknown[] = [];
    emitter.on(CortexEvent.DlqWriteFailed, (event) => writeFailed.push(event));
    const event = failed(FailureClass.ServiceUnavailable);
    await expect(broken.onRequestFailed(event)).resolves.toBeUndefined();
    expect(event.error!.dlqId).toBeUndefined();
    expect(writeFailed).toEqual([{ requestId: 'r1', message: 'disk full', at: clock.now() }]);
    expect((await broken.stats()).writeFailures).toBe(1);
  });
});
