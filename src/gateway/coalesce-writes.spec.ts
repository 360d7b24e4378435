import { createServer, request, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeCoalescer } from './coalesce-writes';

describe('writeCoalescer', () => {
  it('corks the socket once per burst and uncorks it on the next turn of the event loop', async () => {
    const seen: number[] = [];
    let body = '';
    const server = createServer((_req, res: ServerResponse) => {
      const beforeEvent = writeCoalescer(res);
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      for (let i = 0; i < 20; i++) {
        beforeEvent();
        res.write(`data: ${i}\n\n`);
      }
      seen.push(res.socket!.writableCorked);
      setImmediate(() => {
        seen.push(res.socket!.writableCorked);
        res.end('data: [DONE]\n\n');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve, reject) => {
      request({ port, host: '127.0.0.1' }, (res) => {
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', resolve);
      })
        .on('error', reject)
        .end();
    });
    server.close();
    // Twenty events, one cork: held during the burst, released before the next event.
    expect(seen).toEqual([1, 0]);
    expect(body.split('\n\n').filter(Boolean)).toHaveLength(21);
    expect(body.endsWith('data: [DONE]\n\n')).toBe(true);
  });
});
