import { PassThrough } from 'node:stream';
import { AttemptScope } from './attempt-scope';
import type { ChatCompletionChunk } from './chat.types';
import { ChunkWriter } from './chunk-writer';
import type { StreamDecoder, StreamEvent } from './protocol-codec';
import { type OpenedStream, type StreamAttempt, UpstreamStream } from './upstream-stream';

/** One event per line; `END` is the upstream's terminal marker. */
class LineFramer {
  feed(part: Buffer): readonly StreamEvent[] {
    return part
      .toString()
      .split('\n')
      .filter((line) => line !== '')
      .map((data) => ({ data }));
  }
  end(): readonly StreamEvent[] {
    return [];
  }
}

/** A chunk per event carrying its text; throws on `BAD`; `END` sets done. */
class TextDecoderStub implements StreamDecoder {
  done = false;
  push(event: StreamEvent): ChatCompletionChunk[] {
    if (event.data === 'END') {
      this.done = true;
      return [];
    }
    if (event.data === 'BAD') throw new Error('not a chunk');
    return [chunk(event.data)];
  }
  end(): ChatCompletionChunk[] {
    if (!this.done) throw new Error('ended early');
    return [];
  }
}

/** Chunks as the gateway writes them. */
const writer = new ChunkWriter({ id: 'c', created: 0, model: 'm', includeUsage: false });
const chunk = (content: string): ChatCompletionChunk => writer.chunk({ content });

const contents = (results: IteratorResult<ChatCompletionChunk>[]): Array<string | undefined> =>
  results.map((result) => (result.done ? undefined : (result.value.choices[0].delta.content ?? '')));

/** A stream over a PassThrough body, with the calls the attempt received. */
function setup(options: { openFails?: Error } = {}) {
  const body = new PassThrough();
  const outer = new AbortController();
  const calls = { begin: 0, open: 0, end: 0, failures: [] as unknown[] };
  let scope: AttemptScope | undefined;
  let answer: (opened: OpenedStream) => void = () => {};
  let refuse: (error: Error) => void = () => {};
  const attempt: StreamAttempt = {
    idleMs: 60_000,
    begin: () => {
      calls.begin++;
      scope = new AttemptScope(outer.signal);
      scope.arm('first_token', 60_000);
      return scope;
    },
    open: () => {
      calls.open++;
      return new Promise<OpenedStream>((resolve, reject) => {
        answer = resolve;
        refuse = reject;
        if (options.openFails) reject(options.openFails);
      });
    },
    failure: (_scope, error) => {
      calls.failures.push(error);
      return new Error(`classified: ${(error as Error).message}`);
    },
    end: (ended) => {
      calls.end++;
      ended.dispose();
    },
  };
  const stream = new UpstreamStream(attempt);
  const answerWithBody = (): void =>
    answer({ body, decoder: new TextDecoderStub(), framer: new LineFramer() });
  /** The first pull, the answer, then `lines` from the upstream; `first` is that first pull. */
  const pullThenSend = async (
    lines: string,
  ): Promise<{ first: Promise<IteratorResult<ChatCompletionChunk>> }> => {
    const first = stream.next();
    answerWithBody();
    await Promise.resolve();
    body.write(lines);
    return { first };
  };
  return {
    stream,
    body,
    calls,
    answerWithBody,
    pullThenSend,
    refuse: (error: Error) => refuse(error),
    scope: () => scope,
  };
}

describe('UpstreamStream', () => {
  it('sends nothing before the first pull, then relays the chunks in order and ends once', async () => {
    const { stream, body, calls, answerWithBody } = setup();
    expect(calls.begin).toBe(0);
    const first = stream.next();
    expect(calls).toMatchObject({ begin: 1, open: 1 });
    answerWithBody();
    await Promise.resolve();
    body.write('a\nb\n');
    const second = await first.then(async (result) => [result, await stream.next()]);
    body.end('END\n');
    expect(contents([...second, await stream.next()])).toEqual(['a', 'b', undefined]);
    expect(await stream.next()).toEqual({ done: true, value: undefined });
    expect(calls.end).toBe(1);
    expect(body.destroyed).toBe(true);
  });

  it('pauses the body while decoded chunks wait for a pull, and resumes it once they are taken', async () => {
    const { stream, body, pullThenSend } = setup();
    const { first } = await pullThenSend('a\nb\nc\n');
    await new Promise((resolve) => setImmediate(resolve));
    // `a` went to the waiting pull; `b` and `c` wait here, so the body stopped flowing.
    expect(body.isPaused()).toBe(true);
    expect(contents([await first, await stream.next()])).toEqual(['a', 'b']);
    expect(body.isPaused()).toBe(true);
    expect(contents([await stream.next()])).toEqual(['c']);
    expect(body.isPaused()).toBe(false);
  });

  it('delivers what was decoded before a body error, then the classified error, and releases once', async () => {
    const { stream, body, calls, pullThenSend } = setup();
    const { first } = await pullThenSend('a\nb\n');
    await first;
    body.destroy(Object.assign(new Error('reset'), { code: 'ECONNRESET' }));
    await new Promise((resolve) => setImmediate(resolve));
    expect(contents([await stream.next()])).toEqual(['b']);
    await expect(stream.next()).rejects.toThrow('classified: reset');
    await expect(stream.next()).rejects.toThrow('classified: reset');
    expect(calls.end).toBe(1);
  });

  it('fails on an event the decoder refuses, and destroys the body', async () => {
    const { body, calls, pullThenSend } = setup();
    const { first } = await pullThenSend('BAD\n');
    await expect(first).rejects.toThrow('classified: not a chunk');
    expect(body.destroyed).toBe(true);
    expect(calls.end).toBe(1);
  });

  it('ends cleanly when the upstream closes the connection after its end marker', async () => {
    const { stream, body, calls, pullThenSend } = setup();
    const { first } = await pullThenSend('a\nEND\n');
    expect(contents([await first])).toEqual(['a']);
    body.destroy();
    expect(await stream.next()).toEqual({ done: true, value: undefined });
    expect(calls.failures).toEqual([]);
    expect(calls.end).toBe(1);
  });

  it('reports a body closed before its end marker as a premature close', async () => {
    const { stream, body, calls, pullThenSend } = setup();
    const { first } = await pullThenSend('a\n');
    await first;
    body.destroy();
    await expect(stream.next()).rejects.toThrow('classified: Premature close');
    expect(calls.failures).toEqual([expect.objectContaining({ code: 'ERR_STREAM_PREMATURE_CLOSE' })]);
  });

  it('return() destroys the body and releases the attempt once; later pulls are done', async () => {
    const { stream, body, calls, pullThenSend } = setup();
    const { first } = await pullThenSend('a\nb\n');
    await first;
    expect(await stream.return()).toEqual({ done: true, value: undefined });
    expect(body.destroyed).toBe(true);
    expect(await stream.next()).toEqual({ done: true, value: undefined });
    expect(calls.end).toBe(1);
    expect(calls.failures).toEqual([]);
  });

  it('return() while the request is being answered aborts the request', async () => {
    const { stream, calls, scope, refuse } = setup();
    const first = stream.next();
    await stream.return();
    expect(scope()!.signal.aborted).toBe(true);
    expect(await first).toEqual({ done: true, value: undefined });
    // The aborted request's rejection changes nothing any more.
    refuse(new Error('aborted'));
    await Promise.resolve();
    expect(calls.end).toBe(1);
    expect(calls.failures).toEqual([]);
  });

  it('a request that fails before its answer rejects the pull with the classified error', async () => {
    const { stream, calls } = setup({ openFails: new Error('connect ECONNREFUSED') });
    await expect(stream.next()).rejects.toThrow('classified: connect ECONNREFUSED');
    expect(calls.end).toBe(1);
  });
});
