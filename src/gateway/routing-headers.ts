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
  const attempts = countUpstreamCalls(routed.attempts);
  const route = routeTrail(routed.attempts);
  if (routed.provider) reply.header('x-cortex-provider', routed.provider);
  if (routed.model) reply.header('x-cortex-model', routed.model);
  reply.header('x-cortex-attempts', String(attempts));
  if (route) reply.header('x-cortex-route', route);
  // Kept for the access line, computed once: Fastify writes headers where getHeader cannot see them.
  routing.set(reply.raw, { provider: routed.provider, attempts, route });
}

/** The routing of each response, as its headers said it, for the access log line. */
const routing = new WeakMap<ServerResponse, { provider?: string; attempts: number; route: string }>();

export function routingLogFields(res: ServerResponse): Record<string, unknown> {
  return routing.get(res) ?? {};
}

export function routeTrail(attempts: readonly AttemptRecord[]): string {
  return attempts.map((attempt) => `${attempt.provider}=${trailStep(attempt)}`).join(',');
}

function trailStep(attempt: AttemptRecord): string {
  if (attempt.outcome === 'success') return 'ok';
  if (attempt.outcome === 'cancelled') return 'cancelled';
  return attempt.skipReason ?? attempt.failureClass ?? attempt.outcome;
}
