import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChunkDelta,
  FinishReason,
  ToolCall,
  ToolCallDelta,
  Usage,
} from './chat.types';
import type { ResponseContext } from './protocol-codec';

/**
 * Builds the OpenAI shapes for codecs whose providers speak another protocol, so every translated
 * stream looks like OpenAI's: an opening empty assistant delta, content deltas, a finish chunk with
 * an empty delta, then (only when the client asked) a `choices: []` usage chunk. `usage: null` on
 * the other chunks exactly when the usage chunk will follow, as OpenAI does.
 */
export class ChunkWriter {
  model: string;
  private opened = false;

  constructor(private readonly context: ResponseContext) {
    this.model = context.model;
  }

  chunk(delta: ChunkDelta, finishReason: FinishReason | null = null, index = 0): ChatCompletionChunk {
    const chunk: ChatCompletionChunk = {
      id: this.context.id,
      object: 'chat.completion.chunk',
      created: this.context.created,
      model: this.model,
      choices: [{ index, delta, logprobs: null, finish_reason: finishReason }],
    };
    if (this.context.includeUsage) chunk.usage = null;
    return chunk;
  }

  /** The opening `{role: 'assistant', content: ''}` chunk; returns it only the first time. */
  open(): ChatCompletionChunk[] {
    if (this.opened) return [];
    this.opened = true;
    return [this.chunk({ role: 'assistant', content: '' })];
  }

  content(text: string, index = 0): ChatCompletionChunk[] {
    return text === '' ? this.open() : [...this.open(), this.chunk({ content: text }, null, index)];
  }

  toolCalls(deltas: ToolCallDelta[], index = 0): ChatCompletionChunk[] {
    return deltas.length === 0
      ? this.open()
      : [...this.open(), this.chunk({ tool_calls: deltas }, null, index)];
  }

  finish(reason: FinishReason, index = 0): ChatCompletionChunk[] {
    return [...this.open(), this.chunk({}, reason, index)];
  }

  /** The trailing usage chunk, when the client asked for it and the upstream reported usage. */
  usageChunk(usage: Usage | undefined): ChatCompletionChunk[] {
    if (!this.context.includeUsage || !usage) return [];
    const { id, created } = this.context;
    return [{ id, object: 'chat.completion.chunk', created, model: this.model, choices: [], usage }];
  }
}

export interface TranslatedChoice {
  content: string | null;
  toolCalls: ToolCall[];
  finishReason: FinishReason | null;
}

/** A chat.completion in OpenAI's shape with the context's id and timestamp. */
export function buildCompletion(
  context: ResponseContext,
  model: string,
  choices: TranslatedChoice[],
  usage: Usage | undefined,
): ChatCompletion {
  const completion: ChatCompletion = {
    id: context.id,
    object: 'chat.completion',
    created: context.created,
    model,
    choices: choices.map((choice, index) => ({
      index,
      message: {
        role: 'assistant',
        content: choice.content,
        ...(choice.toolCalls.length > 0 ? { tool_calls: choice.toolCalls } : {}),
      },
      logprobs: null,
      finish_reason: choice.finishReason,
    })),
  };
  if (usage) completion.usage = usage;
  return completion;
}

/** OpenAI usage; the total is the provider's when it gives one. */
export function buildUsage(prompt: number, completion: number, total?: number): Usage {
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: total ?? prompt + completion };
}

/** A tool call id for providers that do not give one; unique per response, stable in tests. */
export function toolCallId(context: ResponseContext, n: number): string {
  return `call_${context.id.replace(/^chatcmpl-/, '')}_${n}`;
}
