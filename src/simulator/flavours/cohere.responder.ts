import type { SimRequest } from '../transport';
import type { InternalErrorVariant, RetryHintKind } from '../fault-profile.types';
import { FrameTemplate, quote, SLOT } from '../frame-template.util';
import { uniqueUuid } from '../id-generator';
import { arrayField, isRecord, maxTokensField, stringField } from '../json-narrow.util';
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
import { bearerKey, matchModels, namedEvent, prettyAnswer, typedEvent } from './wire.util';

/**
 * Cohere's `tokens` counts include its prompt template and so exceed `billed_units`; the simulator
 * adds this fixed overhead to the input side. `billed_units` carry the canonical counts.
 */
export const COHERE_TEMPLATE_TOKENS = 10;

const MESSAGES: Record<number, string> = {
  400: 'invalid request: the request could not be processed',
  401: 'invalid api token',
  403: 'forbidden',
  429: 'You are past the per minute request limit, please wait and try again later.',
  498: 'invalid token',
  499: 'request cancelled',
  500: 'internal server error, this has been reported to our developers',
  503: 'service unavailable, please try again later',
  504: 'request timed out',
};

/** Cohere Chat v2: `event:` + `data:` SSE without a sentinel, `{message}` errors. */
export class CohereResponder implements FlavourResponder {
  readonly flavour = 'cohere' as const;
  readonly requiresKey = true;
  readonly missingKeyStatus = 401;
  readonly invalidKeyStatus = 401;

  match(method: string, path: string): Endpoint {
    if (method === 'POST' && path === '/v2/chat') return { kind: 'chat' };
    return matchModels(method, path, '/v1/models') ?? { kind: 'not_found' };
  }

  apiKey(req: SimRequest): string | undefined {
    return bearerKey(req);
  }

  parseChat(_endpoint: Endpoint, body: unknown): ChatCall | string {
    if (!isRecord(body)) return 'invalid request: could not parse the request body as JSON';
    const model = stringField(body, 'model');
    if (!model) return 'invalid request: model must be specified';
    const messages = arrayField(body, 'messages');
    if (!messages) return 'invalid request: messages must be specified';
    const digest = new PromptDigest(model);
    digest.addMessages(messages);
    return {
      model,
      stream: body.stream === true,
      maxTokens: maxTokensField(body, 'max_tokens'),
      promptTokens: digest.tokens,
      promptHash: digest.hash,
      includeUsage: false,
      includeObfuscation: false,
    };
  }

  newRequestId(): string {
    return uniqueUuid();
  }

  private usage(c: Completion) {
    return {
      billed_units: { input_tokens: c.call.promptTokens, output_tokens: c.completionTokens },
      tokens: {
        input_tokens: c.call.promptTokens + COHERE_TEMPLATE_TOKENS,
        output_tokens: c.completionTokens,
      },
    };
  }

  private finishReason(c: Completion): string {
    return c.truncated ? 'MAX_TOKENS' : 'COMPLETE';
  }

  chatAnswer(c: Completion): HttpAnswer {
    const body = {
      id: c.requestId,
      message: { role: 'assistant', content: [{ type: 'text', text: c.text }] },
      finish_reason: this.finishReason(c),
      usage: this.usage(c),
    };
    return prettyAnswer({ 'content-type': 'application/json' }, body);
  }

  bareAnswer(c: Completion): HttpAnswer {
    const body = { id: c.requestId, finish_reason: this.finishReason(c), usage: this.usage(c) };
    return prettyAnswer({ 'content-type': 'application/json' }, body);
  }

  chatStream(c: Completion): StreamScript {
    const delta = new FrameTemplate(
      typedEvent({ type: 'content-delta', index: 0, delta: { message: { content: { text: SLOT } } } }),
    );
    const messageEnd = (finish: string, error?: string) =>
      typedEvent({ type: 'message-end', delta: { finish_reason: finish, error, usage: this.usage(c) } });
    return {
      headers: { 'content-type': 'text/event-stream' },
      head:
        typedEvent({ type: 'message-start', id: c.requestId, delta: { message: { role: 'assistant' } } }) +
        typedEvent({
          type: 'content-start',
          index: 0,
          delta: { message: { content: { type: 'text', text: '' } } },
        }),
      content: (i) => delta.fill(quote(c.pieces[i])),
      tail: typedEvent({ type: 'content-end', index: 0 }) + messageEnd(this.finishReason(c)),
      bare: () => typedEvent({ type: 'content-delta', index: 0 }),
      // Cohere ends a failed generation with finish_reason ERROR and the reason in delta.error.
      error: (status, message) => messageEnd('ERROR', message ?? MESSAGES[status] ?? MESSAGES[500]),
      badFrame: namedEvent('content-delta', '{"type":"content-delta","index":0,"delta":{"message":'),
    };
  }

  modelsAnswer(_requestId: string, model?: string): HttpAnswer {
    const describe = (name: string) => ({
      name,
      endpoints: ['chat'],
      finetuned: false,
      context_length: 256000,
      tokenizer_url: `https://storage.googleapis.com/cohere-public/tokenizers/${name}.json`,
      default_endpoints: [],
      features: ['tools', 'json_mode'],
    });
    const body = model
      ? describe(model)
      : { models: ['command-a-03-2025', 'command-r-08-2024'].map(describe) };
    return prettyAnswer({ 'content-type': 'application/json' }, body);
  }

  errorAnswer(r: ErrorRequest): HttpAnswer {
    return {
      status: r.status,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ message: cohereMessage(r) }),
    };
  }

  defaultHints(): readonly RetryHintKind[] {
    return [];
  }
}

function cohereMessage(r: ErrorRequest): string {
  if (r.message !== undefined) return r.message;
  const variant: InternalErrorVariant = r.variant;
  switch (variant) {
    case 'missing_key':
      return 'no api key supplied';
    case 'invalid_key':
      return 'invalid api token';
    case 'quota':
      return "You are using a Trial key, which is limited to 1000 API calls / month. You can continue to use the Trial key for free or upgrade to a Production key with higher rate limits at 'https://dashboard.cohere.com/api-keys'. Contact us on 'https://discord.gg/XW44jPfYJu' or email us at support@cohere.com with any questions";
    case 'model_not_found':
      return `model '${r.model}' not found, make sure the correct model ID was used and that you have access to the model.`;
    case 'unknown_route':
      return `404 page not found: ${r.method} ${r.path}`;
    default:
      if (r.status === 404) {
        return `model '${r.model}' not found, make sure the correct model ID was used and that you have access to the model.`;
      }
      return (
        MESSAGES[r.status] ?? (r.status >= 500 ? MESSAGES[500] : `request failed with status ${r.status}`)
      );
  }
}
