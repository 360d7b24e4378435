import type { ChatMessage, ChatRequest, ContentPart, ToolDefinition } from '../chat.types';
import { asObject, type JsonObject } from '../json';
import {
  contentText,
  definedFields,
  imageUrlOf,
  maxOutputTokens,
  partText,
  stopList,
} from '../request-parts';

/** OpenAI chat request -> Cohere v2 chat body (snake_case; tools and tool calls keep OpenAI's shape). */
export function toCohereRequest(request: ChatRequest, model: string, stream: boolean): JsonObject {
  const choice = request.tool_choice;
  // Cohere's tool_choice has no "this function": offer only that tool and require a call.
  const tools =
    typeof choice === 'object'
      ? request.tools?.filter((tool) => tool.function.name === choice.function.name)
      : request.tools;
  const format = asObject(request.response_format);
  return definedFields({
    model,
    messages: request.messages.map(toCohereMessage),
    stream,
    temperature: request.temperature ?? undefined,
    max_tokens: maxOutputTokens(request),
    p: request.top_p ?? undefined,
    stop_sequences: stopList(request.stop),
    seed: request.seed ?? undefined,
    frequency_penalty: request.frequency_penalty ?? undefined,
    presence_penalty: request.presence_penalty ?? undefined,
    tools: tools?.length ? tools.map(toCohereTool) : undefined,
    tool_choice:
      choice === 'none'
        ? 'NONE'
        : choice === 'required' || typeof choice === 'object'
          ? 'REQUIRED'
          : undefined,
    response_format:
      format?.type === 'json_object' || format?.type === 'json_schema'
        ? definedFields({ type: 'json_object', json_schema: asObject(format.json_schema)?.schema })
        : undefined,
  });
}

function toCohereTool({ function: fn }: ToolDefinition): JsonObject {
  return {
    type: 'function',
    function: definedFields({ name: fn.name, description: fn.description, parameters: fn.parameters }),
  };
}

function toCohereMessage(message: ChatMessage): JsonObject {
  switch (message.role) {
    case 'system':
    case 'developer':
      return { role: 'system', content: contentText(message.content) };
    case 'assistant':
      return definedFields({
        role: 'assistant',
        content: contentText(message.content, '') || (message.tool_calls?.length ? undefined : ''),
        tool_calls: message.tool_calls?.length
          ? message.tool_calls.map((call) => ({ id: call.id, type: 'function', function: call.function }))
          : undefined,
      });
    case 'tool':
      return {
        role: 'tool',
        tool_call_id: message.tool_call_id ?? '',
        content: contentText(message.content, ''),
      };
    default:
      return { role: 'user', content: userContent(message.content) };
  }
}

function userContent(content: ChatMessage['content']): string | JsonObject[] {
  if (!Array.isArray(content)) return content ?? '';
  return content.flatMap((part: ContentPart): JsonObject[] => {
    const text = partText(part);
    if (text !== undefined) return [{ type: 'text', text }];
    const url = imageUrlOf(part);
    return url === undefined ? [] : [{ type: 'image_url', image_url: { url } }];
  });
}
