import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SystemClock } from '../common/clock';
import { FailureClass } from '../common/failure-class';
import { UpstreamError } from '../common/upstream-error';
import { parseConfig } from '../config/config.loader';
import { createCodec } from './codecs';
import { ProviderAdapter } from './provider-adapter';

/**
 * Bodies over the adapter's limits, from a real server over a real socket: a completion over 32 MB is
 * refused as a parse error, an error body over 64 KB is cut, and in both cases the adapter stops
 * reading and lets the connection go instead of draining the rest.
 */
describe('ProviderAdapter body limits', () => {
  let server: Server;
  let adapter: ProviderAdapter;
  /** Whether each upstream response was written to its end, by path. */
  const finished = new Map<string, Promise<boolean>>();

  const send = (res: ServerResponse, status: number, head: string, fillBytes: number, tail: string): void => {
    res.writeHead(status, { 'content-type': 'application/json' });
    const block = Buffer.alloc(64 * 1024, 'a');
    let left = fillBytes;
    res.write(head);
    const more = (): void => {
      while (left > 0) {
        left -= block.length;
        if (!res.write(block)) {
          res.once('drain', more);
          return;
        }
      }
      res.end(tail);
    };
    more();
  };

  beforeAll(async () => {
    server = createServer((req, res) => {
      const path = req.url ?? '';
      finished.set(path, new Promise((resolve) => res.once('close', () => resolve(res.writableFinished))));
      req.resume();
      req.once('end', () => {
        if (path.startsWith('/huge')) send(res, 200, '{"id":"c1","pad":"', 40 * 1024 * 1024, '"}');
        else send(res, 500, '{"error":{"message":"', 8 * 1024 * 1024, '"}}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const config = parseConfig(
      {
        providers: { up: { type: 'openai', base_url: `http://127.0.0.1:${port}/huge/v1` } },
        models: { chat: [{ provider: 'up', model: 'm' }] },
      },
      {},
    );
    adapter = new ProviderAdapter('up', config.providers.up, createCodec('openai'), new SystemClock());
  });

  afterAll(async () => {
    await adapter.close();
    await new Promise((resolve) => server.close(resolve));
  });

  const complete = (adapterUnderTest: ProviderAdapter): Promise<unknown> =>
    adapterUnderTest.complete(
      { model: 'chat', messages: [{ role: 'user', content: 'hi' }] },
      { model: 'm', signal: new AbortController().signal, includeUsage: false },
    );

  it('refuses a completion body over 32 MB as a parse error and stops reading it', async () => {
    const error = await complete(adapter).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UpstreamError);
    expect((error as UpstreamError).failureClass).toBe(FailureClass.ParseError);
    expect((error as UpstreamError).message).toBe('upstream body is larger than 33554432 bytes');
    // The server never got to write its last 8 MB: the connection was dropped, not drained.
    expect(await finished.get('/huge/v1/chat/completions')).toBe(false);
  });

  it('classifies an error answer from its first 64 KB and stops reading it', async () => {
    const config = parseConfig(
      {
        providers: {
          up: {
            type: 'openai',
            base_url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/err/v1`,
          },
        },
        models: { chat: [{ provider: 'up', model: 'm' }] },
      },
      {},
    );
    const erring = new ProviderAdapter('up', config.providers.up, createCodec('openai'), new SystemClock());
    try {
      const error = await complete(erring).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(UpstreamError);
      expect((error as UpstreamError).status).toBe(500);
      expect(await finished.get('/err/v1/chat/completions')).toBe(false);
    } finally {
      await erring.close();
    }
  });
});
