import { Global, Module } from '@nestjs/common';
import { Clock, SystemClock } from './clock';
import { CortexEventBus } from './events';
import { MathRandomSource, RandomSource } from './random';

/** Cross-cutting services every module may inject: clock, random source (both replaced in tests), event bus. */
@Global()
@Module({
  providers: [
    { provide: Clock, useClass: SystemClock },
    { provide: RandomSource, useClass: MathRandomSource },
    CortexEventBus,
  ],
  exports: [Clock, RandomSource, CortexEventBus],
})
export class CommonModule {}
