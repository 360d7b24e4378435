import type { ChatMessage, ChatRequest, ContentPart, ToolChoice } from '../chat.types';
import { asObject, asString, isObject, parseJson, type JsonObject } from '../json';
import {
  contentText,
  definedFields,
  imageUrlOf,
  maxOutputTokens,
  parseArguments,
  parseDataUrl,
  partText,
  stopList,
  ToolNames,
} from '../request-parts';

/** OpenAI chat request -> Gemini generateContent body. Gemini knows only the roles `user` and `model`. */

interface GeminiContent {
  role: 'user' | 'model';
  parts: JsonObject[];
}

export function toGeminiRequest(request: ChatRequest): JsonObject {
  const system: JsonObject[] = [];
  const contents: GeminiContent[] = [];
  const names = new ToolNames();
  // Gemini wants the answers to parallel function calls in one turn, so same-role turns are merged.
  const add = (role: GeminiContent['role'], parts: JsonObject[]): void => {
    if (parts.length === 0) return;
    const last = contents.at(-1);
    if (last?.role === role) last.parts.push(...parts);
    else contents.push({ role, parts });
  };
  for (const message of request.messages) {
    if (message.role === 'system' || message.role === 'developer') {
      const text = contentText(message.content);
      if (text) system.push({ text });
    } else if (message.role === 'assistant') {
      names.remember(message);
      add('model', assistantParts(message));
    } else if (message.role === 'tool') {
      add('user', [{ functionResponse: { name: names.nameFor(message), response: toolResponse(message) } }]);
    } else {
      add('user', userParts(message.content));
    }
  }
  return definedFields({
    contents,
    systemInstruction: system.length > 0 ? { parts: system } : undefined,
    generationConfig: generationConfig(request),
    tools: request.tools?.length
      ? [
          {
            functionDeclarations: request.tools.map(({ function: fn }) =>
              definedFields({
                name: fn.name,
                description: fn.description,
                parametersJsonSchema: fn.parameters,
              }),
            ),
          },
        ]
      : undefined,
    toolConfig: toolConfig(request.tool_choice),
  });
}

function assistantParts(message: ChatMessage): JsonObject[] {
  const text = contentText(message.content, '');
  const calls = (message.tool_calls ?? []).map((call) => ({
    functionCall: { name: call.function.name, args: parseArguments(call.function.arguments) },
  }));
  return [...(text ? [{ text }] : []), ...calls];
}

/** A function response must be an object: a JSON object result as is, anything else wrapped. */
function toolResponse(message: ChatMessage): JsonObject {
  const text = contentText(message.content, '');
  const parsed = parseJson(text);
  return isObject(parsed) ? parsed : { content: parsed ?? text };
}

function userParts(content: ChatMessage['content']): JsonObject[] {
  if (typeof content === 'string') return content ? [{ text: content }] : [];
  return (content ?? []).flatMap((part) => {
    const converted = userPart(part);
    return converted ? [converted] : [];
  });
}

function userPart(part: ContentPart): JsonObject | undefined {
  const text = partText(part);
  if (text !== undefined) return text ? { text } : undefined;
  const url = imageUrlOf(part);
  if (url !== undefined) {
    const inline = parseDataUrl(url);
    return inline ? { inlineData: inline } : { fileData: { fileUri: url } };
  }
  const audio = asObject((part as JsonObject).input_audio);
  const data = asString(audio?.data);
  if (part.type === 'input_audio' && data) {
    return { inlineData: { mimeType: `audio/${asString(audio?.format) ?? 'wav'}`, data } };
  }
  return undefined;
}

function generationConfig(request: ChatRequest): JsonObject | undefined {
  const format = asObject(request.response_format);
  const schema = asObject(format?.json_schema)?.schema;
  const json = format?.type === 'json_object' || format?.type === 'json_schema';
  const config = definedFields({
    temperature: request.temperature ?? undefined,
    topP: request.top_p ?? undefined,
    maxOutputTokens: maxOutputTokens(request),
    stopSequences: stopList(request.stop),
    seed: request.seed ?? undefined,
    presencePenalty: request.presence_penalty ?? undefined,
    frequencyPenalty: request.frequency_penalty ?? undefined,
    responseMimeType: json ? 'application/json' : undefined,
    responseJsonSchema: format?.type === 'json_schema' ? schema : undefined,
  });
  return Object.keys(config).length > 0 ? config : undefined;
}

function toolConfig(choice: ToolChoice | undefined): JsonObject | undefined {
  if (choice === undefined) return undefined;
  if (typeof choice === 'object') {
    return { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: [choice.function.name] } };
  }
  const mode = { none: 'NONE', auto: 'AUTO', required: 'ANY' }[choice];
  return mode ? { functionCallingConfig: { mode } } : undefined;
}
