import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, UseGuards } from '@nestjs/common';
import { AdminAuthGuard } from '../admin/admin-auth.guard';
import { GatewayError } from '../common/gateway-error';
import { InvalidDlqCursorError } from './dlq-cursor';
import { DeadLetterService } from './dead-letter.service';
import { DlqBulkReplayService } from './dlq-bulk-replay.service';
import { parseBulkReplay, parseListQuery, parsePurgeQuery, parseReplayOptions } from './dlq-query.schema';
import { dlqNotFound, DlqReplayService } from './dlq-replay.service';
import { jobWire, recordWire, statsWire } from './dlq-wire';

/** The dead letter queue's admin routes (CONTRACT §4), all behind the admin token. */
@Controller('admin/dlq')
@UseGuards(AdminAuthGuard)
export class DlqController {
  constructor(
    private readonly deadLetters: DeadLetterService,
    private readonly replays: DlqReplayService,
    private readonly bulk: DlqBulkReplayService,
  ) {}

  @Get()
  async list(@Query() query: unknown): Promise<Record<string, unknown>> {
    const page = await this.deadLetters.list(parseListQuery(query)).catch((error: unknown) => {
      if (error instanceof InvalidDlqCursorError)
        throw GatewayError.invalidRequest(
          "Invalid value for 'cursor': not a cursor this API returned.",
          'cursor',
        );
      throw error;
    });
    return { object: 'list', data: page.items.map(recordWire), next_cursor: page.nextCursor ?? null };
  }

  @Get('stats')
  async stats(): Promise<Record<string, unknown>> {
    return statsWire(await this.deadLetters.stats());
  }

  /** Bulk replay by filter: starts a job and answers 202 with it; progress at GET retry/{job}. */
  @Post('retry')
  @HttpCode(202)
  async replayMany(@Body() body: unknown): Promise<Record<string, unknown>> {
    return jobWire(await this.bulk.start(parseBulkReplay(body)));
  }

  @Get('retry/:job')
  job(@Param('job') job: string): Record<string, unknown> {
    return jobWire(this.bulk.get(job));
  }

  @Get(':id')
  async get(@Param('id') id: string): Promise<Record<string, unknown>> {
    const record = await this.deadLetters.get(id);
    if (!record) throw dlqNotFound(id);
    return recordWire(record);
  }

  @Post(':id/retry')
  @HttpCode(200)
  async replay(@Param('id') id: string, @Body() body: unknown): Promise<Record<string, unknown>> {
    const result = await this.replays.replay(id, parseReplayOptions(body));
    return {
      id: result.id,
      outcome: result.outcome,
      state: result.state,
      failure_class: result.failureClass,
      message: result.message,
      response: result.response,
    };
  }

  @Delete(':id')
  @HttpCode(204)
  async delete(@Param('id') id: string): Promise<void> {
    if (!(await this.deadLetters.delete(id))) throw dlqNotFound(id);
  }

  /** Purge: everything matching the query's filter (everything without one). */
  @Delete()
  async purge(@Query() query: unknown): Promise<Record<string, unknown>> {
    return { purged: await this.deadLetters.purge(parsePurgeQuery(query)) };
  }
}
