import { startSimulator, type SimulatorHandle } from '../../src/simulator';
import {
  assertNoSurvivors,
  type ChatOutcome,
  GatewayProcess,
  inspectDlqFile,
  isAlive,
  killAllGateways,
  loadUntilKilled,
  postChat,
  seededRandom,
} from '../support/gateway-process';
import { chainSections, STAGE_TIMEOUTS } from '../support/simulator-config';

/**
 * Durability of the dead letter queue (SQLite, WAL) against kill -9: a record is written before its
 * error response goes out, so every `error.dlq_id` a client received must survive the gateway being
 * SIGKILLed, even in the very tick that response arrived, and the file must pass integrity_check.
 *
 * The gateway runs as a real process (dist/main.js); the providers (A, B, C: 100% 500) run in the
 * simulator inside this test. One attempt per provider (no retries, no breaker trips) so each
 * request fails fast as a 502 after touching A, B and C.
 */
const PROVIDERS = ['a', 'b', 'c'];
const SEQUENTIAL = 30;
const BURST_TOTAL = 200;
const BURST_CONCURRENCY = 8;
const BURST_SEED = 0x5eed13;

function gatewayConfig(simulator: SimulatorHandle): Record<string, unknown> {
  return {
    ...chainSections(simulator, PROVIDERS, () => STAGE_TIMEOUTS),
    resilience: {
      request_timeout_ms: 10_000,
      max_attempts: 3,
      // Breakers never open here: every request really calls A, B and C and fails with a 502.
      circuit_breaker: { failure_threshold: 100_000, minimum_calls: 100_000 },
      retry: {
        rate_limit: { max_attempts: 1 },
        network: { max_attempts: 1 },
        server_error: { max_attempts: 1 },
      },
    },
    // Far above what these tests write: nothing is evicted.
    dlq: { store: 'sqlite', max_size: 100_000 },
  };
}

interface StoredRecord {
  id: string;
  request_id: string;
  failure_class: string;
  status: number;
  request: { model: string; messages: Array<{ role: string; content: string }>; stream: boolean };
  attempts: Array<{ provider: string }>;
  state: string;
}

describe('dead letter queue durability under kill -9 (gateway process, SQLite WAL)', () => {
  let simulator: SimulatorHandle;
  const gateways: GatewayProcess[] = [];

  beforeAll(async () => {
    simulator = await startSimulator({ port: 0 });
    for (const name of PROVIDERS) {
      await simulator.declareProvider({ name, flavour: 'openai' });
      await simulator.setFaults(name, { rules: [{ status: 500 }] });
    }
  });

  afterAll(async () => {
    await killAllGateways();
    await simulator?.close();
    // No orphans: every process this file spawned is gone.
    assertNoSurvivors();
  });

  function newGateway(): GatewayProcess {
    const gateway = new GatewayProcess({ config: gatewayConfig(simulator) });
    gateways.push(gateway);
    return gateway;
  }

  async function fetchRecord(gateway: GatewayProcess, id: string): Promise<StoredRecord | undefined> {
    const { status, body } = await gateway.admin(`/admin/dlq/${id}`);
    if (status === 404) return undefined;
    if (status !== 200) throw new Error(`GET /admin/dlq/${id}: ${status} ${JSON.stringify(body)}`);
    return body as unknown as StoredRecord;
  }

  it(`${SEQUENTIAL} sequential failures, SIGKILL in the tick the last error arrives: all ${SEQUENTIAL} records intact after restart`, async () => {
    const gateway = newGateway();
    await gateway.start();
    const runId = `seq-${Date.now().toString(36)}`;
    const outcomes: ChatOutcome[] = [];
    for (let index = 0; index < SEQUENTIAL; index++) {
      const last = index === SEQUENTIAL - 1;
      // The last response's handler kills the gateway synchronously, before anything else can run.
      const outcome = await postChat(gateway, `${runId}-${index}`, `durability ${runId} #${index}`, () => {
        if (last) gateway.kill();
      });
      outcomes.push(outcome);
    }
    const killedPid = gateway.pid!;
    await gateway.exited();
    expect(gateway.exitStatus).toEqual({ code: null, signal: 'SIGKILL' });
    expect(isAlive(killedPid)).toBe(false);

    // Every request got the contract's 502 with a dlq_id, all distinct.
    for (const outcome of outcomes) {
      expect(outcome).toMatchObject({
        status: 502,
        errorType: 'upstream_error',
        failureClass: 'service_unavailable',
      });
      expect(outcome.dlqId).toMatch(/^dlq_[0-9a-f]{32}$/);
    }
    const received = outcomes.map((outcome) => outcome.dlqId!);
    expect(new Set(received).size).toBe(SEQUENTIAL);

    // The file as the killed process left it (a copy, so the restart still recovers the original).
    const file = inspectDlqFile(gateway.dbPath);
    expect(file.integrity).toBe('ok');
    expect(file.rows).toBe(SEQUENTIAL);
    expect(received.filter((id) => !file.ids.has(id))).toEqual([]);

    // Restart on the same data directory: every record is served, with its failure and its request.
    const readyMs = await gateway.start();
    expect(readyMs).toBeLessThan(3000);
    for (const outcome of outcomes) {
      const record = await fetchRecord(gateway, outcome.dlqId!);
      expect(record).toBeDefined();
      expect(record).toMatchObject({
        id: outcome.dlqId,
        request_id: outcome.requestId,
        failure_class: outcome.failureClass,
        status: 502,
        state: 'pending',
        request: { model: 'chat', messages: [{ role: 'user', content: outcome.content }], stream: false },
      });
      expect(record!.attempts.map((attempt) => attempt.provider)).toEqual(PROVIDERS);
    }
    const { body: stats } = await gateway.admin('/admin/dlq/stats');
    expect(stats).toMatchObject({ store: 'sqlite', current_size: SEQUENTIAL, total_added: SEQUENTIAL });
    console.log(
      `sequential: ${received.length} dlq_ids received, ${file.rows} rows in the killed file ` +
        `(integrity ${file.integrity}, WAL ${file.walBytes} bytes), restart ready in ${Math.round(readyMs)} ms`,
    );
    await gateway.dispose();
  });

  it(`a burst of ${BURST_TOTAL} (${BURST_CONCURRENCY} in flight), SIGKILL at a seeded random moment: 0 received dlq_ids missing, 0 duplicates`, async () => {
    const random = seededRandom(BURST_SEED);
    // Kill once `killAfter` responses arrived, in that tick or a few ms later (seeded).
    const killAfter = 20 + Math.floor(random() * (BURST_TOTAL - 60));
    const killDelayMs = random() < 0.5 ? 0 : Math.floor(random() * 6);
    const gateway = newGateway();
    await gateway.start();
    const runId = `burst-${Date.now().toString(36)}`;
    const { outcomes, killed } = await loadUntilKilled(gateway, {
      total: BURST_TOTAL,
      concurrency: BURST_CONCURRENCY,
      killAfter,
      killDelayMs,
      request: (index) => ({ requestId: `${runId}-${index}`, content: `burst ${runId} #${index}` }),
    });
    await gateway.exited();
    expect(killed).toBe(true);
    expect(gateway.exitStatus.signal).toBe('SIGKILL');

    // What clients received: whole error responses each with its own dlq_id; the rest broke with the kill.
    const answered = outcomes.filter((outcome) => outcome.status !== 0);
    for (const outcome of answered) {
      expect(outcome).toMatchObject({ status: 502, failureClass: 'service_unavailable' });
      expect(outcome.dlqId).toMatch(/^dlq_[0-9a-f]{32}$/);
    }
    const received = answered.map((outcome) => outcome.dlqId!);
    expect(received.length).toBeGreaterThanOrEqual(killAfter);
    expect(new Set(received).size).toBe(received.length);
    expect(outcomes).toHaveLength(BURST_TOTAL);

    const file = inspectDlqFile(gateway.dbPath);
    expect(file.integrity).toBe('ok');
    expect(received.filter((id) => !file.ids.has(id))).toEqual([]);
    // Records written for requests whose answer the kill cut off may be there too, never more than sent.
    expect(file.rows).toBeGreaterThanOrEqual(received.length);
    expect(file.rows).toBeLessThanOrEqual(received.length + BURST_CONCURRENCY);
    expect(file.requestIds).toBe(file.rows);

    const readyMs = await gateway.start();
    expect(readyMs).toBeLessThan(3000);
    const missing: string[] = [];
    for (const outcome of answered) {
      const record = await fetchRecord(gateway, outcome.dlqId!);
      if (!record) {
        missing.push(outcome.dlqId!);
        continue;
      }
      expect(record).toMatchObject({
        request_id: outcome.requestId,
        failure_class: outcome.failureClass,
        request: { messages: [{ role: 'user', content: outcome.content }] },
      });
    }
    expect(missing).toEqual([]);
    // No duplicates: one record per failed request, distinct ids, and the listing agrees with the file.
    const stored = await gateway.listAll();
    const storedIds = new Set(stored.map((record) => record.id as string));
    const storedRequests = new Set(stored.map((record) => record.request_id as string));
    expect(storedIds.size).toBe(stored.length);
    expect(storedRequests.size).toBe(stored.length);
    expect(stored.length).toBe(file.rows);
    expect([...storedRequests].every((id) => id.startsWith(`${runId}-`))).toBe(true);
    const { body: stats } = await gateway.admin('/admin/dlq/stats');
    expect(stats).toMatchObject({ current_size: stored.length, total_added: stored.length });
    console.log(
      `burst: seed ${BURST_SEED}, kill after ${killAfter} answers (+${killDelayMs} ms): ${received.length} dlq_ids received, ` +
        `${file.rows} stored, ${BURST_TOTAL - answered.length} requests cut off, restart ready in ${Math.round(readyMs)} ms`,
    );
    await gateway.dispose();
  });
});
