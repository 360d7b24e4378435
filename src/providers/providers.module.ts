import { Module } from '@nestjs/common';
import { ModelCatalog } from './model-catalog.service';
import { ProviderRegistry } from './provider-registry.service';

/** Owns the provider adapters, their connection pools and keys, and model resolution. */
@Module({
  providers: [ProviderRegistry, ModelCatalog],
  exports: [ProviderRegistry, ModelCatalog],
})
export class ProvidersModule {}
