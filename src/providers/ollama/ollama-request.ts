import type { ChatMessage, ChatRequest } from '../chat.types';
import { asObject, type JsonObject } from '../json';
import {
  contentText,
  definedFields,
  imageUrlOf,
  maxOutputTokens,
  parseArguments,
  parseDataUrl,
  stopList,
  ToolNames,
} from '../request-parts';

/** OpenAI chat request -> Ollama `/api/chat` body. Sampling parameters live in `options`. */
export function toOllamaRequest(request: ChatRequest, model: string, stream: boolean): JsonObject {
  const names = new ToolNames();
  const messages = request.messages.map((message) => {
    names.remember(message);
    return toOllamaMessage(message, names);
  });
  const options = definedFields({
    temperature: request.temperature ?? undefined,
    top_p: request.top_p ?? undefined,
    num_predict: maxOutputTokens(request),
    stop: stopList(request.stop),
    seed: request.seed ?? undefined,
    presence_penalty: request.presence_penalty ?? undefined,
    frequency_penalty: request.frequency_penalty ?? undefined,
  });
  const format = asObject(request.response_format);
  return definedFields({
    model,
    messages,
    // Explicit both ways: Ollama streams unless told not to.
    stream,
    options: Object.keys(options).length > 0 ? options : undefined,
    tools: request.tools?.length ? request.tools : undefined,
    format:
      format?.type === 'json_object'
        ? 'json'
        : format?.type === 'json_schema'
          ? asObject(format.json_schema)?.schema
          : undefined,
  });
}

function toOllamaMessage(message: ChatMessage, names: ToolNames): JsonObject {
  const content = contentText(message.content, '');
  switch (message.role) {
    case 'system':
    case 'developer':
      return { role: 'system', content };
    case 'assistant':
      return definedFields({
        role: 'assistant',
        content,
        tool_calls: message.tool_calls?.length
          ? message.tool_calls.map((call) => ({
              function: { name: call.function.name, arguments: parseArguments(call.function.arguments) },
            }))
          : undefined,
      });
    case 'tool':
      return { role: 'tool', content, tool_name: names.nameFor(message) };
    default: {
      // Ollama takes images as bare base64 beside the text; only inline (data URL) images can go.
      const images = Array.isArray(message.content)
        ? message.content.flatMap((part) => {
            const url = imageUrlOf(part);
            const inline = url === undefined ? undefined : parseDataUrl(url);
            return inline ? [inline.data] : [];
          })
        : [];
      return definedFields({ role: 'user', content, images: images.length > 0 ? images : undefined });
    }
  }
}
