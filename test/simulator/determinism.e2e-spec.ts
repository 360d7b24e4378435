import { startSimulator, type SimulatorHandle } from '../../src/simulator';
import { rawRequest } from './sim-test.helpers';

/** Generated text and usage: deterministic per prompt and model, consistent across protocols and modes. */
describe('simulator generated text and usage', () => {
  let sim: SimulatorHandle;
  const system = 'You answer in one short sentence.';
  const user = 'What is a circuit breaker in software?';

  const openaiText = async (model: string, content = user, extra: Record<string, unknown> = {}) => {
    const response = await rawRequest(`${sim.baseUrl('openai')}/chat/completions`, {
      body: {
        model,
        messages: [
          { role: 'system', content: system },
          { role: 'user', content },
        ],
        ...extra,
      },
      headers: { authorization: 'Bearer k' },
    });
    return JSON.parse(response.body) as {
      choices: Array<{ message: { content: string }; finish_reason: string }>;
      usage: { prompt_tokens: number; completion_tokens: number };
    };
  };

  beforeAll(async () => {
    sim = await startSimulator({ port: 0 });
  });
  beforeEach(() => sim.reset());
  afterAll(() => sim.close());

  it('gives the same text for the same prompt and model, and another for a different one', async () => {
    const first = (await openaiText('m1')).choices[0].message.content;
    expect((await openaiText('m1')).choices[0].message.content).toBe(first);
    expect((await openaiText('m2')).choices[0].message.content).not.toBe(first);
    expect((await openaiText('m1', 'Something else?')).choices[0].message.content).not.toBe(first);
    expect(first).toMatch(/^[A-Z][a-z]+( [a-z]+){11}\.$/);
  });

  it('counts prompt tokens as words of every message, system included', async () => {
    const answer = await openaiText('m1');
    expect(answer.usage).toMatchObject({ prompt_tokens: 6 + 7, completion_tokens: 12 });
  });

  it('gives the same text in every protocol for the same prompt and model', async () => {
    const expected = (await openaiText('same-model')).choices[0].message.content;
    const gemini = await rawRequest(`${sim.baseUrl('gemini')}/models/same-model:generateContent`, {
      body: {
        systemInstruction: { parts: [{ text: system }] },
        contents: [{ role: 'user', parts: [{ text: user }] }],
      },
      headers: { 'x-goog-api-key': 'k' },
    });
    const anthropic = await rawRequest(`${sim.baseUrl('anthropic')}/v1/messages`, {
      body: {
        model: 'same-model',
        max_tokens: 100,
        system,
        messages: [{ role: 'user', content: [{ type: 'text', text: user }] }],
      },
      headers: { 'x-api-key': 'k', 'anthropic-version': '2023-06-01' },
    });
    const ollama = await rawRequest(`${sim.baseUrl('ollama')}/api/chat`, {
      body: {
        model: 'same-model',
        stream: false,
        messages: [
          { role: 'system', content: system },
          { role: 'user', content: user },
        ],
      },
    });
    expect(
      (JSON.parse(gemini.body) as { candidates: Array<{ content: { parts: Array<{ text: string }> } }> })
        .candidates[0].content.parts[0].text,
    ).toBe(expected);
    expect((JSON.parse(anthropic.body) as { content: Array<{ text: string }> }).content[0].text).toBe(
      expected,
    );
    expect((JSON.parse(ollama.body) as { message: { content: string } }).message.content).toBe(expected);
  });

  it('makes response_words the length and max tokens a cap whose answer is a prefix', async () => {
    await sim.setFaults('openai', { response_words: 40 });
    const full = await openaiText('m1');
    expect(full.choices[0].message.content.split(' ')).toHaveLength(40);
    expect(full.usage.completion_tokens).toBe(40);
    const capped = await openaiText('m1', user, { max_tokens: 10 });
    expect(capped.choices[0].finish_reason).toBe('length');
    expect(capped.usage.completion_tokens).toBe(10);
    expect(full.choices[0].message.content.startsWith(capped.choices[0].message.content)).toBe(true);
    const above = await openaiText('m1', user, { max_tokens: 400 });
    expect(above.choices[0].finish_reason).toBe('stop');
    expect(above.choices[0].message.content).toBe(full.choices[0].message.content);
  });

  it('counts the same usage streamed and not streamed', async () => {
    const whole = await openaiText('m1');
    const stream = await rawRequest(`${sim.baseUrl('openai')}/chat/completions`, {
      body: {
        model: 'm1',
        stream: true,
        stream_options: { include_usage: true },
        messages: [
          { role: 'system', content: system },
          { role: 'user', content: user },
        ],
      },
      headers: { authorization: 'Bearer k' },
    });
    const usageFrame = stream.body.split('\n\n').find((frame) => frame.includes('"choices":[]'))!;
    expect((JSON.parse(usageFrame.slice(6)) as { usage: unknown }).usage).toEqual(
      expect.objectContaining(whole.usage),
    );
  });
});
