import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { ScheduleModule } from '@nestjs/schedule';
import { CommonModule } from './common/common.module';
import { OpenAiExceptionFilter } from './gateway/openai-exception.filter';
import { ConfigModule } from './config/config.module';
import type { CortexConfig } from './config/config.schema';
import { DeadLetterModule } from './dead-letter/dead-letter.module';
import { GatewayModule } from './gateway/gateway.module';
import { MonitoringModule } from './monitoring/monitoring.module';

/** The root module: configuration first, then each concern in its own module. */
@Module({})
export class AppModule {
  static forRoot(config: CortexConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        EventEmitterModule.forRoot({ wildcard: false, maxListeners: 50 }),
        CommonModule,
        ScheduleModule.forRoot(),
        GatewayModule,
        DeadLetterModule,
        MonitoringModule,
      ],
      providers: [{ provide: APP_FILTER, useClass: OpenAiExceptionFilter }],
    };
  }
}
