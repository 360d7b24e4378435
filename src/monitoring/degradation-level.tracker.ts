import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { OnEvent } from '@nestjs/event-emitter';
import { CortexEvent, type DegradationLevel, type DegradationLevelChangedEvent } from '../common/events';
import { DegradationManager } from '../degradation/degradation-manager.service';

/**
 * The degradation level for GET /health. When the application has the degradation module, its
 * manager is asked (it applies a forced level's expiry the moment it is read); it is looked up
 * rather than imported as a module, so monitoring runs without it, on the level the last
 * degradation.level_changed event announced (`healthy` until one arrives).
 */
@Injectable()
export class DegradationLevelTracker implements OnApplicationBootstrap {
  private manager: DegradationManager | undefined;
  private announced: DegradationLevel = 'healthy';

  constructor(private readonly moduleRef: ModuleRef) {}

  onApplicationBootstrap(): void {
    try {
      this.manager = this.moduleRef.get(DegradationManager, { strict: false });
    } catch {
      this.manager = undefined;
    }
  }

  get level(): DegradationLevel {
    return this.manager?.level() ?? this.announced;
  }

  @OnEvent(CortexEvent.DegradationLevelChanged)
  onLevelChanged(event: DegradationLevelChangedEvent): void {
    this.announced = event.to;
  }
}
