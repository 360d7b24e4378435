import { Controller, Get, Param, UseGuards } from '@nestjs/common';
import { ModelCatalog } from '../providers/model-catalog.service';
import { ClientAuthGuard } from './client-auth.guard';

interface ModelObject {
  id: string;
  object: 'model';
  created: number;
  owned_by: string;
}

/** GET /v1/models: the configured model names in the OpenAI list format. */
@Controller('v1/models')
@UseGuards(ClientAuthGuard)
export class ModelsController {
  private readonly created = Math.floor(Date.now() / 1000);

  constructor(private readonly catalog: ModelCatalog) {}

  @Get()
  list(): { object: 'list'; data: ModelObject[] } {
    return { object: 'list', data: this.catalog.names().map((id) => this.model(id)) };
  }

  @Get(':model')
  retrieve(@Param('model') model: string): ModelObject {
    this.catalog.resolve(model);
    return this.model(model);
  }

  private model(id: string): ModelObject {
    return { id, object: 'model', created: this.created, owned_by: 'cortex' };
  }
}
