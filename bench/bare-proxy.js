'use strict';
// A bare pass-through proxy, the practical floor for a Node proxy: node:http in front of an undici Pool,
// no parsing, no logging. `node bench/bare-proxy.js --port 8080 --upstream http://127.0.0.1:8787`
// (or BARE_PROXY_PORT / BARE_PROXY_UPSTREAM). Listens on 127.0.0.1.
const http = require('node:http');
const { parseArgs } = require('node:util');
const { Pool } = require('undici');

const { values } = parseArgs({ options: { port: { type: 'string' }, upstream: { type: 'string' } } });
const port = Number(values.port ?? process.env.BARE_PROXY_PORT ?? 8080);
const upstream = values.upstream ?? process.env.BARE_PROXY_UPSTREAM;
if (!upstream) throw new Error('bare-proxy: --upstream http://host:port is required');

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
]);
const strip = (headers) => {
  const out = {};
  for (const name in headers) if (!HOP_BY_HOP.has(name)) out[name] = headers[name];
  return out;
};

const pool = new Pool(upstream);
const server = http.createServer((req, res) => {
  const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
  pool.stream(
    { path: req.url, method: req.method, headers: strip(req.headers), body: hasBody ? req : null },
    ({ statusCode, headers }) => {
      res.writeHead(statusCode, strip(headers));
      return res;
    },
    (error) => {
      if (!error) return;
      if (res.headersSent) res.destroy(error);
      else res.writeHead(502, { 'content-type': 'text/plain' }).end(`bad gateway: ${error.message}`);
    },
  );
});
server.keepAliveTimeout = 60_000;
server.listen(port, '127.0.0.1', () => process.stdout.write(`bare proxy on ${port} -> ${upstream}\n`));
const close = () => server.close(() => pool.close().then(() => process.exit(0)));
process.on('SIGTERM', close);
process.on('SIGINT', close);
