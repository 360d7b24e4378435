import { frameNdjson, frameSse, readFixture, readJsonFixture } from '../../test/support/frame-fixture';
import type { ChatCompletion, ChatCompletionChunk } from './chat.types';
import { createCodec } from './codecs';
import { PROVIDER_TYPES, type ProviderType, type ResponseContext } from './protocol-codec';

const context: ResponseContext = { id: 'chatcmpl-ctx', created: 1761040000, model: 'm', includeUsage: true };

/**
 * Fixture folder per codec type: `openai` is also exercised with Groq's and Ollama's /v1 fixtures
 * (the latter was recorded without usage, so it has no usage chunk).
 */
const FIXTURES: Array<[ProviderType, string, string, boolean]> = [
  ['openai', 'openai', 'stream.txt', true],
  ['openai', 'groq', 'stream.txt', true],
  ['openai', 'ollama', 'openai-compat-stream.txt', false],
  ['gemini', 'gemini', 'stream.txt', true],
  ['cohere', 'cohere', 'stream.txt', true],
  ['ollama', 'ollama', 'stream.txt', true],
  ['anthropic', 'anthropic', 'stream.txt', true],
];

function expectChunkShape(chunk: ChatCompletionChunk): void {
  expect(chunk).toMatchObject({
    object: 'chat.completion.chunk',
    id: expect.any(String),
    created: expect.any(Number),
  });
  expect(typeof chunk.model).toBe('string');
  for (const choice of chunk.choices) {
    expect(Object.keys(choice).sort()).toEqual(['delta', 'finish_reason', 'index', 'logprobs']);
    expect(typeof choice.index).toBe('number');
  }
}

describe(createCodec.name, () => {
  it.each(PROVIDER_TYPES.map((type) => [type]))('creates the %s codec', (type) => {
    const codec = createCodec(type);
    expect(codec.type).toBe(type);
    expect(codec.streamFraming).toBe(type === 'ollama' ? 'ndjson' : 'sse');
  });

  it.each(FIXTURES)(
    '%s decodes the %s fixture stream %s into valid OpenAI chunks',
    (type, provider, file, hasUsage) => {
      const codec = createCodec(type);
      const text = readFixture(provider, file);
      const events = codec.streamFraming === 'ndjson' ? frameNdjson(text) : frameSse(text);
      const decoder = codec.createStreamDecoder(context);
      const chunks = [...events.flatMap((event) => decoder.push(event)), ...decoder.end()];
      chunks.forEach(expectChunkShape);
      expect(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('')).toBe('Hello!');
      expect(chunks.filter((chunk) => chunk.choices.length === 0)).toHaveLength(hasUsage ? 1 : 0);
      const usage = hasUsage ? chunks.at(-1)!.usage! : undefined;
      if (usage) expect(usage.total_tokens).toBe(usage.prompt_tokens + usage.completion_tokens);
      expect(chunks.slice(0, hasUsage ? -1 : undefined).every((chunk) => chunk.usage === null)).toBe(true);
      expect(chunks.filter((chunk) => chunk.choices[0]?.finish_reason === 'stop')).toHaveLength(1);
    },
  );

  it.each([
    ['openai', 'openai'],
    ['openai', 'groq'],
    ['gemini', 'gemini'],
    ['cohere', 'cohere'],
    ['ollama', 'ollama'],
    ['anthropic', 'anthropic'],
  ] as Array<[ProviderType, string]>)(
    '%s translates the %s fixture answer into a valid completion',
    (type, provider) => {
      const completion: ChatCompletion = createCodec(type).parseChatResponse(
        readJsonFixture(provider, 'response.json'),
        context,
      );
      expect(completion).toMatchObject({
        object: 'chat.completion',
        id: expect.any(String),
        created: expect.any(Number),
      });
      expect(completion.choices).toEqual([
        {
          index: 0,
          message: expect.objectContaining({ role: 'assistant', content: 'Hello!' }),
          logprobs: null,
          finish_reason: 'stop',
        },
      ]);
      expect(completion.usage?.total_tokens).toBeGreaterThan(0);
    },
  );
});
