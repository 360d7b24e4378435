import type { ServerResponse } from 'node:http';
import type { FastifyReply } from 'fastify';
import { type AttemptRecord, countUpstreamCalls } from '../resilience/attempt-record';

/**
 * The x-cortex-* headers of CONTRACT §2: who answered and how many upstream attempts it took, plus
 * `x-cortex-route`, the attempt trail (`groq=rate_limited,gemini=ok`), so a client sees why.
 */
export function setRoutingHeaders(
  reply: FastifyReply,
  routed: { provider?: string; model?: string; attempts: readonly AttemptRecord[] },
): void {
  if (routed.provider) reply.header('x-cortex-provider', routed.provider);
  if (routed.model) reply.header('x-cortex-model', routed.model);
  reply.header('x-cortex-attempts', String(countUpstreamCalls(routed.attempts)));
  if (routed.attempts.length > 0) reply.header('x-cortex-route', routeTrail(routed.attempts));
  routing.set(reply.raw, routed);
}

/** The routing of a finished response, for its log line (Fastify writes headers where getHeader cannot see them). */
const routing = new WeakMap<ServerResponse, { provider?: string; attempts: readonly AttemptRecord[] }>();

export function routingLogFields(res: ServerResponse): Record<string, unknown> {
  const routed = routing.get(res);
  if (!routed) return {};
  return {
    provider: routed.provider,
    attempts: countUpstreamCalls(routed.attempts),
    route: routeTrail(routed.attempts),
  };
}

export function routeTrail(attempts: readonly AttemptRecord[]): string {
  return attempts.map((attempt) => `${attempt.provider}=${trailStep(attempt)}`).join(',');
}

function trailStep(attempt: AttemptRecord): string {
  if (attempt.outcome === 'success') return 'ok';
  if (attempt.outcome === 'cancelled') return 'cancelled';
  return attempt.skipReason ?? attempt.failureClass ?? attempt.outcome;
}
