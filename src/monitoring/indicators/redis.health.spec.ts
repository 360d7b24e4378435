import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { HealthIndicatorService } from '@nestjs/terminus';
import { parseConfig } from '../../config/config.loader';
import { RedisHealthIndicator } from './redis.health';

/**
 * A stand-in Redis on 127.0.0.1 speaking just enough RESP: each command array gets +PONG for PING and
 * +OK otherwise. The commands it saw are kept.
 */
async function startFakeRedis(): Promise<{
  url: string;
  commands: string[];
  server: Server;
  sockets: Set<Socket>;
}> {
  const commands: string[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    let buffered = '';
    socket.on('data', (data) => {
      buffered += data.toString('utf8');
      // *<n>\r\n then n bulk strings ($<len>\r\n<value>\r\n); answer each complete array.
      for (;;) {
        const match = /^\*(\d+)\r\n/.exec(buffered);
        if (!match) return;
        const lines = buffered.slice(match[0].length).split('\r\n');
        const count = Number(match[1]);
        if (lines.length < count * 2 + 1) return;
        const parts = Array.from({ length: count }, (_, i) => lines[i * 2 + 1]);
        buffered = lines.slice(count * 2).join('\r\n');
        commands.push(parts.join(' ').toUpperCase());
        socket.write(parts[0].toUpperCase() === 'PING' ? '+PONG\r\n' : '+OK\r\n');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `redis://127.0.0.1:${port}`, commands, server, sockets };
}

function indicatorFor(redisUrl?: string): RedisHealthIndicator {
  const config = parseConfig({ providers: {}, models: {} }, redisUrl ? { REDIS_URL: redisUrl } : {});
  return new RedisHealthIndicator(new HealthIndicatorService(), config);
}

describe(RedisHealthIndicator.name, () => {
  it('without runtime.redis_url it is not configured and reports up without connecting', async () => {
    const indicator = indicatorFor();
    expect(indicator.configured).toBe(false);
    await expect(indicator.isHealthy()).resolves.toEqual({ redis: { status: 'up', configured: false } });
  });

  it('PINGs over one kept connection; a server that goes away is reported down, not waited for', async () => {
    const redis = await startFakeRedis();
    const indicator = indicatorFor(redis.url);
    try {
      expect(indicator.configured).toBe(true);
      const [first, second] = await Promise.all([indicator.isHealthy(), indicator.isHealthy()]);
      expect(first).toEqual({ redis: { status: 'up', latency_ms: expect.any(Number) as number } });
      expect(second.redis.status).toBe('up');
      expect(redis.commands.filter((command) => command === 'PING')).toHaveLength(2);

      await new Promise<void>((resolve) => {
        redis.server.close(() => resolve());
        for (const socket of redis.sockets) socket.destroy();
      });
      const started = performance.now();
      const down = await indicator.isHealthy();
      expect(down.redis.status).toBe('down');
      expect(typeof down.redis.message).toBe('string');
      expect(performance.now() - started).toBeLessThan(1500);
    } finally {
      indicator.onModuleDestroy();
    }
  });

  it('an unreachable server is down within the ping timeout', async () => {
    const redis = await startFakeRedis();
    await new Promise((resolve) => redis.server.close(resolve));
    const indicator = indicatorFor(redis.url);
    try {
      const started = performance.now();
      const result = await indicator.isHealthy();
      expect(result.redis.status).toBe('down');
      expect(performance.now() - started).toBeLessThan(1500);
    } finally {
      indicator.onModuleDestroy();
    }
  });
});
