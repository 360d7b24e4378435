import type { SimResponse } from './transport';
import type { Timing } from './fault-engine';
import type { StreamScript } from './flavours/flavour.types';
import type { ResponsePacer } from './response-pacer';
import type { RecordedRequest } from './request-recorder';

/** How a stream ends early, if it does. */
export interface StreamFault {
  kind: 'disconnect' | 'stream_error' | 'stall';
  afterChunks: number;
  status?: number;
  message?: string;
}

// Without chunk delays, frames are batched into writes of about this size.
const BATCH_CHARS = 16_384;

/**
 * Writes a pre-rendered stream: head frames, one content frame per piece with the configured
 * delays, then the tail, or the fault. With no delays the whole stream goes out in one write.
 */
export async function runStream(
  res: SimResponse,
  pacer: ResponsePacer,
  record: RecordedRequest,
  script: StreamScript,
  count: number,
  timing: Timing,
  fault?: StreamFault,
): Promise<void> {
  res.writeHead(200, script.headers);
  record.status = 200;
  if (timing.firstTokenDelayMs > 0) {
    // Headers go out at once, like a provider that accepted the request and is still thinking.
    if (!(await pacer.flushed(''))) return;
    if (!(await pacer.wait(timing.firstTokenDelayMs))) return;
  }
  // A reset or stall "before the first chunk" sends the headers only, not even the role/start frames.
  const bare = fault !== undefined && fault.afterChunks === 0 && fault.kind !== 'stream_error';
  let pending = bare ? '' : script.head;
  const stopAt = fault ? Math.min(fault.afterChunks, count) : count;
  for (let i = 0; i < stopAt; i++) {
    if (i > 0 && timing.chunkDelayMs > 0) {
      if (!(await pacer.write(pending))) return;
      pending = '';
      if (!(await pacer.wait(timing.chunkDelayMs))) return;
    }
    pending += script.content(i);
    record.chunks++;
    if (pending.length >= BATCH_CHARS) {
      if (!(await pacer.write(pending))) return;
      pending = '';
    }
  }
  if (!fault) {
    pacer.end(pending + script.tail);
    return;
  }
  switch (fault.kind) {
    case 'disconnect':
      if (await pacer.flushed(pending)) pacer.reset();
      return;
    case 'stream_error':
      pacer.end(pending + script.error(fault.status ?? 500, fault.message));
      return;
    case 'stall':
      if (await pacer.flushed(pending)) await pacer.untilClosed();
      return;
  }
}

/** The whole stream as one string (for the malformations that need to know the total). */
export function renderStream(script: StreamScript, count: number): string {
  let out = script.head;
  for (let i = 0; i < count; i++) out += script.content(i);
  return out + script.tail;
}

/** The same stream with a non-JSON frame before content chunk `at` (or first of all when at is 0). */
export function withBadFrame(script: StreamScript, at: number, count: number): StreamScript {
  if (at <= 0) return { ...script, head: script.badFrame + script.head };
  if (at >= count) return { ...script, tail: script.badFrame + script.tail };
  return { ...script, content: (i) => (i === at ? script.badFrame : '') + script.content(i) };
}

/** The same stream with every content frame replaced by one lacking the content field. */
export function withoutContent(script: StreamScript): StreamScript {
  return { ...script, content: (i) => script.bare(i) };
}

/** Wall clock in epoch ms with sub-ms precision, comparable across processes on one machine. */
export function preciseNow(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * The same stream with each content chunk's text stamped with the instant it is rendered, which
 * is the instant it is written (`stamp_chunks`). The responders read `pieces[i]` when rendering
 * chunk i, so the stamp goes into the piece just before.
 */
export function withSendStamps(script: StreamScript, pieces: string[]): StreamScript {
  const words = pieces.slice();
  return {
    ...script,
    content: (i) => {
      pieces[i] = `${words[i]}<t=${preciseNow().toFixed(3)}>`;
      return script.content(i);
    },
  };
}
