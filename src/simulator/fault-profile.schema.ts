import { z } from 'zod';
import type { FaultProfile } from './fault-profile.types';

// Strict objects: a typo in a YAML profile must fail loudly, not silently disable a fault.
const ms = z.number().min(0);
const count = z.number().int().min(0);
const status = z.number().int().min(100).max(599);
const hintKind = z.enum([
  'retry_after',
  'retry_after_date',
  'retry_after_ms',
  'ratelimit_reset',
  'retry_info',
  'anthropic_ratelimit',
  'none',
]);

const timingShape = {
  latency_ms: ms.optional(),
  jitter_ms: ms.optional(),
  first_token_delay_ms: ms.optional(),
  chunk_delay_ms: ms.optional(),
  response_words: z.number().int().min(1).max(100_000).optional(),
};

const ruleObject = z.strictObject({
  action: z.enum([
    'error',
    'hang',
    'reset_before_headers',
    'disconnect',
    'stream_error',
    'stall',
    'malformed',
    'delay',
  ]),
  rate: z.number().min(0).max(1).optional(),
  first_n: count.optional(),
  after_n: count.optional(),
  every_nth: z.number().int().min(1).optional(),
  keys: z.array(z.string()).optional(),
  models: z.array(z.string()).optional(),
  from: z.number().optional(),
  until: z.number().optional(),
  cycle_ms: z.number().int().min(1).optional(),
  active_ms: ms.optional(),
  scope: z.enum(['chat', 'all']).optional(),
  ...timingShape,
  status: status.optional(),
  variant: z.enum(['default', 'rate_limit', 'quota', 'invalid_key', 'model_not_found']).optional(),
  hint: z.union([hintKind, z.array(hintKind)]).optional(),
  hint_ms: ms.optional(),
  after_chunks: count.optional(),
  kind: z
    .enum([
      'truncated_json',
      'html',
      'no_choices',
      'bad_sse_line',
      'content_length_mismatch',
      'truncated_final_frame',
    ])
    .optional(),
  message: z.string().optional(),
});

/** `{status: 500}` is short for `{action: 'error', status: 500}`. */
function defaultAction(value: unknown): unknown {
  if (typeof value === 'object' && value !== null && !('action' in value) && 'status' in value) {
    return { ...value, action: 'error' };
  }
  return value;
}

const ruleSchema = z.preprocess(
  defaultAction,
  ruleObject.superRefine((rule, ctx) => {
    if (rule.action === 'error' && rule.status === undefined) {
      ctx.addIssue({ code: 'custom', message: "action 'error' needs a status", path: ['status'] });
    }
    if (rule.action === 'malformed' && rule.kind === undefined) {
      ctx.addIssue({ code: 'custom', message: "action 'malformed' needs a kind", path: ['kind'] });
    }
    if ((rule.cycle_ms === undefined) !== (rule.active_ms === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'cycle_ms and active_ms go together', path: ['cycle_ms'] });
    }
  }),
);

const profileSchema = z.strictObject({
  seed: z.number().int().optional(),
  ...timingShape,
  known_models: z.array(z.string()).optional(),
  invalid_keys: z.array(z.string()).optional(),
  quota: z.strictObject({ requests_per_key: count }).optional(),
  rate_limit: z
    .strictObject({ requests: z.number().int().min(1), window_ms: z.number().int().min(1).optional() })
    .optional(),
  down_until: z.number().optional(),
  down_status: status.optional(),
  rules: z.array(ruleSchema).optional(),
  stamp_chunks: z.boolean().optional(),
});

/** Thrown for an invalid profile; the message names each bad field. */
export class FaultProfileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FaultProfileError';
  }
}

/** Validates an untrusted profile (file, control API, test) into a FaultProfile. */
export function parseFaultProfile(input: unknown, where = 'fault profile'): FaultProfile {
  const result = profileSchema.safeParse(input ?? {});
  if (!result.success) {
    const problems = result.error.issues.map(
      (issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`,
    );
    throw new FaultProfileError(`invalid ${where}: ${problems.join('; ')}`);
  }
  return result.data;
}

/** PATCH semantics: top-level fields of `patch` replace the current ones, `null` removes a field. */
export function mergeFaultProfile(
  current: FaultProfile,
  patch: unknown,
  where = 'fault profile',
): FaultProfile {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) {
    throw new FaultProfileError(`invalid ${where}: a patch must be a JSON object`);
  }
  const merged: Record<string, unknown> = { ...current };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete merged[key];
    else merged[key] = value;
  }
  return parseFaultProfile(merged, where);
}
