import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SeededRandom } from '../../common/random';
import type { Alert, AlertNotification } from './alert.types';
import { WebhookChannel, type WebhookOptions } from './webhook.channel';

const T0 = 1_700_000_000_000;

interface Received {
  method: string;
  path: string;
  contentType: string | undefined;
  body: Record<string, unknown>;
}

/** A real receiver on 127.0.0.1 that answers each request with the next status of a script. */
async function startReceiver(
  answer: (index: number, req: IncomingMessage, res: ServerResponse) => void,
): Promise<{ url: string; received: Received[]; server: Server }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({
        method: req.method ?? '',
        path: req.url ?? '',
        contentType: req.headers['content-type'],
        body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>,
      });
      answer(received.length - 1, req, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/services/T000/B000/secret-token`, received, server };
}

function respond(status: number): (index: number, req: IncomingMessage, res: ServerResponse) => void {
  return (_index, _req, res) => res.writeHead(status).end(status < 300 ? 'ok' : 'nope');
}

function notification(
  kind: AlertNotification['kind'] = 'raised',
  overrides: Partial<Alert> = {},
): AlertNotification {
  return {
    kind,
    at: T0 + 1500,
    alert: {
      id: 'alert_1',
      rule: 'circuit_breaker_open',
      severity: 'warning',
      subject: 'groq/llama',
      message: 'circuit groq/llama is open: 5 consecutive failures',
      status: kind === 'resolved' ? 'resolved' : 'active',
      raisedAt: T0,
      lastSeenAt: T0,
      occurrences: 1,
      notifications: 1,
      ...overrides,
    },
  };
}

describe(WebhookChannel.name, () => {
  const fast: Partial<WebhookOptions> = { attempts: 4, baseDelayMs: 5, maxDelayMs: 20, timeoutMs: 2000 };
  let server: Server | undefined;
  let logger: { warn: jest.Mock; error: jest.Mock };

  beforeEach(() => {
    logger = { warn: jest.fn(), error: jest.fn() };
  });
  afterEach(async () => {
    if (server) await new Promise((resolve) => server!.close(resolve));
    server = undefined;
  });

  it('posts a Slack-compatible body; a receiver that fails twice and then recovers gets it on the third try', async () => {
    const statuses = [500, 503, 200];
    const receiver = await startReceiver((index, req, res) => respond(statuses[index])(index, req, res));
    server = receiver.server;
    const channel = new WebhookChannel(receiver.url, new SeededRandom(1), fast, logger);

    channel.deliver(notification());
    await channel.idle();

    expect(receiver.received).toHaveLength(3);
    expect(receiver.received.map((r) => [r.method, r.path, r.contentType])).toEqual(
      Array(3).fill(['POST', '/services/T000/B000/secret-token', 'application/json']),
    );
    expect(receiver.received[2].body).toEqual(receiver.received[0].body);
    expect(receiver.received[0].body).toEqual({
      text: '[WARNING] Cortex circuit_breaker_open groq/llama: circuit groq/llama is open: 5 consecutive failures',
      attachments: [
        {
          color: '#f2c744',
          title: 'Cortex alert raised: circuit_breaker_open groq/llama',
          text: 'circuit groq/llama is open: 5 consecutive failures',
          fields: [
            { title: 'Severity', value: 'warning', short: true },
            { title: 'Rule', value: 'circuit_breaker_open', short: true },
            { title: 'Subject', value: 'groq/llama', short: true },
            { title: 'Raised', value: '2023-11-14T22:13:20.000Z', short: true },
            { title: 'Alert id', value: 'alert_1', short: true },
          ],
          ts: 1_700_000_001,
        },
      ],
      alert: {
        id: 'alert_1',
        event: 'raised',
        rule: 'circuit_breaker_open',
        severity: 'warning',
        subject: 'groq/llama',
        message: 'circuit groq/llama is open: 5 consecutive failures',
        raised_at: T0,
        resolved_at: null,
      },
    });
    expect(logger.error).not.toHaveBeenCalled();
  });

  it('keeps the order: a resolve waits until the raise before it was delivered', async () => {
    const receiver = await startReceiver((index, req, res) =>
      respond(index === 0 ? 502 : 204)(index, req, res),
    );
    server = receiver.server;
    const channel = new WebhookChannel(receiver.url, new SeededRandom(2), fast, logger);

    channel.deliver(notification('raised'));
    channel.deliver(notification('resolved', { resolvedAt: T0 + 60_000 }));
    await channel.idle();

    expect(receiver.received.map((r) => (r.body.alert as { event: string }).event)).toEqual([
      'raised',
      'raised',
      'resolved',
    ]);
    const resolved = receiver.received[2].body as {
      text: string;
      attachments: Array<Record<string, unknown>>;
    };
    expect(resolved.text).toBe(
      '[RESOLVED] Cortex circuit_breaker_open groq/llama: circuit groq/llama is open: 5 consecutive failures',
    );
    expect(resolved.attachments[0]).toMatchObject({
      color: '#2eb67d',
      title: 'Cortex alert resolved: circuit_breaker_open groq/llama',
    });
  });

  it('gives up after `attempts` tries with one error log that names the receiver without its secret path', async () => {
    const receiver = await startReceiver(respond(500));
    server = receiver.server;
    const channel = new WebhookChannel(receiver.url, new SeededRandom(3), { ...fast, attempts: 3 }, logger);

    channel.deliver(notification());
    await expect(channel.idle()).resolves.toBeUndefined();

    expect(receiver.received).toHaveLength(3);
    const origin = new URL(receiver.url).origin;
    expect(logger.error.mock.calls).toEqual([
      [`webhook ${origin} did not take the raised notice of alert_1 after 3 tries: HTTP 500`],
    ]);
  });

  it('does not retry a receiver that rejects the body (4xx other than 408 and 429)', async () => {
    const receiver = await startReceiver(respond(400));
    server = receiver.server;
    const channel = new WebhookChannel(receiver.url, new SeededRandom(4), fast, logger);
    channel.deliver(notification());
    await channel.idle();
    expect(receiver.received).toHaveLength(1);
    expect(logger.error).toHaveBeenCalledTimes(1);
  });

  it('never blocks the caller: deliver() returns while the receiver hangs, and each hung try times out', async () => {
    const receiver = await startReceiver(() => undefined); // reads the body, never answers
    server = receiver.server;
    const channel = new WebhookChannel(
      receiver.url,
      new SeededRandom(5),
      { ...fast, attempts: 2, timeoutMs: 100 },
      logger,
    );

    const started = performance.now();
    channel.deliver(notification());
    expect(performance.now() - started).toBeLessThan(20);

    await channel.idle();
    expect(receiver.received).toHaveLength(2);
    expect(logger.error).toHaveBeenCalledTimes(1);
    expect(String(logger.error.mock.calls[0][0])).toMatch(/after 2 tries: .*(timeout|aborted)/i);
    server.closeAllConnections();
  });

  it('survives a receiver that is not there (connection refused)', async () => {
    const receiver = await startReceiver(respond(200));
    await new Promise((resolve) => receiver.server.close(resolve));
    const channel = new WebhookChannel(receiver.url, new SeededRandom(6), { ...fast, attempts: 2 }, logger);
    channel.deliver(notification());
    await expect(channel.idle()).resolves.toBeUndefined();
    expect(logger.error).toHaveBeenCalledTimes(1);
  });

  it('drops the oldest waiting notice when the queue is full, and close() stops delivery', async () => {
    const receiver = await startReceiver(respond(500));
    server = receiver.server;
    const channel = new WebhookChannel(
      receiver.url,
      new SeededRandom(7),
      { attempts: 10, baseDelayMs: 1000, maxDelayMs: 1000, maxQueued: 2 },
      logger,
    );
    channel.deliver(notification('raised', { id: 'alert_1' })); // taken off the queue at once, retrying
    channel.deliver(notification('raised', { id: 'alert_2' }));
    channel.deliver(notification('raised', { id: 'alert_3' }));
    channel.deliver(notification('raised', { id: 'alert_4' }));
    expect(logger.warn.mock.calls).toEqual([
      [`webhook ${new URL(receiver.url).origin} is behind: dropped the raised notice of alert_2`],
    ]);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await channel.close();
    expect(receiver.received.map((r) => (r.body.alert as { id: string }).id)).toEqual(['alert_1']);
    channel.deliver(notification('raised', { id: 'alert_5' }));
    await channel.idle();
    expect(receiver.received).toHaveLength(1);
  });
});
