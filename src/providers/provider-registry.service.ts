import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { Clock } from '../common/clock';
import { CORTEX_CONFIG } from '../config/config.module';
import type { CortexConfig } from '../config/config.schema';
import { createCodec } from './codecs';
import { ProviderAdapter } from './provider-adapter';

/** One adapter (and one connection pool) per configured provider, built once at start-up. */
@Injectable()
export class ProviderRegistry implements OnApplicationShutdown {
  private readonly adapters = new Map<string, ProviderAdapter>();

  constructor(@Inject(CORTEX_CONFIG) config: CortexConfig, clock: Clock) {
    for (const [name, provider] of Object.entries(config.providers)) {
      this.adapters.set(name, new ProviderAdapter(name, provider, createCodec(provider.type), clock));
    }
  }

  /** The adapter of a configured provider (names are checked when the config is loaded). */
  adapter(name: string): ProviderAdapter {
    const adapter = this.adapters.get(name);
    if (!adapter) throw new Error(`provider ${name} is not configured`);
    return adapter;
  }

  all(): ProviderAdapter[] {
    return [...this.adapters.values()];
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all(this.all().map((adapter) => adapter.close()));
  }
}
