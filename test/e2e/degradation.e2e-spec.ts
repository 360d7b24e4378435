import { EventEmitter2 } from '@nestjs/event-emitter';
import {
  CortexEvent,
  type DegradationLevelChangedEvent,
  type RequestShedEvent,
} from '../../src/common/events';
import { RandomSource, SeededRandom } from '../../src/common/random';
import { HealthMonitor } from '../../src/monitoring/health-monitor.service';
import { ResilienceState } from '../../src/resilience/resilience-state.service';
import { startSimulator, type SimulatorHandle } from '../../src/simulator';
import {
  ADMIN_TOKEN,
  adminCall,
  type ChatResult,
  formatTable,
  healthCheck,
  KEYS,
  MAX_CONCURRENT,
  MODEL,
  PROVIDERS,
  RETRY_AFTER_SECONDS,
  sendChat,
  setDown,
  startDegradationStage,
  type Tier,
} from '../support/degradation-stage';
import type { RunningGateway } from '../support/gateway-harness';

/**
 * Degradation against the simulator: four providers a..d behind one model, premium and normal
 * clients, the level driven by health checks. The test emits CortexEvent.HealthChecked itself, with
 * the deployment health of what it broke in the simulator: the very event the scheduled health
 * checks emit, so production takes the same path (their interval is set out of the way).
 */
describe('degradation and load shedding (end to end)', () => {
  let simulator: SimulatorHandle;
  let gateway: RunningGateway;
  let state: ResilienceState;
  const levelChanges: DegradationLevelChangedEvent[] = [];
  const shed: RequestShedEvent[] = [];

  beforeAll(async () => {
    simulator = await startSimulator({ port: 0 });
    gateway = await startDegradationStage(simulator, { degrade_below: { critical: 0.3 } });
    state = gateway.app.get(ResilienceState);
    const emitter = gateway.app.get(EventEmitter2);
    emitter.on(CortexEvent.DegradationLevelChanged, (event: DegradationLevelChangedEvent) =>
      levelChanges.push(event),
    );
    emitter.on(CortexEvent.RequestShed, (event: RequestShedEvent) => shed.push(event));
    // Shedding draws from the application's random source: seeded here, so the run replays.
    const seeded = new SeededRandom(2024);
    jest.spyOn(gateway.app.get(RandomSource), 'next').mockImplementation(() => seeded.next());
  });
  afterAll(async () => {
    await gateway?.close();
    await simulator?.close();
  });

  const chat = (tier: Tier, body?: Record<string, unknown>) => sendChat(gateway, KEYS[tier], body);
  const admin = (method: string, body?: unknown, token = ADMIN_TOKEN) =>
    adminCall(gateway, method, body, token);

  async function level(): Promise<{ level: string; healthy_share: number | null }> {
    return (await (await admin('GET')).json()) as { level: string; healthy_share: number | null };
  }

  /** Opens the breakers of the broken providers, as real traffic does before a health check notices. */
  async function tripBreakers(broken: string[]): Promise<void> {
    for (let i = 0; i < 60 && broken.some((p) => state.breakers.get(p, MODEL).state !== 'open'); i++) {
      await chat('premium');
    }
    expect(broken.map((p) => state.breakers.get(p, MODEL).state)).toEqual(broken.map(() => 'open'));
  }

  /** 300 normal and 60 premium requests, interleaved, one at a time; the share admitted per tier. */
  async function measure() {
    const results: Array<{ tier: Tier; result: ChatResult }> = [];
    for (let i = 0; i < 360; i++) {
      const tier: Tier = i % 6 === 5 ? 'premium' : 'normal';
      results.push({ tier, result: await chat(tier) });
    }
    for (const { result } of results) {
      // Admitted means served: anything else is a shed 503 exactly as CONTRACT §2 says.
      if (result.status !== 200) {
        expect(result.status).toBe(503);
        expect(result.retryAfter).toBe(String(RETRY_AFTER_SECONDS));
        expect(result.body.error).toMatchObject({ type: 'service_unavailable', code: 'load_shed' });
      }
    }
    const of = (tier: Tier) => results.filter((entry) => entry.tier === tier).map((entry) => entry.result);
    const admitted = (tier: Tier) =>
      of(tier).filter((result) => result.status === 200).length / of(tier).length;
    const shedCount = results.filter((entry) => entry.result.status === 503).length;
    return {
      premium: admitted('premium'),
      normal: admitted('normal'),
      premiumResults: of('premium'),
      shedCount,
    };
  }

  it('walks 4/4, 2/4, 1/4, 2/4, 3/4, 4/4 healthy: levels with hysteresis, and the admitted share per tier at each', async () => {
    const table: Array<Record<string, string | number>> = [];
    const step = async (label: string, down: string[], expected: string, health: [string, number]) => {
      // The real scheduled check (probes, breakers, key pools) drives the level, as in production.
      const snapshot = await gateway.app.get(HealthMonitor).runCheck();
      expect(
        snapshot.deployments
          .filter((deployment) => !deployment.healthy)
          .map((d) => d.provider)
          .sort(),
      ).toEqual([...down].sort());
      expect(await level()).toEqual(
        expect.objectContaining({ level: expected, healthy_share: (4 - down.length) / 4 }),
      );
      // Kubernetes' view at this step: ready while one provider is usable; /health 503 only when critical.
      const detailed = await fetch(`${gateway.url}/health`);
      const body = (await detailed.json()) as { status: string; degradation_level: string };
      expect([body.status, detailed.status]).toEqual(health);
      expect(body.degradation_level).toBe(expected);
      expect((await fetch(`${gateway.url}/health/ready`)).status).toBe(200);
      expect((await fetch(`${gateway.url}/health/live`)).status).toBe(200);
      const shedBefore = shed.length;
      const admitted = await measure();
      const shedNow = shed.slice(shedBefore);
      table.push({
        step: label,
        healthy: `${4 - down.length}/4`,
        level: expected,
        premium_admitted: admitted.premium,
        normal_admitted: Number(admitted.normal.toFixed(3)),
        shed_premium: shedNow.filter((event) => event.tier === 'premium').length,
        shed_normal: shedNow.filter((event) => event.tier === 'normal').length,
      });
      // Every shed request was announced once, with its tier and the level.
      expect(shedNow.every((event) => event.level === expected && event.reason === 'acceptance')).toBe(true);
      expect(shedNow).toHaveLength(admitted.shedCount);
      return admitted;
    };

    const healthy = await step('all up', [], 'healthy', ['healthy', 200]);
    expect([healthy.premium, healthy.normal]).toEqual([1, 1]);

    await setDown(simulator, ['a', 'b']);
    await tripBreakers(['a', 'b']);
    const minorDown = await step('a, b down', ['a', 'b'], 'minor_issues', ['warning', 200]);
    expect([minorDown.premium, minorDown.normal]).toEqual([1, 1]);

    await setDown(simulator, ['a', 'b', 'c']);
    await tripBreakers(['c']);
    const critical = await step('a, b, c down', ['a', 'b', 'c'], 'critical', ['critical', 503]);
    // About 70% of normal requests shed; every premium one served, by the one provider left.
    expect(Math.abs(critical.normal - 0.3)).toBeLessThanOrEqual(0.08);
    expect(critical.premium).toBe(1);
    expect(critical.premiumResults.map((result) => result.provider)).toEqual(
      critical.premiumResults.map(() => 'd'),
    );

    await bringBack(['a']);
    // 0.5 >= recover_above.critical 0.4, but < recover_above.major_issues 0.7: major_issues, where the
    // same share on the way down was minor_issues.
    const major = await step('a back', ['b', 'c'], 'major_issues', ['warning', 200]);
    expect(major.premium).toBe(1);
    expect(Math.abs(major.normal - 0.7)).toBeLessThanOrEqual(0.08);

    await bringBack(['b']);
    // 0.75 < recover_above.minor_issues 0.9: not healthy yet.
    const minorUp = await step('b back', ['c'], 'minor_issues', ['warning', 200]);
    expect([minorUp.premium, minorUp.normal]).toEqual([1, 1]);

    await bringBack(['c']);
    const recovered = await step('c back', [], 'healthy', ['healthy', 200]);
    expect([recovered.premium, recovered.normal]).toEqual([1, 1]);

    console.log(
      `admitted share per tier at each level (300 normal, 60 premium requests per step)\n${formatTable(table)}`,
    );
    expect(
      levelChanges.filter((change) => change.cause === 'computed').map((change) => [change.from, change.to]),
    ).toEqual([
      ['healthy', 'minor_issues'],
      ['minor_issues', 'critical'],
      ['critical', 'major_issues'],
      ['major_issues', 'minor_issues'],
      ['minor_issues', 'healthy'],
    ]);
  });

  async function bringBack(providers: string[]): Promise<void> {
    for (const provider of providers) {
      await simulator.setFaults(provider, {});
      // What POST /admin/circuits/{name}/reset does: the breakers of this run stay open for 60 s.
      state.breakers.get(provider, MODEL).reset();
    }
  }

  it('guards the admin routes and validates PUT /admin/degradation, naming the field', async () => {
    expect((await admin('GET', undefined, '')).status).toBe(401);
    expect((await admin('GET', undefined, 'wrong-token-0000')).status).toBe(403);
    const cases: Array<[unknown, string, string]> = [
      [{ ttl_seconds: 60 }, 'level', 'missing_required_parameter'],
      [{ level: 'sunny', ttl_seconds: 60 }, 'level', 'invalid_value'],
      [{ level: 'critical' }, 'ttl_seconds', 'missing_required_parameter'],
      [{ level: 'critical', ttl_seconds: 0 }, 'ttl_seconds', 'invalid_value'],
      [{ level: 'critical', ttl_seconds: 86_401 }, 'ttl_seconds', 'invalid_value'],
      [{ level: 'critical', ttl_seconds: 60, reason: 'x' }, 'reason', 'invalid_value'],
    ];
    for (const [body, param, code] of cases) {
      const response = await admin('PUT', body);
      expect(response.status).toBe(400);
      expect(((await response.json()) as { error: unknown }).error).toMatchObject({
        type: 'invalid_request_error',
        param,
        code,
      });
    }
    const forced = await admin('PUT', { level: 'critical', ttl_seconds: 60 });
    expect(forced.status).toBe(200);
    const body = (await forced.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      level: 'critical',
      computed_level: 'healthy',
      forced: { level: 'critical' },
      acceptance: { premium: 1, normal: 0.3 },
      strategies: [
        'prefer_fast_providers',
        'reduce_timeouts',
        'cache_responses',
        'limit_concurrent_requests',
      ],
      concurrency: { in_flight: 0, limit: MAX_CONCURRENT },
    });
    const expiresIn = Date.parse((body.forced as { expires_at: string }).expires_at) - Date.now();
    expect(expiresIn).toBeGreaterThan(55_000);
    expect(expiresIn).toBeLessThanOrEqual(60_000);
    const cleared = await admin('DELETE');
    expect(cleared.status).toBe(200);
    expect(await cleared.json()).toMatchObject({ level: 'healthy', forced: null });
    expect(levelChanges.slice(-2).map((change) => [change.to, change.cause])).toEqual([
      ['critical', 'forced'],
      ['healthy', 'force_cleared'],
    ]);
  });

  it('answers deterministic requests from the cache from major_issues on, and only from it in emergency', async () => {
    const question = { temperature: 0, messages: [{ role: 'user', content: 'what is cached?' }] };
    const stored = await chat('premium', question); // healthy: served upstream and stored
    expect([stored.status, stored.cache]).toEqual([200, null]);
    await admin('PUT', { level: 'major_issues', ttl_seconds: 60 });
    const upstreamBefore = simulator.requests().length;
    const hit = await chat('premium', question);
    expect([hit.status, hit.cache, hit.attempts, hit.provider]).toEqual([200, 'hit', '0', stored.provider]);
    expect(hit.body.choices).toEqual(stored.body.choices);
    expect(simulator.requests()).toHaveLength(upstreamBefore);
    const miss = await chat('premium', { ...question, messages: [{ role: 'user', content: 'new one' }] });
    expect([miss.status, miss.cache]).toEqual([200, 'miss']);
    const notCacheable = await chat('premium', { messages: question.messages }); // no temperature 0
    expect([notCacheable.status, notCacheable.cache]).toEqual([200, null]);
    // Another client's identical request never sees this client's answer (normal is admitted at 70%).
    const otherClient: ChatResult[] = [];
    while (otherClient.filter((r) => r.status === 200).length < 2 && otherClient.length < 20) {
      otherClient.push(await chat('normal', question));
    }
    expect(otherClient.filter((r) => r.status === 200).map((r) => r.cache)).toEqual(['miss', 'hit']);

    await admin('PUT', { level: 'emergency', ttl_seconds: 60 });
    const upstreamAtEmergency = simulator.requests().length;
    const shedBefore = shed.length;
    const cachedAsked = [];
    for (let i = 0; i < 20; i++) cachedAsked.push(await chat('premium', question));
    const uncachedAsked = [];
    for (let i = 0; i < 10; i++) uncachedAsked.push(await chat('premium', { messages: question.messages }));
    const normalAsked = await chat('normal', question);
    // Premium is admitted half the time (acceptance 0.5); admitted, it gets the cached answer, or a
    // 503 when there is none. Normal is never admitted. Nothing at all goes upstream.
    expect(cachedAsked.filter((r) => r.status === 200).every((r) => r.cache === 'hit')).toBe(true);
    expect(cachedAsked.filter((r) => r.status === 200).length).toBeGreaterThan(0);
    expect(cachedAsked.filter((r) => r.status !== 200).every((r) => r.status === 503)).toBe(true);
    expect(uncachedAsked.map((r) => r.status)).toEqual(uncachedAsked.map(() => 503));
    expect(normalAsked.status).toBe(503);
    expect(simulator.requests()).toHaveLength(upstreamAtEmergency);
    const answered = [...cachedAsked, ...uncachedAsked, normalAsked];
    const shedAtEmergency = shed.slice(shedBefore);
    expect(shedAtEmergency).toHaveLength(answered.filter((r) => r.status === 503).length);
    // Only uncached requests that passed the acceptance draw meet return_cached_only.
    expect(shedAtEmergency.filter((event) => event.reason === 'cache_only').length).toBeGreaterThan(0);
    expect(
      shedAtEmergency.filter((event) => event.reason === 'cache_only').every((e) => e.tier === 'premium'),
    ).toBe(true);

    // Only the chat endpoint sheds: models and admin routes answer even in emergency (as do the
    // health routes, which are not on the chat controller either).
    expect(
      (await fetch(`${gateway.url}/v1/models`, { headers: { authorization: `Bearer ${KEYS.normal}` } }))
        .status,
    ).toBe(200);
    expect((await admin('GET')).status).toBe(200);
    await admin('DELETE');
  });

  it('caps concurrent requests at critical: beyond max_concurrent_requests in flight, 503', async () => {
    for (const provider of PROVIDERS) await simulator.setFaults(provider, { latency_ms: 400 });
    await admin('PUT', { level: 'critical', ttl_seconds: 60 });
    const shedBefore = shed.length;
    const results = await Promise.all(Array.from({ length: 10 }, () => chat('premium')));
    expect(results.filter((r) => r.status === 200)).toHaveLength(MAX_CONCURRENT);
    expect(results.filter((r) => r.status === 503)).toHaveLength(10 - MAX_CONCURRENT);
    expect(shed.slice(shedBefore).map((event) => event.reason)).toEqual(
      Array.from({ length: 10 - MAX_CONCURRENT }, () => 'concurrency_limit'),
    );
    // Every slot came back when its response closed.
    expect(await (await admin('GET')).json()).toMatchObject({ concurrency: { in_flight: 0 } });
    expect((await chat('premium')).status).toBe(200);
    await admin('DELETE');
    for (const provider of PROVIDERS) await simulator.setFaults(provider, {});
  });

  it('with the default thresholds: 4, 3, 2, 1, 0 of 4 healthy are healthy, minor, minor, major, emergency', async () => {
    const defaults = await startDegradationStage(simulator, {});
    try {
      const levels: string[] = [];
      for (const down of [[], ['a'], ['a', 'b'], ['a', 'b', 'c'], PROVIDERS]) {
        defaults.app.get(EventEmitter2).emit(CortexEvent.HealthChecked, healthCheck(new Set(down)));
        levels.push(((await (await adminCall(defaults, 'GET')).json()) as { level: string }).level);
      }
      expect(levels).toEqual(['healthy', 'minor_issues', 'minor_issues', 'major_issues', 'emergency']);
    } finally {
      await defaults.close();
    }
  });
});
