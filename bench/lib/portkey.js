'use strict';
// Portkey's AI gateway (npm @portkey-ai/gateway, a devDependency used only by the benchmark), set up the
// way Portkey's own repository runs it: @hono/node-server pinned to 1.13.5 (the npm `overrides` entry in
// package.json) plus the one-word change of Portkey's patches/@hono+node-server+1.13.5.patch, which the
// npm package does not ship: the request listener returns `await responseViaResponseObject(...)` instead
// of the bare promise. patchHonoNodeServer() applies that change idempotently to the file Portkey loads.
const { existsSync, readFileSync, renameSync, writeFileSync } = require('node:fs');
const { dirname, join, relative } = require('node:path');
const { startNode, waitForHttp } = require('./processes');

const ROOT = join(__dirname, '..', '..');
const HONO_VERSION = '1.13.5';
const UNPATCHED = 'return responseViaResponseObject(res, outgoing, options);';
const PATCHED = 'return await responseViaResponseObject(res, outgoing, options);';

function portkeyDir() {
  return dirname(require.resolve('@portkey-ai/gateway/package.json', { paths: [ROOT] }));
}

/** The @hono/node-server copy Node resolves from Portkey's package: its own nested one first, then the hoisted one. */
function honoDir() {
  let dir = portkeyDir();
  for (;;) {
    const candidate = join(dir, 'node_modules', '@hono', 'node-server');
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('@hono/node-server is not installed (run npm ci)');
    dir = parent;
  }
}

function versions() {
  const read = (dir) => JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).version;
  return { portkey: read(portkeyDir()), honoNodeServer: read(honoDir()) };
}

/**
 * Applies Portkey's patch to the ES module entry of @hono/node-server (Portkey's build imports
 * `serve` from it; dist/index.mjs bundles its own listener, so that one file is the one patched, as in
 * Portkey's repository). Returns what it did; throws when the override did not take effect.
 */
function patchHonoNodeServer(log = (line) => process.stderr.write(`${line}\n`)) {
  const dir = honoDir();
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  if (pkg.version !== HONO_VERSION) {
    throw new Error(
      `Portkey resolves @hono/node-server ${pkg.version} at ${dir}; the benchmark needs ${HONO_VERSION} ` +
        '(the overrides entry in package.json): run npm ci',
    );
  }
  const file = join(dir, pkg.exports['.'].import);
  const source = readFileSync(file, 'utf8');
  const where = relative(ROOT, file);
  if (source.includes(PATCHED) && !source.includes(UNPATCHED)) {
    log(`portkey: ${where} already patched (return await responseViaResponseObject)`);
    return { file: where, patched: false };
  }
  const hits = source.split(UNPATCHED).length - 1;
  if (hits !== 1) throw new Error(`portkey: expected one "${UNPATCHED}" in ${where}, found ${hits}`);
  const temporary = `${file}.bench-tmp`;
  writeFileSync(temporary, source.replace(UNPATCHED, PATCHED));
  renameSync(temporary, file);
  log(`portkey: patched ${where} as Portkey's repository does (return await responseViaResponseObject)`);
  return { file: where, patched: true };
}

/**
 * Patches, then starts Portkey's own bin headless (it has no host flag and listens on every interface:
 * send the load to 127.0.0.1 only). Returns the child process and what the patch step did.
 */
async function startPortkey({ port, core }) {
  const patch = patchHonoNodeServer();
  const bin = join(portkeyDir(), JSON.parse(readFileSync(join(portkeyDir(), 'package.json'), 'utf8')).bin);
  const child = startNode(bin, ['--headless', `--port=${port}`], { core, name: 'portkey' });
  try {
    await waitForHttp(`http://127.0.0.1:${port}/`);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return { child, patch };
}

/** Request headers that send a Portkey chat completion to an OpenAI-compatible base URL. */
function portkeyHeaders(openaiBaseUrl) {
  return { 'x-portkey-provider': 'openai', 'x-portkey-custom-host': openaiBaseUrl };
}

module.exports = { startPortkey, portkeyHeaders, versions };
