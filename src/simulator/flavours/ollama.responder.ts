import type { SimRequest } from '../transport';
import type { RetryHintKind } from '../fault-profile.types';
import { FrameTemplate, quote, SLOT, SLOT2 } from '../frame-template.util';
import { uniqueHex } from '../id-generator';
import { arrayField, isRecord, maxTokensField, recordField, stringField } from '../json-narrow.util';
import { PromptDigest } from '../text-hash.util';
import type {
  ChatCall,
  Completion,
  Endpoint,
  ErrorRequest,
  FlavourResponder,
  HttpAnswer,
  StreamScript,
} from './flavour.types';
import { bearerKey } from './wire.util';

// gin's c.JSON content type; streams switch to NDJSON.
const JSON_TYPE = 'application/json; charset=utf-8';
const NDJSON_TYPE = 'application/x-ndjson';
export const OLLAMA_VERSION = '0.12.6';
const MODEL_ERROR = 'an error was encountered while running the model';

const MESSAGES: Record<number, string> = {
  400: 'invalid request',
  429: 'too many requests, please try again later',
  500: 'llama runner process has terminated: exit status 2',
  502: MODEL_ERROR,
  503: 'server busy, please try again.  maximum pending requests exceeded',
};

/** Ollama's native API: NDJSON streams on by default, `{error}` bodies, no auth locally. */
export class OllamaResponder implements FlavourResponder {
  readonly flavour = 'ollama' as const;
  readonly requiresKey = false;
  readonly missingKeyStatus = 401;
  readonly invalidKeyStatus = 401;

  match(method: string, path: string): Endpoint {
    const read = method === 'GET' || method === 'HEAD';
    if (method === 'POST' && path === '/api/chat') return { kind: 'chat' };
    if (read && path === '/api/tags') return { kind: 'models' };
    if (read && path === '/api/version') {
      return {
        kind: 'static',
        status: 200,
        contentType: JSON_TYPE,
        body: JSON.stringify({ version: OLLAMA_VERSION }),
      };
    }
    if (read && path === '/api/ps')
      return { kind: 'static', status: 200, contentType: JSON_TYPE, body: '{"models":[]}' };
    if (read && (path === '/' || path === '')) {
      return {
        kind: 'static',
        status: 200,
        contentType: 'text/plain; charset=utf-8',
        body: 'Ollama is running',
      };
    }
    return { kind: 'not_found' };
  }

  apiKey(req: SimRequest): string | undefined {
    return bearerKey(req);
  }

  parseChat(_endpoint: Endpoint, body: unknown): ChatCall | string {
    if (!isRecord(body)) return 'invalid character looking for beginning of value';
    const model = stringField(body, 'model');
    if (!model) return 'model is required';
    const digest = new PromptDigest(model);
    digest.addMessages(arrayField(body, 'messages') ?? []);
    return {
      model,
      // Unlike every other protocol here, Ollama streams unless told not to.
      stream: body.stream !== false,
      maxTokens: maxTokensField(recordField(body, 'options'), 'num_predict'),
      promptTokens: digest.tokens,
      promptHash: digest.hash,
      includeUsage: false,
      includeObfuscation: false,
    };
  }

  newRequestId(): string {
    return uniqueHex(16);
  }

  /** The final object's metrics, in Ollama's field order; zero metrics are omitted as Go's omitempty does. */
  private finalFields(c: Completion) {
    const promptNs = c.call.promptTokens * 2_000_000;
    const evalNs = c.completionTokens * 20_000_000;
    const load = 21_573_125;
    return {
      done: true,
      done_reason: c.truncated ? 'length' : 'stop',
      total_duration: load + promptNs + evalNs + 1_250_000,
      load_duration: load,
      prompt_eval_count: c.call.promptTokens || undefined,
      prompt_eval_duration: promptNs || undefined,
      eval_count: c.completionTokens,
      eval_duration: evalNs,
    };
  }

  chatAnswer(c: Completion): HttpAnswer {
    const body = {
      model: c.call.model,
      created_at: new Date().toISOString(),
      message: { role: 'assistant', content: c.text },
      ...this.finalFields(c),
    };
    return { status: 200, headers: { 'content-type': JSON_TYPE }, body: JSON.stringify(body) };
  }

  bareAnswer(c: Completion): HttpAnswer {
    const body = { model: c.call.model, created_at: new Date().toISOString(), ...this.finalFields(c) };
    return { status: 200, headers: { 'content-type': JSON_TYPE }, body: JSON.stringify(body) };
  }

  chatStream(c: Completion): StreamScript {
    const line = (value: unknown) => JSON.stringify(value) + '\n';
    const model = c.call.model;
    const chunk = new FrameTemplate(
      line({ model, created_at: SLOT, message: { role: 'assistant', content: SLOT2 }, done: false }),
      [SLOT, SLOT2],
    );
    const now = () => new Date().toISOString();
    return {
      headers: { 'content-type': NDJSON_TYPE },
      head: '',
      content: (i) => chunk.fill(quote(now()), quote(c.pieces[i])),
      tail: line({
        model,
        created_at: now(),
        message: { role: 'assistant', content: '' },
        ...this.finalFields(c),
      }),
      bare: () => line({ model, created_at: now(), done: false }),
      // After the first byte Ollama keeps status 200 and writes the error as a last NDJSON line.
      error: (status, message) =>
        line({ error: message ?? (status === 500 ? MODEL_ERROR : (MESSAGES[status] ?? MODEL_ERROR)) }),
      badFrame: `{"model":${quote(model)},"created_at":\n`,
    };
  }

  modelsAnswer(): HttpAnswer {
    const models = ['llama3.2:latest', 'qwen2.5:0.5b'].map((name) => ({
      name,
      model: name,
      modified_at: '2025-10-01T17:37:44.706015396-07:00',
      size: 2019393189,
      digest: 'a80c4f17acd55265feec403c7aef86be0c25983ab279d83f3bcd3abbcb5b8b72',
      details: {
        parent_model: '',
        format: 'gguf',
        family: 'llama',
        families: ['llama'],
        parameter_size: '3.2B',
        quantization_level: 'Q4_K_M',
      },
    }));
    return { status: 200, headers: { 'content-type': JSON_TYPE }, body: JSON.stringify({ models }) };
  }

  errorAnswer(r: ErrorRequest): HttpAnswer {
    if (r.variant === 'unknown_route') {
      // gin's own 404 for an unknown route is plain text.
      return { status: 404, headers: { 'content-type': 'text/plain' }, body: '404 page not found' };
    }
    return { status: r.status, headers: { 'content-type': JSON_TYPE }, body: JSON.stringify(ollamaError(r)) };
  }

  defaultHints(): readonly RetryHintKind[] {
    return [];
  }
}

function ollamaError(r: ErrorRequest): Record<string, string> {
  if (r.message !== undefined) return { error: r.message };
  if (r.variant === 'invalid_key' || r.variant === 'missing_key' || r.status === 401) {
    // Cloud models only: a local Ollama has no keys.
    return { error: 'unauthorized', signin_url: 'https://ollama.com/connect?name=simulator&key=SIMULATOR' };
  }
  if (r.variant === 'model_not_found' || r.status === 404) return { error: `model '${r.model}' not found` };
  if (r.variant === 'quota')
    return { error: 'you have reached your usage limit, please upgrade or wait for the limit to reset' };
  return {
    error: MESSAGES[r.status] ?? (r.status >= 500 ? MESSAGES[500] : `request failed with status ${r.status}`),
  };
}
