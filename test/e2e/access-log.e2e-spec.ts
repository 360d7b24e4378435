import { Logger } from '@nestjs/common';
import { startSimulator, type SimulatorHandle } from '../../src/simulator';
import { startGateway, type RunningGateway } from '../support/gateway-harness';
import { simulatorConfig } from '../support/simulator-config';
import { waitFor } from '../support/wait-for';

/** What an operator reads in the logs: one JSON line per request, and never a key. */
describe('access log', () => {
  let simulator: SimulatorHandle;
  let gateway: RunningGateway;
  const lines: Array<Record<string, any>> = [];
  const raw: string[] = [];
  const clientKey = 'ck-team-search-7f3a9c21';

  beforeAll(async () => {
    simulator = await startSimulator({ port: 0 });
    gateway = await startGateway(
      {
        ...simulatorConfig(simulator, {
          models: { chain: [{ provider: 'openai', model: 'gpt-4o-mini' }] },
        }),
        clients: [{ name: 'search', key: clientKey }],
      },
      clientKey,
      {
        logLevel: 'info',
        logDestination: {
          write: (line: string) => {
            raw.push(line);
            lines.push(JSON.parse(line));
          },
        },
      },
    );
  });
  afterAll(async () => {
    await gateway?.close();
    await simulator?.close();
  });

  const completed = (requestId: string | null) =>
    lines.filter((line) => line.msg === 'request completed' && line.req?.id === requestId);

  it('writes one line per JSON completion with the id, status, time and routing', async () => {
    const { response } = await gateway.openai.chat.completions
      .create({ model: 'chain', messages: [{ role: 'user', content: 'hello' }] })
      .withResponse();
    const requestId = response.headers.get('x-request-id');
    await waitFor(() => completed(requestId).length === 1);
    const [line] = completed(requestId);
    expect(line).toMatchObject({
      level: 30,
      req: { id: requestId, method: 'POST', url: '/v1/chat/completions' },
      res: { statusCode: 200 },
      provider: 'openai',
      attempts: 1,
      route: 'openai=ok',
    });
    expect(typeof line.responseTime).toBe('number');
  });

  it('writes the line of a stream once its last byte is out', async () => {
    const { data, response } = await gateway.openai.chat.completions
      .create({ model: 'chain', messages: [{ role: 'user', content: 'stream it' }], stream: true })
      .withResponse();
    const requestId = response.headers.get('x-request-id');
    let text = '';
    for await (const chunk of data) text += chunk.choices[0]?.delta?.content ?? '';
    expect(text.length).toBeGreaterThan(0);
    await waitFor(() => completed(requestId).length === 1);
    expect(completed(requestId)[0]).toMatchObject({ res: { statusCode: 200 }, route: 'openai=ok' });
  });

  it('logs a failed request at error level with the attempt trail', async () => {
    await simulator.setFaults('openai', { rules: [{ status: 500 }] });
    try {
      const failure = await gateway.openai.chat.completions
        .create({ model: 'chain', messages: [{ role: 'user', content: 'fail' }] })
        .catch((error: { status?: number; headers?: Headers }) => error);
      expect(failure).toMatchObject({ status: 502 });
      const requestId = (failure as { headers: Headers }).headers.get('x-request-id');
      await waitFor(() => completed(requestId).length === 1);
      expect(completed(requestId)[0]).toMatchObject({ level: 50, res: { statusCode: 502 } });
      // The same trail the client got in x-cortex-route: four tries of openai, none answered.
      const trail = (failure as { headers: Headers }).headers.get('x-cortex-route');
      expect(trail?.split(',')).toHaveLength(4);
      expect(completed(requestId)[0]).toMatchObject({ route: trail, attempts: 4 });
    } finally {
      await simulator.reset();
    }
  });

  it('does not log health probes', async () => {
    const before = lines.length;
    const response = await fetch(`${gateway.url}/health/live`);
    expect(response.status).toBe(200);
    await gateway.openai.models.list();
    await waitFor(() => lines.some((line, index) => index >= before && line.req?.url === '/v1/models'));
    expect(lines.filter((line) => String(line.req?.url).startsWith('/health'))).toEqual([]);
  });

  it("routes Nest's Logger calls into the same JSON lines, with context and stack", () => {
    new Logger('Probe').error('probe failure', 'Error: boom\n    at here');
    new Logger('Probe').log('probe line');
    expect(lines).toContainEqual(
      expect.objectContaining({
        level: 50,
        context: 'Probe',
        msg: 'probe failure',
        stack: expect.stringContaining('boom'),
      }),
    );
    expect(lines).toContainEqual(expect.objectContaining({ level: 30, context: 'Probe', msg: 'probe line' }));
  });

  it('never writes a client or provider key', () => {
    const all = raw.join('');
    expect(all).not.toContain(clientKey);
    expect(all).not.toContain('sk-test-openai-0001');
    expect(lines.length).toBeGreaterThan(4);
  });
});
