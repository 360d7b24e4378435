import { decide, type Decision, type Outcome } from './fault-engine';
import type {
  ChatCall,
  Completion,
  Endpoint,
  ErrorRequest,
  HttpAnswer,
  StreamScript,
} from './flavours/flavour.types';
import { parseJson, readBody, sendBody } from './http-body.util';
import { isRecord, stringField } from './json-narrow.util';
import { writeMalformed } from './malformed-answer';
import type { ProviderState } from './provider-registry';
import type { RecordedRequest, RequestRecorder } from './request-recorder';
import { ResponsePacer } from './response-pacer';
import { hintHeaders } from './retry-hints';
import { runStream, withSendStamps } from './stream-runner';
import { generateText } from './text-generator';
import { connectionIdOf, plainHeaders, type SimRequest, type SimResponse } from './transport';

/** One provider request in flight: what the handler passes between its steps. */
interface Exchange {
  req: SimRequest;
  res: SimResponse;
  provider: ProviderState;
  record: RecordedRequest;
  pacer: ResponsePacer;
  /** Path under the provider root, as the real provider would see it. */
  subPath: string;
}

/**
 * Serves one request to a simulated provider: record it, read the body, let the fault engine
 * decide, then answer through the provider's responder with the decided timing.
 */
export async function handleProviderRequest(
  req: SimRequest,
  res: SimResponse,
  provider: ProviderState,
  recorder: RequestRecorder,
  path: string,
  subPath: string,
  query: string,
): Promise<void> {
  const responder = provider.responder;
  const method = req.method ?? 'GET';
  const endpoint = responder.match(method, subPath);
  const record = recorder.open({
    time: Date.now(),
    provider: provider.name,
    flavour: provider.flavour,
    method,
    path,
    query,
    key: responder.apiKey(req, query),
    headers: plainHeaders(req),
    httpVersion: req.httpVersion,
    connection: connectionIdOf(req),
  });
  const x: Exchange = { req, res, provider, record, pacer: new ResponsePacer(res, record), subPath };
  const raw = await readBody(req);
  if (x.pacer.closed) return;
  const body = parseJson(raw);
  if (body !== undefined) record.body = body;

  switch (endpoint.kind) {
    case 'static':
      record.status = endpoint.status;
      sendBody(res, endpoint.status, { 'content-type': endpoint.contentType }, endpoint.body);
      return;
    case 'not_found':
      sendError(x, { status: 404, variant: 'unknown_route', hints: [], hintMs: 0, kind: 'error' }, false);
      return;
    case 'models':
      return serveModels(x, endpoint);
    case 'chat':
      return serveChat(x, endpoint, body);
  }
}

async function serveModels(x: Exchange, endpoint: Extract<Endpoint, { kind: 'models' }>): Promise<void> {
  const decision = decide(x.provider, { key: x.record.key, chat: false, now: x.record.time });
  x.record.fault = decision.label;
  if (!(await prelude(x, decision, false))) return;
  const outcome = decision.outcome;
  if (outcome.kind === 'error') return sendError(x, outcome, false);
  const answer = x.provider.responder.modelsAnswer(x.provider.responder.newRequestId(), endpoint.model);
  x.record.status = answer.status;
  sendBody(x.res, answer.status, answer.headers, answer.body);
}

async function serveChat(
  x: Exchange,
  endpoint: Extract<Endpoint, { kind: 'chat' }>,
  body: unknown,
): Promise<void> {
  const responder = x.provider.responder;
  const parsed = responder.parseChat(endpoint, body);
  const call: ChatCall | undefined = typeof parsed === 'string' ? undefined : parsed;
  const record = x.record;
  record.model = call?.model ?? endpoint.model ?? (isRecord(body) ? stringField(body, 'model') : undefined);
  record.stream = call?.stream ?? endpoint.stream;
  record.maxTokens = call?.maxTokens;

  const decision = decide(x.provider, { key: record.key, model: record.model, chat: true, now: record.time });
  record.fault = decision.label;
  const stream = record.stream === true;
  if (!(await prelude(x, decision, stream))) return;
  const outcome = decision.outcome;
  if (outcome.kind === 'error') return sendError(x, outcome, stream);

  const headerProblem = responder.checkHeaders?.(x.req);
  if (headerProblem !== undefined || call === undefined) {
    const message = headerProblem ?? (typeof parsed === 'string' ? parsed : 'invalid request');
    return sendError(
      x,
      { kind: 'error', status: 400, variant: 'bad_request', hints: [], hintMs: 0, message },
      stream,
    );
  }

  const completion = complete(x, call, decision.timing.responseWords);
  const timing = decision.timing;
  const streamScript = (): StreamScript => {
    const script = responder.chatStream(completion);
    return x.provider.profile.stamp_chunks ? withSendStamps(script, completion.pieces) : script;
  };
  switch (outcome.kind) {
    case 'ok':
      if (call.stream)
        return runStream(x.res, x.pacer, record, streamScript(), completion.pieces.length, timing);
      return sendAnswer(x, responder.chatAnswer(completion));
    case 'malformed':
      return writeMalformed(x.res, x.pacer, record, responder, completion, timing, {
        kind: outcome.malformed,
        status: outcome.status,
        afterChunks: outcome.afterChunks,
      });
    case 'disconnect':
    case 'stall':
    case 'stream_error':
      if (call.stream)
        return runStream(x.res, x.pacer, record, streamScript(), completion.pieces.length, timing, outcome);
      return brokenAnswer(x, outcome, responder.chatAnswer(completion));
    default:
      return;
  }
}

/**
 * What happens before any byte is answered: a reset on arrival, the latency (plus, for a
 * non-stream answer, the time to generate it), a hang. Returns false when nothing more is to be sent.
 */
async function prelude(x: Exchange, decision: Decision, stream: boolean): Promise<boolean> {
  const outcome = decision.outcome;
  if (outcome.kind === 'reset') {
    x.pacer.reset();
    return false;
  }
  const thinking = stream || outcome.kind === 'error' ? 0 : decision.timing.firstTokenDelayMs;
  if (!(await x.pacer.wait(decision.timing.latencyMs + thinking))) return false;
  if (outcome.kind === 'hang') {
    await x.pacer.untilClosed();
    return false;
  }
  return true;
}

function complete(x: Exchange, call: ChatCall, responseWords: number): Completion {
  const truncated = call.maxTokens !== undefined && call.maxTokens < responseWords;
  const words = truncated ? call.maxTokens! : responseWords;
  const { pieces, text } = generateText(call.promptHash, words, !truncated);
  return {
    call,
    pieces,
    text,
    completionTokens: words,
    truncated,
    requestId: x.provider.responder.newRequestId(),
    created: Math.floor(x.record.time / 1000),
  };
}

function sendAnswer(x: Exchange, answer: HttpAnswer): void {
  x.record.status = answer.status;
  sendBody(x.res, answer.status, answer.headers, answer.body);
}

function sendError(x: Exchange, outcome: Extract<Outcome, { kind: 'error' }>, stream: boolean): void {
  const responder = x.provider.responder;
  const request: ErrorRequest = {
    status: outcome.status,
    variant: outcome.variant,
    model: x.record.model ?? '',
    key: x.record.key,
    requestId: responder.newRequestId(),
    hintMs: outcome.hintMs,
    hints: outcome.hints,
    message: outcome.message,
    stream,
    method: x.record.method,
    path: x.subPath,
  };
  const answer = responder.errorAnswer(request);
  x.record.status = answer.status;
  const headers = { ...answer.headers, ...hintHeaders(outcome.hints, outcome.hintMs, Date.now()) };
  sendBody(x.res, answer.status, headers, answer.body);
}

/** Stream faults on a non-stream request: half the body, then a reset, silence, or an error status. */
async function brokenAnswer(
  x: Exchange,
  outcome: Extract<Outcome, { kind: 'disconnect' | 'stall' | 'stream_error' }>,
  answer: HttpAnswer,
): Promise<void> {
  if (outcome.kind === 'stream_error') {
    return sendError(
      x,
      {
        kind: 'error',
        status: outcome.status,
        variant: 'default',
        hints: [],
        hintMs: 0,
        message: outcome.message,
      },
      false,
    );
  }
  x.res.writeHead(200, { ...answer.headers, 'content-length': Buffer.byteLength(answer.body) });
  x.record.status = 200;
  if (!(await x.pacer.flushed(answer.body.slice(0, Math.floor(answer.body.length / 2))))) return;
  if (outcome.kind === 'disconnect') x.pacer.reset();
  else await x.pacer.untilClosed();
}
