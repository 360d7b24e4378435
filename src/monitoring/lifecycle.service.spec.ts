import { Logger } from '@nestjs/common';
import { FakeClock } from '../common/fake-clock';
import { LifecycleService } from './lifecycle.service';

describe(LifecycleService.name, () => {
  beforeEach(() => jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined));
  afterEach(() => jest.restoreAllMocks());

  it('starting -> ready after the first check -> draining, never back', () => {
    const clock = new FakeClock();
    const lifecycle = new LifecycleService(clock);
    expect(lifecycle.state).toBe('starting');
    clock.advance(2500);
    lifecycle.markChecked();
    expect(lifecycle.state).toBe('ready');
    expect(lifecycle.uptimeSeconds()).toBe(2);
    lifecycle.markDraining();
    expect(lifecycle.state).toBe('draining');
    lifecycle.markChecked();
    expect(lifecycle.state).toBe('draining');
  });

  it('a shutdown before the first check ends never turns ready; closing the app marks draining', () => {
    const early = new LifecycleService(new FakeClock());
    early.markDraining();
    early.markChecked();
    expect(early.state).toBe('draining');

    const closing = new LifecycleService(new FakeClock());
    closing.markChecked();
    closing.onModuleDestroy();
    expect(closing.state).toBe('draining');
  });
});
