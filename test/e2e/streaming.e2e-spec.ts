import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import OpenAI from 'openai';
import { startSimulator, type SimulatorHandle } from '../../src/simulator';
import { startGateway, type RunningGateway } from '../support/gateway-harness';
import { simulatorConfig } from '../support/simulator-config';
import { waitFor } from '../support/wait-for';

/** Streams after their commit point: timeouts, breaks, client disconnects and slow readers. */
describe('streaming', () => {
  let simulator: SimulatorHandle;
  let gateway: RunningGateway;
  const messages = [{ role: 'user' as const, content: 'stream me something' }];

  beforeAll(async () => {
    simulator = await startSimulator({ port: 0 });
    gateway = await startGateway(
      simulatorConfig(
        simulator,
        {
          models: {
            chain: [
              { provider: 'openai', model: 'gpt-4o-mini' },
              { provider: 'groq', model: 'llama-3.1-8b-instant' },
            ],
          },
        },
        { openai: { first_token_timeout_ms: 300, idle_timeout_ms: 300 } },
      ),
    );
  });
  beforeEach(async () => {
    await simulator.reset();
  });
  afterAll(async () => {
    await gateway?.close();
    await simulator?.close();
  });

  /** Reads a stream with the SDK; returns the text received before the SDK raised the in-band error. */
  async function readUntilError(model: string): Promise<{ text: string; error: unknown }> {
    const stream = await gateway.openai.chat.completions.create({ model, messages, stream: true });
    let text = '';
    try {
      for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
    } catch (error) {
      return { text, error };
    }
    return { text, error: undefined };
  }

  it('falls back when the first token does not come within first_token_timeout_ms', async () => {
    await simulator.setFaults('openai', { first_token_delay_ms: 2000 });
    const { data, response } = await gateway.openai.chat.completions
      .create({ model: 'chain', messages, stream: true })
      .withResponse();
    let text = '';
    for await (const chunk of data) text += chunk.choices[0]?.delta?.content ?? '';
    expect(text.length).toBeGreaterThan(10);
    expect(response.headers.get('x-cortex-route')).toBe('openai=timeout,groq=ok');
    await waitFor(() => simulator.requests({ provider: 'openai' })[0]?.aborted === true);
  });

  it('ends a stream that breaks after its first byte with one error event, and does not retry', async () => {
    await simulator.setFaults('openai', { rules: [{ action: 'disconnect', after_chunks: 3 }] });
    const { text, error } = await readUntilError('chain');
    expect(text.split(' ').length).toBeGreaterThanOrEqual(3);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect((error as Error).message).toContain('network_error');
    expect(simulator.requests({ provider: 'openai' })).toHaveLength(1);
    expect(simulator.requests({ provider: 'groq' })).toHaveLength(0);
  });

  it("relays the provider's in-band error event as one error event", async () => {
    await simulator.setFaults('openai', {
      rules: [{ action: 'stream_error', status: 500, after_chunks: 2 }],
    });
    const { text, error } = await readUntilError('chain');
    expect(text.length).toBeGreaterThan(0);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect(simulator.requests({ provider: 'groq' })).toHaveLength(0);
  });

  it('ends a stalled stream when idle_timeout_ms passes, with an error event and [DONE]', async () => {
    await simulator.setFaults('openai', { rules: [{ action: 'stall', after_chunks: 2 }] });
    const raw = await rawStream(gateway.url, { model: 'chain', messages, stream: true });
    const body = await raw.text();
    const events = body.split('\n\n').filter(Boolean);
    expect(events.at(-1)).toBe('data: [DONE]');
    const error = JSON.parse(events.at(-2)!.slice('data: '.length)) as { error: { code: string } };
    expect(error.error.code).toBe('timeout');
    expect(events.filter((event) => event.includes('"content"')).length).toBeGreaterThanOrEqual(2);
    await waitFor(() => simulator.requests({ provider: 'openai' })[0]?.aborted === true);
  });

  it('aborts the upstream request when the client disconnects', async () => {
    await simulator.setFaults('openai', { response_words: 500, chunk_delay_ms: 50 });
    const raw = await rawStream(gateway.url, { model: 'via-openai', messages, stream: true });
    await raw.firstBytes();
    const closedAt = Date.now();
    raw.destroy();
    await waitFor(() => simulator.requests({ provider: 'openai' })[0]?.aborted === true);
    const record = simulator.requests({ provider: 'openai' })[0];
    expect(record.completed).toBe(false);
    expect(record.abortedAt! - closedAt).toBeLessThan(500);
  });

  it('does not buffer the upstream answer for a client that stops reading', async () => {
    // About 25 MB of SSE if it were all produced; backpressure must stop the upstream long before.
    const words = 100_000;
    await simulator.setFaults('openai', { response_words: words });
    const heapBefore = process.memoryUsage().heapUsed;
    const raw = await rawStream(gateway.url, {
      model: 'via-openai',
      messages,
      stream: true,
      max_tokens: words,
    });
    await raw.firstBytes();
    raw.pause();
    await new Promise((resolve) => setTimeout(resolve, 800));
    const parked = simulator.requests({ provider: 'openai' })[0].chunks;
    await new Promise((resolve) => setTimeout(resolve, 800));
    const later = simulator.requests({ provider: 'openai' })[0].chunks;
    expect(later).toBe(parked);
    expect(parked).toBeLessThan(words / 2);
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(64 * 1024 * 1024);
    raw.destroy();
    await waitFor(() => simulator.requests({ provider: 'openai' })[0]?.aborted === true);
  });
});

interface RawStream {
  firstBytes(): Promise<void>;
  text(): Promise<string>;
  pause(): void;
  destroy(): void;
}

/** A raw HTTP client, for reading (or not reading) an SSE body at our own pace. */
function rawStream(url: string, body: unknown): Promise<RawStream> {
  return new Promise((resolve, reject) => {
    const request: ClientRequest = httpRequest(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
    });
    request.on('error', reject);
    request.on('response', (response: IncomingMessage) => {
      let received = '';
      const first = new Promise<void>((done) => response.once('data', () => done()));
      const ended = new Promise<string>((done) => {
        response.on('data', (part: Buffer) => (received += part.toString()));
        response.on('end', () => done(received));
      });
      resolve({
        firstBytes: () => first,
        text: () => ended,
        pause: () => {
          response.removeAllListeners('data');
          response.pause();
        },
        destroy: () => request.destroy(),
      });
    });
    request.end(JSON.stringify(body));
  });
}
