import { SeededRandom } from '../../src/common/random';
import { type ChildProcess, spawn } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DatabaseSync } from 'node:sqlite';

/**
 * The gateway as a real process (dist/main.js, the way it runs in production) for the process-level
 * tests of RELIABILITY.md: spawn it with a temporary config file and data directory, wait until it
 * answers, SIGKILL it, restart it on the same data directory and measure the time to ready.
 *
 * Every process started here is remembered, so a test's afterAll can kill what is left even after a
 * failure and prove that no child outlived the file (`assertNoSurvivors`).
 */

/** The built entry point; CORTEX_TEST_GATEWAY_ENTRY may point the tests at another build. */
export const GATEWAY_ENTRY = resolve(
  process.env.CORTEX_TEST_GATEWAY_ENTRY ?? join(__dirname, '../../dist/main.js'),
);

/**
 * The Node flags of `npm start` (the Dockerfile's CMD has the same, see start-command.e2e-spec.ts):
 * the gateway runs here as it does in production.
 */
export const START_FLAGS: readonly string[] = (
  JSON.parse(readFileSync(join(__dirname, '../../package.json'), 'utf8')) as { scripts: { start: string } }
).scripts.start
  .split(/\s+/)
  .filter((word) => word.startsWith('--'));

/** Throws a clear message when the build is missing (npm test builds before jest; a bare jest may not). */
export function assertGatewayBuilt(): void {
  if (!existsSync(GATEWAY_ENTRY)) {
    throw new Error(
      `${GATEWAY_ENTRY} does not exist: these tests run the built gateway. Run \`npm run build\` ` +
        '(npm test does it before jest).',
    );
  }
}

/** Every pid spawned by this module, in this jest worker. */
const spawned = new Set<number>();
const live = new Set<GatewayProcess>();

/** True while a process with this pid exists (signal 0 only checks). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}

/** SIGKILLs whatever this module started and is still running, waits for them, removes temp dirs. */
export async function killAllGateways(): Promise<void> {
  await Promise.all([...live].map((gateway) => gateway.dispose()));
  for (const pid of spawned) {
    if (isAlive(pid)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone between the check and the kill
      }
    }
  }
}

/** Every pid this module ever spawned that still exists (should be none after killAllGateways). */
export function survivors(): number[] {
  return [...spawned].filter((pid) => isAlive(pid));
}

export function spawnedPids(): number[] {
  return [...spawned];
}

/** For a test file's afterAll, after killAllGateways: it spawned gateways, and none of them is left. */
export function assertNoSurvivors(): void {
  const pids = spawnedPids();
  expect(pids.length).toBeGreaterThan(0);
  expect(survivors()).toEqual([]);
  // Signal 0 throws ESRCH for each of them.
  expect(pids.filter((pid) => isAlive(pid))).toEqual([]);
}

/** A free TCP port on 127.0.0.1 (the gateway binds it a moment later; the kernel does not hand it out twice in a row). */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

export interface GatewayProcessOptions {
  /** The config document (written as JSON, which is YAML) for CORTEX_CONFIG. */
  config: Record<string, unknown>;
  adminToken?: string;
  /** Bound on one start (spawn to GET /v1/models 200). Default 15 s. */
  startTimeoutMs?: number;
  /** LOG_LEVEL of the child (default warn: its output is kept for failure messages only). */
  logLevel?: string;
}

/** A gateway process and its files; `start()` (again after a kill) reuses the same data directory. */
export class GatewayProcess {
  readonly root: string;
  readonly dataDir: string;
  readonly configPath: string;
  readonly adminToken: string;
  /** dlq.sqlite under the data directory (the default store). */
  readonly dbPath: string;
  /** Every start's spawn-to-ready time, in ms, in order. */
  readonly readyTimesMs: number[] = [];
  /** Keep-alive connections for the clients of this gateway (recreated on every start). */
  agent = new Agent({ keepAlive: true, maxSockets: 64 });
  private child?: ChildProcess;
  private exit?: Promise<void>;
  private output = '';
  private port = 0;

  constructor(private readonly options: GatewayProcessOptions) {
    assertGatewayBuilt();
    this.root = mkdtempSync(join(tmpdir(), 'cortex-proc-'));
    this.dataDir = join(this.root, 'data');
    mkdirSync(this.dataDir);
    this.configPath = join(this.root, 'cortex.yaml');
    writeFileSync(this.configPath, JSON.stringify(options.config, null, 2));
    this.adminToken = options.adminToken ?? 'admin-token-for-durability-tests';
    this.dbPath = join(this.dataDir, 'dlq.sqlite');
    live.add(this);
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The child's last output (stdout and stderr interleaved), for failure messages. */
  get log(): string {
    return this.output;
  }

  /**
   * Spawns dist/main.js and resolves once GET /v1/models answers 200, with the ms from spawn to that
   * answer. Fails with the child's output when it exits first or the bound runs out. The free port is
   * picked just before the spawn; should another process take it in between (EADDRINUSE), the start
   * is tried again on a new port, at most twice more.
   */
  async start(): Promise<number> {
    if (this.running) throw new Error(`gateway already running (pid ${this.pid})`);
    for (let attempt = 1; ; attempt++) {
      const readyMs = await this.spawnAndWait();
      if (readyMs !== undefined) {
        this.readyTimesMs.push(readyMs);
        return readyMs;
      }
      if (attempt === 3) throw new Error(`gateway could not bind a free port in 3 tries:\n${this.output}`);
    }
  }

  /** One spawn; undefined when the port was taken (EADDRINUSE), the ms to ready otherwise. */
  private async spawnAndWait(): Promise<number | undefined> {
    this.port = await freePort();
    this.agent.destroy();
    this.agent = new Agent({ keepAlive: true, maxSockets: 64 });
    this.output = '';
    const startedAt = performance.now();
    const child = spawn(process.execPath, [...START_FLAGS, GATEWAY_ENTRY], {
      env: {
        ...process.env,
        CORTEX_CONFIG: this.configPath,
        PORT: String(this.port),
        HOST: '127.0.0.1',
        CORTEX_DATA_DIR: this.dataDir,
        CORTEX_ADMIN_TOKEN: this.adminToken,
        LOG_LEVEL: this.options.logLevel ?? 'warn',
        TRACING_AUTOSTART: 'false',
        OTEL_SDK_DISABLED: 'true',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (child.pid === undefined) throw new Error(`could not spawn ${process.execPath} ${GATEWAY_ENTRY}`);
    spawned.add(child.pid);
    this.child = child;
    const keep = (chunk: Buffer): void => {
      this.output = (this.output + chunk.toString()).slice(-8000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    this.exit = new Promise((resolveExit) => child.once('exit', () => resolveExit()));

    const bound = this.options.startTimeoutMs ?? 15_000;
    const deadline = startedAt + bound;
    for (let polls = 0; ; polls++) {
      if (!this.running) {
        await this.exited();
        if (this.output.includes('EADDRINUSE')) return undefined;
        throw new Error(
          `gateway exited before it was ready (code ${child.exitCode}, signal ${child.signalCode}):\n${this.output}`,
        );
      }
      if (await this.answers('/v1/models')) return performance.now() - startedAt;
      if (performance.now() > deadline) {
        throw new Error(`gateway not ready within ${bound} ms (${polls} polls):\n${this.output}`);
      }
      await new Promise((resolveWait) => setTimeout(resolveWait, 10));
    }
  }

  /** SIGKILL, synchronously: no handler in the child runs, nothing is flushed or closed. */
  kill(): void {
    if (this.child?.pid !== undefined && this.running) process.kill(this.child.pid, 'SIGKILL');
  }

  /** Resolves when the current child has exited (at once when none runs). */
  async exited(timeoutMs = 5000): Promise<void> {
    if (!this.exit || !this.child) return;
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.exit,
      new Promise<void>((_resolve, reject) => {
        timer = setTimeout(
          () => reject(new Error(`pid ${this.pid} did not exit within ${timeoutMs} ms`)),
          timeoutMs,
        );
      }),
    ]).finally(() => clearTimeout(timer));
  }

  /** How the last child ended: its signal (SIGKILL after kill()) or exit code. */
  get exitStatus(): { code: number | null; signal: NodeJS.Signals | null } {
    return { code: this.child?.exitCode ?? null, signal: this.child?.signalCode ?? null };
  }

  async killAndWait(): Promise<void> {
    this.kill();
    await this.exited();
  }

  /** Kill (if running), wait for the exit, start again on the same data directory; the ms to ready. */
  async restart(): Promise<number> {
    await this.killAndWait();
    return this.start();
  }

  /** Kills the child, waits for it and removes the temporary files. Safe to call twice. */
  async dispose(): Promise<void> {
    this.agent.destroy();
    try {
      await this.killAndWait();
    } finally {
      live.delete(this);
      rmSync(this.root, { recursive: true, force: true });
    }
  }

  /** GET with the admin token; the parsed JSON body. */
  async admin(path: string): Promise<{ status: number; body: Record<string, unknown> }> {
    const response = await fetch(`${this.url}${path}`, {
      headers: { authorization: `Bearer ${this.adminToken}` },
      signal: AbortSignal.timeout(5000),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  /** Every dead letter, through GET /admin/dlq pages of `limit` (bounded: at most `maxPages`). */
  async listAll(limit = 500, maxPages = 100): Promise<Array<Record<string, unknown>>> {
    const items: Array<Record<string, unknown>> = [];
    let cursor: string | null = null;
    for (let page = 0; page < maxPages; page++) {
      const query: string = `limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const { status, body } = await this.admin(`/admin/dlq?${query}`);
      if (status !== 200) throw new Error(`GET /admin/dlq?${query}: ${status} ${JSON.stringify(body)}`);
      items.push(...(body.data as Array<Record<string, unknown>>));
      cursor = body.next_cursor as string | null;
      if (!cursor) return items;
    }
    throw new Error(`GET /admin/dlq: more than ${maxPages} pages of ${limit}`);
  }

  private answers(path: string): Promise<boolean> {
    return new Promise((resolveAnswer) => {
      const req = httpRequest(`${this.url}${path}`, { agent: false, timeout: 1000 }, (response) => {
        response.resume();
        response.once('end', () => resolveAnswer(response.statusCode === 200));
        response.once('error', () => resolveAnswer(false));
      });
      req.once('error', () => resolveAnswer(false));
      req.once('timeout', () => req.destroy());
      req.end();
    });
  }
}

/** What a client got for one chat completion request sent with `postChat`. */
export interface ChatOutcome {
  /** 0 when the connection failed or broke before a whole response (the gateway was killed). */
  status: number;
  requestId: string;
  content: string;
  dlqId?: string;
  failureClass?: string;
  errorType?: string;
  /** The transport error, when there was no whole response. */
  transportError?: string;
}

/**
 * POSTs one non-streaming chat completion with its own x-request-id and resolves with what arrived.
 * `onComplete` runs synchronously in the tick the whole response body arrived, before the promise
 * resolves, so a test can SIGKILL the gateway in the very same tick. Never rejects.
 */
export function postChat(
  gateway: GatewayProcess,
  requestId: string,
  content: string,
  onComplete?: (outcome: ChatOutcome) => void,
): Promise<ChatOutcome> {
  const payload = JSON.stringify({ model: 'chat', messages: [{ role: 'user', content }] });
  return new Promise((resolveOutcome) => {
    let settled = false;
    const settle = (outcome: ChatOutcome): void => {
      if (settled) return;
      settled = true;
      if (outcome.status !== 0) onComplete?.(outcome);
      resolveOutcome(outcome);
    };
    const req = httpRequest(
      `${gateway.url}/v1/chat/completions`,
      {
        method: 'POST',
        agent: gateway.agent,
        timeout: 20_000,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(payload),
          'x-request-id': requestId,
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.once('error', (error) =>
          settle({ status: 0, requestId, content, transportError: error.message }),
        );
        response.once('aborted', () => settle({ status: 0, requestId, content, transportError: 'aborted' }));
        response.once('end', () => {
          if (!response.complete) {
            settle({ status: 0, requestId, content, transportError: 'incomplete response' });
            return;
          }
          const text = Buffer.concat(chunks).toString('utf8');
          let error: Record<string, unknown> | undefined;
          try {
            error = (JSON.parse(text) as { error?: Record<string, unknown> }).error;
          } catch {
            error = undefined;
          }
          settle({
            status: response.statusCode ?? 0,
            requestId,
            content,
            dlqId: typeof error?.dlq_id === 'string' ? error.dlq_id : undefined,
            failureClass: typeof error?.failure_class === 'string' ? error.failure_class : undefined,
            errorType: typeof error?.type === 'string' ? error.type : undefined,
          });
        });
      },
    );
    req.once('error', (error) => settle({ status: 0, requestId, content, transportError: error.message }));
    req.once('timeout', () => req.destroy(new Error('client timeout')));
    req.end(payload);
  });
}

/**
 * Sends `total` chat requests, `concurrency` at a time, and SIGKILLs the gateway once `killAfter`
 * answers arrived: in that very tick when `killDelayMs` is 0, that many ms later otherwise. Bounded in
 * count: once the gateway is gone, every call left fails at once (connection refused).
 */
export async function loadUntilKilled(
  gateway: GatewayProcess,
  options: {
    total: number;
    concurrency: number;
    killAfter: number;
    killDelayMs: number;
    /** The x-request-id and the message content of request `index`. */
    request: (index: number) => { requestId: string; content: string };
  },
): Promise<{ outcomes: ChatOutcome[]; killed: boolean }> {
  const { total, concurrency, killAfter, killDelayMs } = options;
  const outcomes: ChatOutcome[] = [];
  let answered = 0;
  let killed = false;
  const onComplete = (): void => {
    answered++;
    if (killed || answered < killAfter) return;
    killed = true;
    if (killDelayMs === 0) gateway.kill();
    else setTimeout(() => gateway.kill(), killDelayMs);
  };
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < total) {
      const { requestId, content } = options.request(next++);
      outcomes.push(await postChat(gateway, requestId, content, onComplete));
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { outcomes, killed };
}

/** What the SQLite file holds after a crash, read from a copy so the original stays untouched. */
export interface DlqFileCheck {
  integrity: string;
  rows: number;
  ids: Set<string>;
  /** Distinct request ids among the rows. */
  requestIds: number;
  walBytes: number;
}

/**
 * Copies dlq.sqlite and its -wal (not the -shm: the WAL index is rebuilt from the log, so this reads
 * exactly what is on disk), opens the copy with node:sqlite and runs PRAGMA integrity_check. The
 * original files are left as the killed process left them, for the restart to recover.
 */
export function inspectDlqFile(dbPath: string): DlqFileCheck {
  if (!existsSync(dbPath)) throw new Error(`${dbPath} does not exist`);
  const dir = mkdtempSync(join(tmpdir(), 'cortex-dlq-copy-'));
  try {
    const copy = join(dir, 'dlq.sqlite');
    copyFileSync(dbPath, copy);
    let walBytes = 0;
    if (existsSync(`${dbPath}-wal`)) {
      copyFileSync(`${dbPath}-wal`, `${copy}-wal`);
      walBytes = statSync(`${copy}-wal`).size;
    }
    const db = new DatabaseSync(copy);
    try {
      const checks = db.prepare('PRAGMA integrity_check').all() as Array<{ integrity_check: string }>;
      const rows = db.prepare('SELECT id, body FROM dlq_records').all() as Array<{
        id: string;
        body: string;
      }>;
      const requestIds = new Set(
        rows.map((row) => (JSON.parse(row.body) as { requestId: string }).requestId),
      );
      return {
        integrity: checks.map((check) => check.integrity_check).join('; '),
        rows: rows.length,
        ids: new Set(rows.map((row) => row.id)),
        requestIds: requestIds.size,
        walBytes,
      };
    } finally {
      db.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The project's seeded source (mulberry32), as a plain function for the load loops here. */
export function seededRandom(seed: number): () => number {
  const random = new SeededRandom(seed);
  return () => random.next();
}
