import { z } from 'zod';
import type { DegradationLevel } from '../common/events';
import { GatewayError } from '../common/gateway-error';
import { DEGRADATION_LEVELS } from './degradation-levels';

/** A force lasts at most a day: a forgotten force must not pin the gateway's level for good. */
export const MAX_FORCE_TTL_SECONDS = 86_400;

const forceBody = z.strictObject({
  level: z.enum(DEGRADATION_LEVELS as [DegradationLevel, ...DegradationLevel[]]),
  ttl_seconds: z.number().int().positive().max(MAX_FORCE_TTL_SECONDS),
});

export interface ForceLevelRequest {
  level: DegradationLevel;
  ttlSeconds: number;
}

/** PUT /admin/degradation body `{"level", "ttl_seconds"}`: 400 naming the bad or missing field. */
export function parseForceLevel(body: unknown): ForceLevelRequest {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw GatewayError.invalidRequest(
      'The request body must be a JSON object: {"level", "ttl_seconds"}.',
      null,
      'invalid_json',
    );
  }
  const result = forceBody.safeParse(body);
  if (result.success) return { level: result.data.level, ttlSeconds: result.data.ttl_seconds };
  const issue = result.error.issues[0];
  // An unknown field is reported by name, like a bad one.
  const param =
    issue.code === 'unrecognized_keys' ? issue.keys[0] : issue.path.map(String).join('.') || 'body';
  if (issue.code !== 'unrecognized_keys' && (body as Record<string, unknown>)[param] === undefined) {
    throw GatewayError.invalidRequest(
      `Missing required parameter: '${param}'.`,
      param,
      'missing_required_parameter',
    );
  }
  throw GatewayError.invalidRequest(`Invalid value for '${param}': ${issue.message}.`, param);
}
