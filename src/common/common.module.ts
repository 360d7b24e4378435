import { Global, Module } from '@nestjs/common';
import { Clock, SystemClock } from './clock';
import { CortexEventBus } from './events';
import { MathRandomSource, RandomSource } from './random';
import { TrafficGauge } from './traffic-gauge';

/** Cross-cutting services every module may inject: clock, random source (both replaced in tests), event bus. */
@Global()
@Module({
  providers: [
    { provide: Clock, useClass: SystemClock },
    { provide: RandomSource, useClass: MathRandomSource },
    CortexEventBus,
    TrafficGauge,
  ],
  exports: [Clock, RandomSource, CortexEventBus, TrafficGauge],
})
export class CommonModule {}
