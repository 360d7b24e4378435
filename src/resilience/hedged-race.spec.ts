import { once } from 'node:events';
import { createServer, connect, type AddressInfo, type Socket } from 'node:net';
import { HedgeLostError } from '../common/request-aborted';
import { hedgedRace, type RaceBranch } from './hedged-race';

/** A branch that answers `value` after `ms`, or rejects with the abort reason when aborted first. */
function branch<T>(ms: number, value: T | undefined, log: string[], name: string): RaceBranch<T> {
  return (signal) =>
    new Promise((resolve, reject) => {
      log.push(`${name} start`);
      const timer = setTimeout(() => {
        log.push(`${name} done`);
        resolve(value);
      }, ms);
      signal.addEventListener('abort', () => {
        clearTimeout(timer);
        log.push(`${name} aborted`);
        reject(signal.reason as Error);
      });
    });
}

describe(hedgedRace.name, () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('does not hedge a primary that answers in time', async () => {
    const log: string[] = [];
    const race = hedgedRace(
      branch(50, 'a', log, 'a'),
      branch(10, 'b', log, 'b'),
      100,
      new AbortController().signal,
      () => true,
    );
    await jest.advanceTimersByTimeAsync(60);
    await expect(race).resolves.toEqual({ value: 'a', hedged: false });
    expect(log).toEqual(['a start', 'a done']);
  });

  it('starts the twin after the delay; the first answer wins and the loser is aborted with HedgeLostError', async () => {
    const log: string[] = [];
    const reasons: unknown[] = [];
    const slow: RaceBranch<string> = (signal) => {
      signal.addEventListener('abort', () => reasons.push(signal.reason));
      return branch(1000, 'a', log, 'a')(signal);
    };
    const race = hedgedRace(slow, branch(30, 'b', log, 'b'), 100, new AbortController().signal, () => true);
    await jest.advanceTimersByTimeAsync(131);
    await expect(race).resolves.toEqual({ value: 'b', hedged: true });
    expect(log).toEqual(['a start', 'b start', 'b done', 'a aborted']);
    expect(reasons[0]).toBeInstanceOf(HedgeLostError);
    // The losing primary is known to be slower than the hedge delay, and no more than that.
    expect((reasons[0] as HedgeLostError).slowerThanMs).toBe(100);
  });

  it('aborts a losing twin with no latency bound (it says nothing about its own latency)', async () => {
    const log: string[] = [];
    const reasons: unknown[] = [];
    const twin: RaceBranch<string> = (signal) => {
      signal.addEventListener('abort', () => reasons.push(signal.reason));
      return branch(1000, 'b', log, 'b')(signal);
    };
    const race = hedgedRace(branch(150, 'a', log, 'a'), twin, 100, new AbortController().signal, () => true);
    await jest.advanceTimersByTimeAsync(151);
    await expect(race).resolves.toEqual({ value: 'a', hedged: true });
    expect(log).toEqual(['a start', 'b start', 'a done', 'b aborted']);
    expect(reasons[0]).toBeInstanceOf(HedgeLostError);
    expect((reasons[0] as HedgeLostError).slowerThanMs).toBeUndefined();
  });

  it('does not hedge when the budget says no', async () => {
    const log: string[] = [];
    const race = hedgedRace(
      branch(300, 'a', log, 'a'),
      branch(10, 'b', log, 'b'),
      100,
      new AbortController().signal,
      () => false,
    );
    await jest.advanceTimersByTimeAsync(300);
    await expect(race).resolves.toEqual({ value: 'a', hedged: false });
    expect(log).toEqual(['a start', 'a done']);
  });

  it('falls back at once when the primary gives up before the hedge is due', async () => {
    const log: string[] = [];
    const race = hedgedRace(
      branch(20, undefined, log, 'a'),
      branch(10, 'b', log, 'b'),
      100,
      new AbortController().signal,
      () => true,
    );
    await jest.advanceTimersByTimeAsync(20);
    await expect(race).resolves.toEqual({ hedged: false });
    await jest.advanceTimersByTimeAsync(200);
    expect(log).toEqual(['a start', 'a done']);
  });

  it('waits for the twin when the primary gives up after the hedge started', async () => {
    const log: string[] = [];
    const race = hedgedRace(
      branch(150, undefined, log, 'a'),
      branch(100, 'b', log, 'b'),
      100,
      new AbortController().signal,
      () => true,
    );
    await jest.advanceTimersByTimeAsync(250);
    await expect(race).resolves.toEqual({ value: 'b', hedged: true });
  });

  it('passes a late second answer to discard', async () => {
    const log: string[] = [];
    const discarded: string[] = [];
    // The loser ignores its abort and answers anyway (its call had already completed).
    const stubborn: RaceBranch<string> = () =>
      new Promise((resolve) => setTimeout(() => resolve('late'), 120));
    const race = hedgedRace(
      stubborn,
      branch(10, 'b', log, 'b'),
      100,
      new AbortController().signal,
      () => true,
      (v) => discarded.push(v),
    );
    await jest.advanceTimersByTimeAsync(200);
    await expect(race).resolves.toEqual({ value: 'b', hedged: true });
    expect(discarded).toEqual(['late']);
  });

  it('ends the race with a branch error other than HedgeLostError, aborting the other', async () => {
    const log: string[] = [];
    const failing: RaceBranch<string> = () =>
      new Promise((_, reject) => setTimeout(() => reject(new Error('bad request')), 150));
    const race = hedgedRace(
      failing,
      branch(500, 'b', log, 'b'),
      100,
      new AbortController().signal,
      () => true,
    );
    const settled = expect(race).rejects.toThrow('bad request');
    await jest.advanceTimersByTimeAsync(151);
    await settled;
    expect(log).toEqual(['b start', 'b aborted']);
  });

  describe('after an event-loop stall (real timers and sockets)', () => {
    let server: ReturnType<typeof createServer>;
    let client: Socket;
    let served: Socket;

    beforeEach(async () => {
      jest.useRealTimers();
      server = createServer();
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      client = connect((server.address() as AddressInfo).port, '127.0.0.1');
      [served] = (await once(server, 'connection')) as [Socket];
      await once(client, 'connect');
    });

    afterEach(async () => {
      client.destroy();
      served.destroy();
      await new Promise((resolve) => server.close(resolve));
    });

    it('does not hedge a primary whose answer arrived during the stall', async () => {
      let twinStarted = false;
      const primary: RaceBranch<string> = () =>
        new Promise((resolve) => client.once('data', (chunk: Buffer) => resolve(chunk.toString())));
      const twin: RaceBranch<string> = () => {
        twinStarted = true;
        return new Promise(() => {});
      };
      const race = hedgedRace(primary, twin, 20, new AbortController().signal, () => true);
      // The answer reaches the socket at once, but the loop is blocked past the hedge delay: when
      // it resumes, the hedge timer is due before the socket is read.
      served.write('a');
      const stalledUntil = Date.now() + 60;
      while (Date.now() < stalledUntil);
      await expect(race).resolves.toEqual({ value: 'a', hedged: false });
      expect(twinStarted).toBe(false);
    });
  });
});
