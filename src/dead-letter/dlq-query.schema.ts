import { z } from 'zod';
import { FailureClass } from '../common/failure-class';
import { GatewayError } from '../common/gateway-error';
import type { DlqFilter, DlqQuery } from './dlq-record';
import type { BulkReplayRequest } from './dlq-bulk-replay.service';

/** A time given as ISO 8601 or epoch milliseconds. */
const instant = z.union([
  z.coerce.number().int().nonnegative(),
  z.iso.datetime({ offset: true }).transform((t) => Date.parse(t)),
]);

const filterFields = {
  error_type: z.enum(Object.values(FailureClass) as [FailureClass, ...FailureClass[]]).optional(),
  provider: z.string().min(1).max(100).optional(),
  client: z.string().min(1).max(100).optional(),
  state: z.enum(['pending', 'resolved']).optional(),
  since: instant.optional(),
  until: instant.optional(),
};

const listQuery = z.strictObject({
  ...filterFields,
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().min(1).max(200).optional(),
});

const bulkBody = z.strictObject({
  ...filterFields,
  limit: z.number().int().min(1).max(10_000).default(1000),
  concurrency: z.number().int().min(1).max(32).default(4),
  rate_per_second: z.number().positive().max(1000).default(10),
  only_healthy_providers: z.boolean().default(false),
});

const purgeQuery = z.strictObject(filterFields);

const replayBody = z.strictObject({ only_healthy_providers: z.boolean().default(false) });

function parse<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const param = issue.path.join('.') || null;
  throw GatewayError.invalidRequest(`Invalid value for '${param ?? 'body'}': ${issue.message}.`, param);
}

function toFilter(fields: {
  error_type?: FailureClass;
  provider?: string;
  client?: string;
  state?: 'pending' | 'resolved';
  since?: number;
  until?: number;
}): DlqFilter {
  return {
    failureClass: fields.error_type,
    provider: fields.provider,
    client: fields.client,
    state: fields.state,
    since: fields.since,
    until: fields.until,
  };
}

/** GET /admin/dlq query: 400 naming the bad field. */
export function parseListQuery(query: unknown): DlqQuery {
  const parsed = parse(listQuery, query);
  return { ...toFilter(parsed), limit: parsed.limit, cursor: parsed.cursor };
}

/** DELETE /admin/dlq query (purge by filter). */
export function parsePurgeQuery(query: unknown): DlqFilter {
  return toFilter(parse(purgeQuery, query));
}

/** POST /admin/dlq/retry body. */
export function parseBulkReplay(body: unknown): BulkReplayRequest {
  const parsed = parse(bulkBody, body);
  return {
    filter: toFilter(parsed),
    limit: parsed.limit,
    concurrency: parsed.concurrency,
    ratePerSecond: parsed.rate_per_second,
    onlyHealthy: parsed.only_healthy_providers,
  };
}

export function parseReplayOptions(body: unknown): { onlyHealthy: boolean } {
  const parsed = parse(replayBody, body);
  return { onlyHealthy: parsed.only_healthy_providers };
}
