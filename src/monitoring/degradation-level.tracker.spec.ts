import type { ModuleRef } from '@nestjs/core';
import type { DegradationManager } from '../degradation/degradation-manager.service';
import { DegradationLevelTracker } from './degradation-level.tracker';

describe(DegradationLevelTracker.name, () => {
  const moduleRef = (manager?: Pick<DegradationManager, 'level'>) =>
    ({
      get: () => {
        if (!manager) throw new Error('DegradationManager is not in this application');
        return manager;
      },
    }) as unknown as ModuleRef;

  it('asks the degradation manager when the application has one', () => {
    const tracker = new DegradationLevelTracker(moduleRef({ level: () => 'critical' }));
    tracker.onApplicationBootstrap();
    tracker.onLevelChanged({ from: 'healthy', to: 'minor_issues', cause: 'computed', at: 0 });
    expect(tracker.level).toBe('critical');
  });

  it('without one, reports the level last announced, healthy until then', () => {
    const tracker = new DegradationLevelTracker(moduleRef());
    tracker.onApplicationBootstrap();
    expect(tracker.level).toBe('healthy');
    tracker.onLevelChanged({ from: 'healthy', to: 'major_issues', cause: 'forced', at: 0 });
    expect(tracker.level).toBe('major_issues');
  });
});
