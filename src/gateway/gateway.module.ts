import { Module } from '@nestjs/common';
import { DegradationModule } from '../degradation/degradation.module';
import { ProvidersModule } from '../providers/providers.module';
import { ResilienceModule } from '../resilience/resilience.module';
import { ChatCompletionsController } from './chat-completions.controller';
import { ClientAuthGuard } from './client-auth.guard';
import { ClientRateLimitGuard } from './client-rate-limit.guard';
import { ModelsController } from './models.controller';

/** The client-facing OpenAI-compatible API. */
@Module({
  imports: [ProvidersModule, ResilienceModule, DegradationModule],
  controllers: [ChatCompletionsController, ModelsController],
  providers: [ClientAuthGuard, ClientRateLimitGuard],
})
export class GatewayModule {}
