import type { FastifyReply } from 'fastify';
import { type AttemptRecord, countUpstreamCalls } from '../resilience/attempt-record';

/** The x-cortex-* headers of CONTRACT §2: who answered, and how many upstream attempts it took. */
export function setRoutingHeaders(
  reply: FastifyReply,
  routed: { provider?: string; model?: string; attempts: readonly AttemptRecord[] },
): void {
  if (routed.provider) reply.header('x-cortex-provider', routed.provider);
  if (routed.model) reply.header('x-cortex-model', routed.model);
  reply.header('x-cortex-attempts', String(countUpstreamCalls(routed.attempts)));
}
