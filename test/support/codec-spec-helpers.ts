import { UpstreamError } from '../../src/common/upstream-error';
import type { ChatCompletionChunk } from '../../src/providers/chat.types';
import type {
  ProtocolCodec,
  ResponseContext,
  StreamDecoder,
  StreamEvent,
} from '../../src/providers/protocol-codec';

/** Helpers shared by the codec specs. */

export const NOW = Date.parse('2025-10-21T09:41:00Z');

export function responseContext(model: string, includeUsage = false): ResponseContext {
  return { id: 'chatcmpl-ctx', created: 1761040000, model, includeUsage };
}

/** The UpstreamError an action throws; fails the test when it throws nothing or something else. */
export function thrownUpstreamError(action: () => unknown): UpstreamError {
  try {
    action();
  } catch (error) {
    if (error instanceof UpstreamError) return error;
    throw error;
  }
  throw new Error('expected an UpstreamError');
}

/** Pushes every event through a new decoder; `end` is left to the test. */
export function decodeEvents(
  codec: ProtocolCodec,
  context: ResponseContext,
  events: StreamEvent[],
): { decoder: StreamDecoder; chunks: ChatCompletionChunk[]; end: () => ChatCompletionChunk[] } {
  const decoder = codec.createStreamDecoder(context);
  const chunks = events.flatMap((event) => decoder.push(event));
  return { decoder, chunks, end: () => decoder.end() };
}

/** A named SSE event whose JSON repeats its type, as Cohere and Anthropic send them. */
export function typedEvent(type: string, data: object): StreamEvent {
  return { event: type, data: JSON.stringify({ type, ...data }) };
}
