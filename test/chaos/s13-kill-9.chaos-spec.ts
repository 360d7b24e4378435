import { startSimulator, type SimulatorHandle } from '../../src/simulator';
import { COMPRESSED_PROFILE } from '../support/chaos-harness';
import {
  assertNoSurvivors,
  type ChatOutcome,
  GatewayProcess,
  inspectDlqFile,
  isAlive,
  killAllGateways,
  loadUntilKilled,
  seededRandom,
} from '../support/gateway-process';
import { chainSections, STAGE_TIMEOUTS } from '../support/simulator-config';

/**
 * S13 kill -9: S12's load (A, B, C all answer 500; the compressed profile, so the breakers trip and
 * the 502s turn into fast 503s), SIGKILL at a seeded random moment, restart on the same data
 * directory; 10 times. Every dlq_id any client ever received is in the queue after each restart,
 * the SQLite file passes integrity_check after each kill, and each restart is ready in < 3 s.
 *
 * One data directory for all 10 cycles: every restart recovers a file a kill -9 left behind, and the
 * ids of earlier cycles must still be there after later kills.
 */
const PROVIDERS = ['a', 'b', 'c'];
const CYCLES = 10;
const REQUESTS_PER_CYCLE = 150;
const CONCURRENCY = 8;
const SEED = 13_0009;
const READY_BOUND_MS = 3000;

interface Cycle {
  killAfter: number;
  killDelayMs: number;
  received: number;
  cutOff: number;
  status502: number;
  status503: number;
  rowsAfterKill: number;
  readyMs: number;
}

describe('S13 kill -9 (S12 load, SIGKILL at a random moment, restart; 10 times)', () => {
  let simulator: SimulatorHandle;
  let gateway: GatewayProcess;

  beforeAll(async () => {
    simulator = await startSimulator({ port: 0 });
    for (const name of PROVIDERS) {
      await simulator.declareProvider({ name, flavour: 'openai' });
      await simulator.setFaults(name, { rules: [{ status: 500 }] });
    }
    gateway = new GatewayProcess({
      config: {
        ...chainSections(simulator, PROVIDERS, () => STAGE_TIMEOUTS),
        resilience: COMPRESSED_PROFILE,
        // Every record of the 10 cycles stays (no eviction), so "every id ever received" is checkable.
        dlq: { store: 'sqlite', max_size: 100_000 },
      },
    });
  });

  afterAll(async () => {
    await killAllGateways();
    await simulator?.close();
    // No orphans: every gateway process this file spawned is gone.
    assertNoSurvivors();
  });

  it(`${CYCLES} kill -9 cycles: 0 received dlq_ids missing, integrity ok, restart ready < ${READY_BOUND_MS} ms`, async () => {
    const random = seededRandom(SEED);
    const firstStartMs = await gateway.start();
    // Every answer any client received, over all cycles, by dlq_id.
    const everReceived = new Map<string, ChatOutcome>();
    const cycles: Cycle[] = [];
    let inFlightAtKills = 0;

    for (let cycle = 0; cycle < CYCLES; cycle++) {
      // The kill: once `killAfter` answers arrived in this cycle, in that very tick or a few ms later.
      const killAfter = 5 + Math.floor(random() * (REQUESTS_PER_CYCLE - 20));
      const killDelayMs = random() < 0.4 ? 0 : 1 + Math.floor(random() * 10);
      const pid = gateway.pid!;
      const { outcomes, killed } = await loadUntilKilled(gateway, {
        total: REQUESTS_PER_CYCLE,
        concurrency: CONCURRENCY,
        killAfter,
        killDelayMs,
        request: (index) => ({
          requestId: `s13-c${cycle}-r${index}`,
          content: `s13 cycle ${cycle} request ${index}`,
        }),
      });
      await gateway.exited();
      expect({ cycle, killed, ...gateway.exitStatus }).toEqual({
        cycle,
        killed: true,
        code: null,
        signal: 'SIGKILL',
      });
      expect(isAlive(pid)).toBe(false);
      inFlightAtKills += CONCURRENCY;

      // What the clients got: the contract's 502 / 503, each with its own dlq_id; the rest broke with the kill.
      const whole = outcomes.filter((outcome) => outcome.status !== 0);
      for (const outcome of whole) {
        if (outcome.status === 502) {
          expect(outcome).toMatchObject({ errorType: 'upstream_error', failureClass: 'service_unavailable' });
        } else {
          expect(outcome).toMatchObject({
            status: 503,
            errorType: 'service_unavailable',
            failureClass: 'circuit_open',
          });
        }
        expect(outcome.dlqId).toMatch(/^dlq_[0-9a-f]{32}$/);
        expect(everReceived.has(outcome.dlqId!)).toBe(false);
        everReceived.set(outcome.dlqId!, outcome);
      }
      expect(whole.length).toBeGreaterThanOrEqual(killAfter);

      // The file the kill left: intact, and it holds every id ever received (a copy is read; the
      // original is left for the restart to recover).
      const file = inspectDlqFile(gateway.dbPath);
      expect({ cycle, integrity: file.integrity }).toEqual({ cycle, integrity: 'ok' });
      const missingInFile = [...everReceived.keys()].filter((id) => !file.ids.has(id));
      expect({ cycle, missingInFile }).toEqual({ cycle, missingInFile: [] });
      // At most the requests in flight at each kill were recorded without their answer arriving.
      expect(file.rows).toBeGreaterThanOrEqual(everReceived.size);
      expect(file.rows).toBeLessThanOrEqual(everReceived.size + inFlightAtKills);
      expect(file.requestIds).toBe(file.rows);

      // Restart on the same data directory; ready (GET /v1/models 200) within the bound.
      const readyMs = await gateway.start();
      expect({ cycle, readyUnderBound: readyMs < READY_BOUND_MS, readyMs }).toMatchObject({
        cycle,
        readyUnderBound: true,
      });

      // This cycle's ids, one by one through the admin API, with the request and failure they belong to.
      const missing: string[] = [];
      for (const outcome of whole) {
        const { status, body } = await gateway.admin(`/admin/dlq/${outcome.dlqId}`);
        if (status === 404) {
          missing.push(outcome.dlqId!);
          continue;
        }
        expect(status).toBe(200);
        expect(body).toMatchObject({
          id: outcome.dlqId,
          request_id: outcome.requestId,
          failure_class: outcome.failureClass,
          status: outcome.status,
          request: { model: 'chat', messages: [{ role: 'user', content: outcome.content }] },
        });
      }
      expect({ cycle, missing }).toEqual({ cycle, missing: [] });

      cycles.push({
        killAfter,
        killDelayMs,
        received: whole.length,
        cutOff: REQUESTS_PER_CYCLE - whole.length,
        status502: whole.filter((outcome) => outcome.status === 502).length,
        status503: whole.filter((outcome) => outcome.status === 503).length,
        rowsAfterKill: file.rows,
        readyMs: Math.round(readyMs),
      });
    }

    // After the last restart: every id of all 10 cycles is listed, once; one record per failed request.
    const stored = await gateway.listAll();
    const storedIds = new Set(stored.map((record) => record.id as string));
    const storedRequests = new Set(stored.map((record) => record.request_id as string));
    expect(storedIds.size).toBe(stored.length);
    expect(storedRequests.size).toBe(stored.length);
    expect([...everReceived.keys()].filter((id) => !storedIds.has(id))).toEqual([]);
    for (const record of stored) expect(record.request_id).toMatch(/^s13-c\d+-r\d+$/);
    const { body: stats } = await gateway.admin('/admin/dlq/stats');
    expect(stats).toMatchObject({ store: 'sqlite', current_size: stored.length, total_added: stored.length });
    // Both answers of S12 occurred: failed upstream calls (502) and, once the breakers opened, 503s.
    expect(cycles.reduce((sum, cycle) => sum + cycle.status502, 0)).toBeGreaterThan(0);
    expect(cycles.reduce((sum, cycle) => sum + cycle.status503, 0)).toBeGreaterThan(0);

    // The first start and one per kill.
    expect(gateway.readyTimesMs).toHaveLength(CYCLES + 1);

    const ready = cycles.map((cycle) => cycle.readyMs);
    console.log(
      `S13: seed ${SEED}; first start ${Math.round(firstStartMs)} ms; restart to ready ms ${JSON.stringify(ready)} ` +
        `(max ${Math.max(...ready)}); ${everReceived.size} dlq_ids received, ${stored.length} stored\n` +
        cycles
          .map(
            (cycle, index) =>
              `  cycle ${index}: kill after ${cycle.killAfter} (+${cycle.killDelayMs} ms), received ${cycle.received} ` +
              `(502: ${cycle.status502}, 503: ${cycle.status503}), cut off ${cycle.cutOff}, rows after kill ${cycle.rowsAfterKill}, ` +
              `ready ${cycle.readyMs} ms`,
          )
          .join('\n'),
    );
  }, 55_000);
});
