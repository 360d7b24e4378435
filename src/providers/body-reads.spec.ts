import { PassThrough } from 'node:stream';
import { BodyReads } from './body-reads';

const text = (part: Buffer | null): string | null => (part === null ? null : part.toString());

describe('BodyReads', () => {
  it('hands over each read in order, then null at the end', async () => {
    const body = new PassThrough();
    const reads = new BodyReads(body);
    const first = reads.next();
    body.write('a');
    expect(text(await first)).toBe('a');
    body.write('b');
    body.end();
    expect(text(await reads.next())).toBe('b');
    expect(await reads.next()).toBeNull();
    expect(await reads.next()).toBeNull();
  });

  it('pauses the body while a read waits for the consumer, and resumes it once the consumer caught up', async () => {
    const body = new PassThrough();
    const reads = new BodyReads(body);
    body.write('a');
    body.write('b');
    await new Promise((resolve) => setImmediate(resolve));
    // Nobody asked: the first read waits here and the body stops flowing (the second stays in it).
    expect(body.isPaused()).toBe(true);
    expect(text(await reads.next())).toBe('a');
    expect(body.isPaused()).toBe(false);
    expect(text(await reads.next())).toBe('b');
    body.end();
    expect(await reads.next()).toBeNull();
  });

  it('delivers what it holds before reporting the end', async () => {
    const body = new PassThrough();
    const reads = new BodyReads(body);
    body.end('last');
    await new Promise((resolve) => setImmediate(resolve));
    expect(text(await reads.next())).toBe('last');
    expect(await reads.next()).toBeNull();
  });

  it('rejects the waiting and every later next() with the error the body failed with', async () => {
    const body = new PassThrough();
    const reads = new BodyReads(body);
    const waiting = reads.next();
    const failure = Object.assign(new Error('other side reset'), { code: 'ECONNRESET' });
    body.destroy(failure);
    await expect(waiting).rejects.toBe(failure);
    await expect(reads.next()).rejects.toBe(failure);
  });

  it('rejects with ERR_STREAM_PREMATURE_CLOSE when the body closes before its end', async () => {
    const body = new PassThrough();
    const reads = new BodyReads(body);
    const waiting = reads.next();
    body.destroy();
    await expect(waiting).rejects.toMatchObject({
      code: 'ERR_STREAM_PREMATURE_CLOSE',
      message: 'Premature close',
    });
  });
});
