import type { OutgoingHttpHeaders } from 'node:http';
import type { SimRequest } from '../transport';
import type { InternalErrorVariant, RetryHintKind } from '../fault-profile.types';
import { FrameTemplate, quote, SLOT } from '../frame-template.util';
import { uniqueAlnum } from '../id-generator';
import { arrayField, isRecord, maxTokensField, recordField } from '../json-narrow.util';
import { PromptDigest } from '../text-hash.util';
import { geminiError } from './gemini.errors';
import type {
  ChatCall,
  Completion,
  Endpoint,
  ErrorRequest,
  FlavourResponder,
  HttpAnswer,
  StreamScript,
} from './flavour.types';
import { googleJson } from './google-json.util';
import { prettyAnswer, prettyJson, streamErrorRequest } from './wire.util';

const JSON_TYPE = 'application/json; charset=UTF-8';
const GOOGLE_HEADERS: OutgoingHttpHeaders = {
  vary: 'Origin, X-Origin, Referer',
  server: 'scaffolding on HTTPServer2',
  'x-xss-protection': '0',
  'x-frame-options': 'SAMEORIGIN',
  'x-content-type-options': 'nosniff',
  'server-timing': 'gfet4t7; dur=38',
};
const CHAT_PATH = /^\/(v1beta|v1)\/models\/([^/:]+):(generateContent|streamGenerateContent)$/;
const MODEL_PATH = /^\/(v1beta|v1)\/models\/([^/:]+)$/;

/** SSE framing as Google sends it: CRLF line ends, no `event:` and no `[DONE]`. */
function frame(json: string): string {
  return `data: ${json}\r\n\r\n`;
}

/** Gemini generateContent: model and stream choice in the path, key in x-goog-api-key or ?key=. */
export class GeminiResponder implements FlavourResponder {
  readonly flavour = 'gemini' as const;
  readonly requiresKey = true;
  readonly missingKeyStatus = 403;
  readonly invalidKeyStatus = 400;

  match(method: string, path: string): Endpoint {
    if (method === 'POST') {
      const chat = CHAT_PATH.exec(path);
      if (chat)
        return {
          kind: 'chat',
          model: decodeURIComponent(chat[2]),
          stream: chat[3] === 'streamGenerateContent',
        };
    } else if (method === 'GET') {
      if (path === '/v1beta/models' || path === '/v1/models') return { kind: 'models' };
      const model = MODEL_PATH.exec(path);
      if (model) return { kind: 'models', model: decodeURIComponent(model[2]) };
    }
    return { kind: 'not_found' };
  }

  apiKey(req: SimRequest, query: string): string | undefined {
    const header = req.headers['x-goog-api-key'];
    if (typeof header === 'string' && header !== '') return header;
    if (query === '') return undefined;
    return new URLSearchParams(query).get('key') || undefined;
  }

  parseChat(endpoint: Extract<Endpoint, { kind: 'chat' }>, body: unknown): ChatCall | string {
    if (!isRecord(body)) return 'Invalid JSON payload received. Unexpected token.';
    const contents = arrayField(body, 'contents');
    if (!contents || contents.length === 0)
      return '* GenerateContentRequest.contents: contents is not specified\n';
    const model = endpoint.model ?? '';
    const digest = new PromptDigest(model);
    const addParts = (holder: unknown) => {
      if (isRecord(holder)) digest.addContent(arrayField(holder, 'parts') ?? []);
    };
    addParts(body.systemInstruction);
    for (const content of contents) addParts(content);
    return {
      model,
      stream: endpoint.stream === true,
      maxTokens: maxTokensField(recordField(body, 'generationConfig'), 'maxOutputTokens'),
      promptTokens: digest.tokens,
      promptHash: digest.hash,
      includeUsage: false,
      includeObfuscation: false,
    };
  }

  newRequestId(): string {
    return uniqueAlnum(24);
  }

  private usage(c: Completion, final: boolean) {
    const prompt = c.call.promptTokens;
    const details = [{ modality: 'TEXT', tokenCount: prompt }];
    if (!final) return { promptTokenCount: prompt, totalTokenCount: prompt, promptTokensDetails: details };
    return {
      promptTokenCount: prompt,
      candidatesTokenCount: c.completionTokens,
      totalTokenCount: prompt + c.completionTokens,
      promptTokensDetails: details,
      candidatesTokensDetails: [{ modality: 'TEXT', tokenCount: c.completionTokens }],
    };
  }

  private finishReason(c: Completion): string {
    return c.truncated ? 'MAX_TOKENS' : 'STOP';
  }

  chatAnswer(c: Completion): HttpAnswer {
    const body = {
      candidates: [
        {
          content: { parts: [{ text: c.text }], role: 'model' },
          finishReason: this.finishReason(c),
          index: 0,
        },
      ],
      usageMetadata: this.usage(c, true),
      modelVersion: c.call.model,
      responseId: c.requestId,
    };
    return prettyAnswer({ 'content-type': JSON_TYPE, ...GOOGLE_HEADERS }, body);
  }

  bareAnswer(c: Completion): HttpAnswer {
    const body = { usageMetadata: this.usage(c, true), modelVersion: c.call.model, responseId: c.requestId };
    return prettyAnswer({ 'content-type': JSON_TYPE, ...GOOGLE_HEADERS }, body);
  }

  chatStream(c: Completion): StreamScript {
    const chunk = (candidate: unknown, final: boolean) => ({
      candidates: candidate === undefined ? undefined : [candidate],
      usageMetadata: this.usage(c, final),
      modelVersion: c.call.model,
      responseId: c.requestId,
    });
    const middle = new FrameTemplate(
      frame(googleJson(chunk({ content: { parts: [{ text: SLOT }], role: 'model' } }, false))),
    );
    // The last chunk carries the finish reason and the final token counts.
    const last = new FrameTemplate(
      frame(
        googleJson(
          chunk(
            { content: { parts: [{ text: SLOT }], role: 'model' }, finishReason: this.finishReason(c) },
            true,
          ),
        ),
      ),
    );
    const lastIndex = c.pieces.length - 1;
    return {
      headers: { 'content-type': 'text/event-stream', ...GOOGLE_HEADERS },
      head: '',
      content: (i) => (i === lastIndex ? last : middle).fill(quote(c.pieces[i])),
      tail: '',
      bare: (i) => frame(googleJson(chunk(undefined, i === lastIndex))),
      error: (status, message) => frame(googleJson(geminiError(streamErrorRequest(c, status, message)))),
      badFrame: frame('{"candidates": [{"content": {"parts": [{"text": '),
    };
  }

  modelsAnswer(_requestId: string, model?: string): HttpAnswer {
    const describe = (name: string) => ({
      name: `models/${name}`,
      version: '2.0',
      displayName: name,
      description: name,
      inputTokenLimit: 1048576,
      outputTokenLimit: 8192,
      supportedGenerationMethods: ['generateContent', 'countTokens'],
      temperature: 1,
      topP: 0.95,
      topK: 40,
      maxTemperature: 2,
    });
    const body = model ? describe(model) : { models: ['gemini-2.0-flash', 'gemini-2.5-flash'].map(describe) };
    return prettyAnswer({ 'content-type': JSON_TYPE, ...GOOGLE_HEADERS }, body);
  }

  errorAnswer(r: ErrorRequest): HttpAnswer {
    // A recorded 404 on the stream endpoint kept the event-stream content type with a plain JSON body.
    const contentType = r.stream ? 'text/event-stream' : JSON_TYPE;
    return {
      status: r.status,
      headers: { 'content-type': contentType, ...GOOGLE_HEADERS },
      body: prettyJson(geminiError(r)),
    };
  }

  defaultHints(status: number, variant: InternalErrorVariant): readonly RetryHintKind[] {
    return status === 429 && variant !== 'quota' ? ['retry_info'] : [];
  }
}
