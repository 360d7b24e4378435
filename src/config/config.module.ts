import { type DynamicModule, Global, Module } from '@nestjs/common';
import type { CortexConfig } from './config.schema';

/** Injection token of the validated, typed configuration. */
export const CORTEX_CONFIG = Symbol('CORTEX_CONFIG');

/** Makes the configuration injectable everywhere with `@Inject(CORTEX_CONFIG)`. */
@Global()
@Module({})
export class ConfigModule {
  static forRoot(config: CortexConfig): DynamicModule {
    return {
      module: ConfigModule,
      providers: [{ provide: CORTEX_CONFIG, useValue: config }],
      exports: [CORTEX_CONFIG],
    };
  }
}
