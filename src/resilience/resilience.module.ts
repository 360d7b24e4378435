import { Module } from '@nestjs/common';
import { ProvidersModule } from '../providers/providers.module';
import { RequestRouter } from './request-router.service';

/** Owns the decisions around upstream calls: which deployment, when to fall back, the deadline. */
@Module({
  imports: [ProvidersModule],
  providers: [RequestRouter],
  exports: [RequestRouter],
})
export class ResilienceModule {}
