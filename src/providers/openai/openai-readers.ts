import type { ChunkDelta, FinishReason, ToolCall, ToolCallDelta, Usage } from '../chat.types';
import { asArray, asCode, asNumber, asObject, asString, isObject, type JsonObject } from '../json';

/**
 * Readers that rebuild OpenAI shapes from an upstream body field by field: what reaches the client
 * is only what Cortex types (no `obfuscation`, `x_groq`, `usage_breakdown`, timing floats), and a
 * wrong-typed field is dropped rather than forwarded.
 */

const FINISH_REASONS = new Set<string>(['stop', 'length', 'tool_calls', 'content_filter', 'function_call']);

/** Known reasons as they are; any other string (vLLM's `abort`, ...) reads as `stop`. */
export function readFinishReason(value: unknown): FinishReason | null {
  if (typeof value !== 'string') return null;
  return FINISH_REASONS.has(value) ? (value as FinishReason) : 'stop';
}

/** Token counts plus OpenAI's detail objects; Groq's `x_groq.usage` when there is no `usage`. */
export function readUsage(object: JsonObject): Usage | undefined {
  const usage = asObject(object.usage) ?? asObject(asObject(object.x_groq)?.usage);
  const prompt = asNumber(usage?.prompt_tokens);
  const completion = asNumber(usage?.completion_tokens);
  if (!usage || prompt === undefined || completion === undefined) return undefined;
  const result: Usage = {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: asNumber(usage.total_tokens) ?? prompt + completion,
  };
  for (const detail of ['prompt_tokens_details', 'completion_tokens_details']) {
    if (isObject(usage[detail])) result[detail] = usage[detail];
  }
  return result;
}

export function readToolCalls(value: unknown): ToolCall[] {
  const calls: ToolCall[] = [];
  for (const item of asArray(value)) {
    const call = asObject(item);
    const fn = asObject(call?.function);
    const name = asString(fn?.name);
    if (!call || name === undefined) continue;
    const args = fn?.arguments;
    calls.push({
      id: asString(call.id) ?? '',
      type: 'function',
      function: { name, arguments: typeof args === 'string' ? args : JSON.stringify(args ?? {}) },
    });
  }
  return calls;
}

function readToolCallDeltas(value: unknown): ToolCallDelta[] {
  const deltas: ToolCallDelta[] = [];
  for (const [position, item] of asArray(value).entries()) {
    const call = asObject(item);
    if (!call) continue;
    const delta: ToolCallDelta = { index: asNumber(call.index) ?? position };
    const id = asString(call.id);
    if (id !== undefined) delta.id = id;
    if (call.type === 'function') delta.type = 'function';
    const fn = asObject(call.function);
    if (fn) {
      delta.function = {};
      const name = asString(fn.name);
      const args = asString(fn.arguments);
      if (name !== undefined) delta.function.name = name;
      if (args !== undefined) delta.function.arguments = args;
    }
    deltas.push(delta);
  }
  return deltas;
}

export function readDelta(value: unknown): ChunkDelta {
  const source = asObject(value) ?? {};
  const delta: ChunkDelta = {};
  if (source.role === 'assistant') delta.role = 'assistant';
  if (typeof source.content === 'string' || source.content === null) delta.content = source.content;
  if (source.tool_calls !== undefined) delta.tool_calls = readToolCallDeltas(source.tool_calls);
  if (typeof source.refusal === 'string' || source.refusal === null) delta.refusal = source.refusal;
  return delta;
}

export interface OpenAiErrorFields {
  message?: string;
  type?: string;
  code?: string;
  param?: string | null;
}

/** The `{error: {...}}` envelope, a bare `{error: "text"}`, or vLLM's flat `{object: "error", ...}`. */
export function readOpenAiError(body: unknown): OpenAiErrorFields {
  const object = asObject(body);
  if (!object) return {};
  if (typeof object.error === 'string') return { message: object.error };
  const source =
    asObject(object.error) ?? (object.object === 'error' || 'message' in object ? object : undefined);
  if (!source) return {};
  const param = source.param;
  return {
    message: asString(source.message),
    type: asString(source.type),
    code: asCode(source.code),
    param: typeof param === 'string' || param === null ? param : undefined,
  };
}
