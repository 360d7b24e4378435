import type { ChatMessage, ChatRequest, ContentPart } from './chat.types';
import { asObject, asString, isObject, parseJson, type JsonObject } from './json';

/** Readers of OpenAI request pieces that the translating codecs (all but `openai`) share. */

export function partText(part: ContentPart): string | undefined {
  return part.type === 'text' && typeof part.text === 'string' ? part.text : undefined;
}

/** A message's text: the string, or its text parts joined (other parts are left to the caller). */
export function contentText(content: ChatMessage['content'], separator = '\n'): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map(partText)
    .filter((text): text is string => text !== undefined)
    .join(separator);
}

/** The URL of an `image_url` part, in either of its shapes (`{url}` object or plain string). */
export function imageUrlOf(part: ContentPart): string | undefined {
  if (part.type !== 'image_url') return undefined;
  const value = (part as JsonObject).image_url;
  return asString(value) ?? asString(asObject(value)?.url);
}

/** `data:<mime>;base64,<data>` split into its parts; undefined for any other URL. */
export function parseDataUrl(url: string): { mimeType: string; data: string } | undefined {
  const match = /^data:([^;,]+)(?:;[^,]*)?;base64,(.*)$/s.exec(url);
  return match ? { mimeType: match[1], data: match[2] } : undefined;
}

export function stopList(stop: ChatRequest['stop']): string[] | undefined {
  if (stop === undefined || stop === null) return undefined;
  const list = (Array.isArray(stop) ? stop : [stop]).filter(
    (value) => typeof value === 'string' && value !== '',
  );
  return list.length > 0 ? list : undefined;
}

/** `max_completion_tokens` is OpenAI's current name, `max_tokens` the deprecated one; accept either. */
export function maxOutputTokens(request: ChatRequest): number | undefined {
  return request.max_completion_tokens ?? request.max_tokens ?? undefined;
}

/** Tool call arguments (a JSON string) as the object other providers want; `{}` when not an object. */
export function parseArguments(text: string | undefined): JsonObject {
  const parsed = text ? parseJson(text) : undefined;
  return isObject(parsed) ? parsed : {};
}

/**
 * Names of tool calls by id, filled while walking the conversation, so a tool result finds the
 * function name that providers such as Gemini and Ollama want in place of an id.
 */
export class ToolNames {
  private readonly names = new Map<string, string>();

  remember(message: ChatMessage): void {
    for (const call of message.tool_calls ?? []) this.names.set(call.id, call.function.name);
  }

  nameFor(message: ChatMessage): string {
    return (
      (message.tool_call_id && this.names.get(message.tool_call_id)) ||
      message.name ||
      message.tool_call_id ||
      'tool'
    );
  }
}

/** Sets only the fields whose value is defined, so upstream bodies stay free of `undefined` keys. */
export function definedFields(fields: JsonObject): JsonObject {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined));
}
