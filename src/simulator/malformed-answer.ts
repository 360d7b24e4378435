import type { OutgoingHttpHeaders } from 'node:http';
import type { SimResponse } from './transport';
import type { Timing } from './fault-engine';
import type { MalformedKind } from './fault-profile.types';
import type { Completion, FlavourResponder } from './flavours/flavour.types';
import type { ResponsePacer } from './response-pacer';
import type { RecordedRequest } from './request-recorder';
import { SSE_DONE } from './flavours/openai-wire';
import { renderStream, runStream, withBadFrame, withoutContent } from './stream-runner';

const HTML_PAGE =
  '<!DOCTYPE html>\n<html>\n<head><title>502 Bad Gateway</title></head>\n<body>\n<center><h1>502 Bad Gateway</h1></center>\n<hr><center>cloudflare</center>\n</body>\n</html>\n';
// Bytes promised by Content-Length but never sent.
const MISSING_BYTES = 128;

export interface MalformedFault {
  kind: MalformedKind;
  status: number;
  afterChunks: number;
}

/** Writes one of the broken answers real upstreams and proxies produce. */
export async function writeMalformed(
  res: SimResponse,
  pacer: ResponsePacer,
  record: RecordedRequest,
  responder: FlavourResponder,
  completion: Completion,
  timing: Timing,
  fault: MalformedFault,
): Promise<void> {
  const stream = completion.call.stream;
  const count = completion.pieces.length;
  const send = (status: number, headers: OutgoingHttpHeaders, body: string) => {
    res.writeHead(status, { ...headers, 'content-length': Buffer.byteLength(body) });
    record.status = status;
    pacer.end(body);
  };

  switch (fault.kind) {
    case 'html':
      send(fault.status, { 'content-type': 'text/html; charset=utf-8' }, HTML_PAGE);
      return;
    case 'no_choices': {
      if (stream)
        return runStream(res, pacer, record, withoutContent(responder.chatStream(completion)), count, timing);
      const bare = responder.bareAnswer(completion);
      send(bare.status, bare.headers, bare.body);
      return;
    }
    case 'bad_sse_line':
      if (stream) {
        const script = withBadFrame(responder.chatStream(completion), fault.afterChunks, count);
        return runStream(res, pacer, record, script, count, timing);
      }
      break;
    case 'truncated_final_frame':
      if (stream) {
        const script = responder.chatStream(completion);
        send(200, script.headers, truncateLastFrame(renderStream(script, count)));
        record.chunks = count;
        return;
      }
      break;
    case 'content_length_mismatch': {
      const answer = stream ? undefined : responder.chatAnswer(completion);
      const script = stream ? responder.chatStream(completion) : undefined;
      const body = answer ? answer.body : renderStream(script!, count);
      res.writeHead(200, {
        ...(answer?.headers ?? script!.headers),
        'content-length': Buffer.byteLength(body) + MISSING_BYTES,
      });
      record.status = 200;
      if (await pacer.flushed(body)) pacer.close();
      return;
    }
    case 'truncated_json':
      break;
  }
  // truncated_json, and the stream-only kinds on a non-stream request: half a body, cleanly ended.
  if (stream) {
    const script = responder.chatStream(completion);
    const body = renderStream(script, count);
    send(200, script.headers, body.slice(0, Math.floor(body.length / 2)));
    return;
  }
  const answer = responder.chatAnswer(completion);
  send(200, answer.headers, answer.body.slice(0, Math.floor(answer.body.length / 2)));
}

/** Drops an OpenAI `[DONE]` and cuts the last remaining frame in half: the stream ends mid-JSON. */
export function truncateLastFrame(body: string): string {
  let text = body.endsWith(SSE_DONE) ? body.slice(0, -SSE_DONE.length) : body;
  const separator = text.endsWith('\r\n\r\n') ? '\r\n\r\n' : text.endsWith('\n\n') ? '\n\n' : '\n';
  text = text.slice(0, -separator.length);
  const start = text.lastIndexOf(separator) + (text.lastIndexOf(separator) >= 0 ? separator.length : 0);
  return text.slice(0, start + Math.floor((text.length - start) / 2));
}
