import { arrayField, isRecord, maxTokensField, recordField, stringField } from '../json-narrow.util';
import { PromptDigest } from '../text-hash.util';
import type { ChatCall, Completion, Endpoint } from './flavour.types';

/** Request parsing, routing and the chunk pieces shared by the OpenAI-protocol flavours (OpenAI, Groq). */

/** Routes `{prefix}/chat/completions` and `{prefix}/models`. */
export function matchOpenAiPath(method: string, path: string, prefix: string): Endpoint {
  if (!path.startsWith(prefix)) return { kind: 'not_found' };
  const rest = path.slice(prefix.length);
  if (method === 'POST' && rest === '/chat/completions') return { kind: 'chat' };
  if (method === 'GET' && rest === '/models') return { kind: 'models' };
  return { kind: 'not_found' };
}

/** OpenAI's 400 messages, which Groq mirrors. */
export const OPENAI_BAD_JSON =
  "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON. If you have trouble figuring out how to fix this, please contact us through our help center at help.openai.com.)";

export function parseOpenAiChat(body: unknown): ChatCall | string {
  if (!isRecord(body)) return OPENAI_BAD_JSON;
  const model = stringField(body, 'model');
  if (!model) return 'you must provide a model parameter';
  const messages = arrayField(body, 'messages');
  if (!messages) return "Missing required parameter: 'messages'.";
  const digest = new PromptDigest(model);
  digest.addMessages(messages);
  const streamOptions = recordField(body, 'stream_options');
  return {
    model,
    stream: body.stream === true,
    maxTokens: maxTokensField(body, 'max_completion_tokens') ?? maxTokensField(body, 'max_tokens'),
    promptTokens: digest.tokens,
    promptHash: digest.hash,
    includeUsage: streamOptions?.include_usage === true,
    includeObfuscation: streamOptions?.include_obfuscation !== false,
  };
}

/** `sk-test-****wxyz`: OpenAI shows the start and the last four characters of a rejected key. */
export function maskKey(key: string | undefined): string {
  if (!key) return '';
  if (key.length <= 12) return '*'.repeat(Math.max(0, key.length - 4)) + key.slice(-4);
  return key.slice(0, 8) + '*'.repeat(key.length - 12) + key.slice(-4);
}

export function finishReason(c: Completion): 'length' | 'stop' {
  return c.truncated ? 'length' : 'stop';
}

/** A completion without `choices`, for the `no_choices` malformation. */
export function bareCompletion(id: string, c: Completion) {
  return { id, object: 'chat.completion', created: c.created, model: c.call.model };
}

/** The `choices` of a stream chunk: one choice with its delta. */
export function deltaChoices(delta: unknown, finish: string | null) {
  return [{ index: 0, delta, logprobs: null, finish_reason: finish }];
}

/** One SSE event of the OpenAI protocol. */
export function sse(json: string): string {
  return `data: ${json}\n\n`;
}

export const SSE_DONE = 'data: [DONE]\n\n';

/** A chunk cut off inside its first choice: the `bad_sse_line` frame. */
export function badChunkFrame(id: string): string {
  return sse(`{"id":"${id}","object":"chat.completion.chunk","choices":[{"delta":`);
}
