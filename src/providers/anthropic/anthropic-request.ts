import type { ChatMessage, ChatRequest, ContentPart } from '../chat.types';
import type { JsonObject } from '../json';
import {
  contentText,
  definedFields,
  imageUrlOf,
  maxOutputTokens,
  parseArguments,
  parseDataUrl,
  partText,
  stopList,
} from '../request-parts';

/** Anthropic requires max_tokens; this is what a client that gave none gets. */
export const DEFAULT_MAX_TOKENS = 4096;

interface AnthropicMessage {
  role: 'user' | 'assistant';
  content: JsonObject[];
}

/**
 * OpenAI chat request -> Anthropic Messages body. Roles alternate strictly in Anthropic's API, so
 * consecutive same-role messages (a tool result followed by a user message, say) are merged.
 */
export function toAnthropicRequest(request: ChatRequest, model: string, stream: boolean): JsonObject {
  const system: string[] = [];
  const messages: AnthropicMessage[] = [];
  const add = (role: AnthropicMessage['role'], blocks: JsonObject[]): void => {
    if (blocks.length === 0) return;
    const last = messages.at(-1);
    if (last?.role === role) last.content.push(...blocks);
    else messages.push({ role, content: blocks });
  };
  for (const message of request.messages) {
    if (message.role === 'system' || message.role === 'developer') {
      const text = contentText(message.content);
      if (text) system.push(text);
    } else if (message.role === 'assistant') {
      add('assistant', assistantBlocks(message));
    } else if (message.role === 'tool') {
      const content = contentText(message.content, '');
      add('user', [{ type: 'tool_result', tool_use_id: message.tool_call_id ?? '', content }]);
    } else {
      add('user', userBlocks(message.content));
    }
  }
  const temperature = request.temperature ?? undefined;
  const tools = request.tools?.length ? request.tools : undefined;
  return definedFields({
    model,
    max_tokens: maxOutputTokens(request) ?? DEFAULT_MAX_TOKENS,
    system: system.length > 0 ? system.join('\n\n') : undefined,
    // A lone text block reads better as the plain string form; both are valid.
    messages: messages.map(({ role, content }) => ({
      role,
      content: content.length === 1 && content[0].type === 'text' ? content[0].text : content,
    })),
    stream,
    // OpenAI's range is 0..2, Anthropic's 0..1: clamp rather than fail the whole request.
    temperature: temperature === undefined ? undefined : Math.min(1, Math.max(0, temperature)),
    top_p: request.top_p ?? undefined,
    stop_sequences: stopList(request.stop),
    tools: tools?.map(({ function: fn }) =>
      definedFields({
        name: fn.name,
        description: fn.description,
        input_schema: fn.parameters ?? { type: 'object', properties: {} },
      }),
    ),
    tool_choice: tools ? toolChoice(request) : undefined,
    metadata: request.user ? { user_id: request.user } : undefined,
  });
}

function toolChoice(request: ChatRequest): JsonObject | undefined {
  const choice = request.tool_choice;
  const base: JsonObject | undefined =
    choice === undefined
      ? undefined
      : typeof choice === 'object'
        ? { type: 'tool', name: choice.function.name }
        : { type: { auto: 'auto', required: 'any', none: 'none' }[choice] ?? 'auto' };
  if (request.parallel_tool_calls !== false || base?.type === 'none') return base;
  return { ...(base ?? { type: 'auto' }), disable_parallel_tool_use: true };
}

function assistantBlocks(message: ChatMessage): JsonObject[] {
  const text = contentText(message.content, '');
  const calls = (message.tool_calls ?? []).map((call) => ({
    type: 'tool_use',
    id: call.id,
    name: call.function.name,
    input: parseArguments(call.function.arguments),
  }));
  // Anthropic rejects empty text blocks.
  return [...(text ? [{ type: 'text', text }] : []), ...calls];
}

function userBlocks(content: ChatMessage['content']): JsonObject[] {
  if (typeof content === 'string') return content ? [{ type: 'text', text: content }] : [];
  return (content ?? []).flatMap((part: ContentPart): JsonObject[] => {
    const text = partText(part);
    if (text !== undefined) return text ? [{ type: 'text', text }] : [];
    const url = imageUrlOf(part);
    if (url === undefined) return [];
    const inline = parseDataUrl(url);
    const source = inline
      ? { type: 'base64', media_type: inline.mimeType, data: inline.data }
      : { type: 'url', url };
    return [{ type: 'image', source }];
  });
}
