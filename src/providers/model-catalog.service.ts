import { Inject, Injectable } from '@nestjs/common';
import { GatewayError } from '../common/gateway-error';
import { CORTEX_CONFIG } from '../config/config.module';
import type { CortexConfig, DeploymentConfig } from '../config/config.schema';

/**
 * Resolves the model name a client sends to its ordered chain of deployments: a configured model
 * name, or `provider/upstream-model` to address one provider directly. Configured names win, so a
 * model called `meta-llama/Llama-3` can still be configured.
 */
@Injectable()
export class ModelCatalog {
  private readonly chains: ReadonlyMap<string, readonly DeploymentConfig[]>;

  constructor(@Inject(CORTEX_CONFIG) private readonly config: CortexConfig) {
    this.chains = new Map(Object.entries(config.models));
  }

  /** The deployments to try, in order; throws a 404 GatewayError for an unknown model. */
  resolve(model: string): readonly DeploymentConfig[] {
    const chain = this.chains.get(model);
    if (chain) return chain;
    const slash = model.indexOf('/');
    if (slash > 0 && slash < model.length - 1) {
      const provider = model.slice(0, slash);
      if (provider in this.config.providers) return [{ provider, model: model.slice(slash + 1) }];
    }
    throw GatewayError.modelNotFound(model);
  }

  /** The configured model names, for GET /v1/models. */
  names(): string[] {
    return [...this.chains.keys()];
  }
}
