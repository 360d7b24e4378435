import { startSimulator, type SimulatorHandle } from '../../src/simulator';
import { startGateway, type RunningGateway } from '../support/gateway-harness';
import { simulatorConfig } from '../support/simulator-config';

const STREAMS = 200;
const WORDS = 40;
const STREAMS_PER_CONNECTION = 100;

/**
 * A provider configured with `h2c: true`: Cortex multiplexes its upstream streams over a few
 * cleartext HTTP/2 connections instead of one socket per stream, and clients see no difference.
 */
describe('h2c upstream', () => {
  let simulator: SimulatorHandle;
  let gateway: RunningGateway;
  const question = (i: number) => [{ role: 'user' as const, content: `Question number ${i}: what now?` }];

  beforeAll(async () => {
    simulator = await startSimulator({ port: 0 });
    gateway = await startGateway(
      simulatorConfig(
        simulator,
        {},
        {
          openai: {
            h2c: true,
            max_streams_per_connection: STREAMS_PER_CONNECTION,
            connections: 16,
            max_concurrency: 1000,
          },
        },
      ),
    );
  });
  afterAll(async () => {
    await gateway?.close();
    await simulator?.close();
  });

  /** The answer the provider gives to question i, asked directly (deterministic per prompt). */
  async function directAnswer(i: number): Promise<string> {
    const response = await fetch(`${simulator.baseUrl('openai')}/chat/completions`, {
      method: 'POST',
      headers: { authorization: 'Bearer sk-test-openai-0001', 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: question(i) }),
    });
    const body = (await response.json()) as { choices: Array<{ message: { content: string } }> };
    return body.choices[0].message.content;
  }

  it(`serves ${STREAMS} concurrent streams over a few HTTP/2 connections, each with its own full answer`, async () => {
    // 4 s streams: long enough for all 200 to be open at once while the clients are still starting.
    await simulator.setFaults('openai', { response_words: WORDS, chunk_delay_ms: 100 });
    const expected = await Promise.all(Array.from({ length: STREAMS }, (_, i) => directAnswer(i)));
    await simulator.clearRequests();

    const received = await Promise.all(
      Array.from({ length: STREAMS }, async (_, i) => {
        const stream = await gateway.openai.chat.completions.create({
          model: 'via-openai',
          messages: question(i),
          stream: true,
        });
        let text = '';
        let finish: string | null = null;
        for await (const chunk of stream) {
          text += chunk.choices[0]?.delta?.content ?? '';
          finish = chunk.choices[0]?.finish_reason ?? finish;
        }
        return { text, finish };
      }),
    );

    // What the clients see: every stream ended normally with the whole answer to its own question.
    received.forEach(({ text, finish }, i) => {
      expect(finish).toBe('stop');
      expect(text).toBe(expected[i]);
    });
    expect(new Set(received.map((r) => r.text)).size).toBe(STREAMS);

    // What the provider saw: every stream over HTTP/2, all of them open at once, on a few connections.
    const records = simulator.requests({ provider: 'openai' });
    expect(records).toHaveLength(STREAMS);
    expect(records.every((r) => r.httpVersion === '2.0')).toBe(true);
    expect(records.every((r) => r.completed && !r.aborted && r.chunks === WORDS)).toBe(true);
    const lastStart = Math.max(...records.map((r) => r.time));
    const firstEnd = Math.min(...records.map((r) => r.endedAt!));
    expect(lastStart).toBeLessThan(firstEnd);
    const connections = new Set(records.map((r) => r.connection)).size;
    expect(connections).toBeGreaterThanOrEqual(STREAMS / STREAMS_PER_CONNECTION);
    expect(connections).toBeLessThanOrEqual(4);
  }, 60_000);
});
