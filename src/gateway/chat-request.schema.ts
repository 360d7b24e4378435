import { z } from 'zod';
import { GatewayError } from '../common/gateway-error';
import type { ChatRequest } from '../providers/chat.types';

/**
 * Validation of the client's Chat Completions request. Errors name the field the way OpenAI does
 * (`param`: `messages[1].role`), so a client sees at once what to fix. Unknown top-level fields are
 * kept and forwarded to OpenAI-compatible upstreams.
 */

const textPart = z.looseObject({ type: z.literal('text'), text: z.string() });
const otherPart = z.looseObject({ type: z.string().refine((type) => type !== 'text') });
const contentParts = z.array(z.union([textPart, otherPart])).min(1, 'must not be an empty array');

const toolCall = z.looseObject({
  id: z.string().min(1),
  type: z.literal('function'),
  function: z.looseObject({ name: z.string().min(1), arguments: z.string() }),
});

const message = z.discriminatedUnion('role', [
  z.looseObject({
    role: z.literal('system'),
    content: z.union([z.string(), contentParts]),
    name: z.string().optional(),
  }),
  z.looseObject({
    role: z.literal('developer'),
    content: z.union([z.string(), contentParts]),
    name: z.string().optional(),
  }),
  z.looseObject({
    role: z.literal('user'),
    content: z.union([z.string(), contentParts]),
    name: z.string().optional(),
  }),
  z
    .looseObject({
      role: z.literal('assistant'),
      content: z.union([z.string(), contentParts, z.null()]).optional(),
      name: z.string().optional(),
      tool_calls: z.array(toolCall).optional(),
    })
    .refine((m) => (m.content !== undefined && m.content !== null) || (m.tool_calls?.length ?? 0) > 0, {
      message: 'an assistant message needs content or tool_calls',
      path: ['content'],
    }),
  z.looseObject({
    role: z.literal('tool'),
    content: z.union([z.string(), contentParts]),
    tool_call_id: z.string().min(1),
  }),
]);

const stop = z.union([z.string(), z.array(z.string()).max(4, 'at most 4 stop sequences')]);

const chatRequestSchema = z
  .looseObject({
    model: z.string().min(1, 'must not be empty'),
    messages: z.array(message).min(1, 'must contain at least one message'),
    temperature: z.number().min(0).max(2).nullish(),
    top_p: z.number().min(0).max(1).nullish(),
    max_tokens: z.number().int().positive().nullish(),
    max_completion_tokens: z.number().int().positive().nullish(),
    stop: stop.nullish(),
    seed: z.number().int().nullish(),
    n: z.literal(1, 'only n = 1 is supported').nullish(),
    presence_penalty: z.number().min(-2).max(2).nullish(),
    frequency_penalty: z.number().min(-2).max(2).nullish(),
    stream: z.boolean().nullish(),
    stream_options: z.strictObject({ include_usage: z.boolean().optional() }).nullish(),
    tools: z
      .array(
        z.looseObject({
          type: z.literal('function'),
          function: z.looseObject({ name: z.string().min(1), description: z.string().optional() }),
        }),
      )
      .nullish(),
    tool_choice: z
      .union([
        z.enum(['none', 'auto', 'required']),
        z.looseObject({ type: z.literal('function'), function: z.looseObject({ name: z.string() }) }),
      ])
      .nullish(),
    user: z.string().nullish(),
  })
  .refine((r) => !r.stream_options || r.stream === true, {
    message: "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
    path: ['stream_options'],
  });

/** Parses and validates a request body, or throws a 400 GatewayError naming the bad field. */
export function parseChatRequest(body: unknown): ChatRequest {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw GatewayError.invalidRequest('The request body must be a JSON object.', null, 'invalid_json');
  }
  const result = chatRequestSchema.safeParse(body);
  if (result.success) return dropNulls(result.data) as ChatRequest;
  const issue = result.error.issues[0];
  const param = formatParam(issue.path);
  if (valueAt(body, issue.path) === undefined && issue.code !== 'custom') {
    const isRole = issue.path.at(-1) === 'role';
    if (!isRole)
      throw GatewayError.invalidRequest(
        `Missing required parameter: '${param}'.`,
        param,
        'missing_required_parameter',
      );
  }
  throw GatewayError.invalidRequest(
    `Invalid value for '${param}': ${describe(issue)}.`,
    param,
    'invalid_value',
  );
}

function formatParam(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path)
    out += typeof key === 'number' ? `[${key}]` : out === '' ? String(key) : `.${String(key)}`;
  return out;
}

function valueAt(body: unknown, path: readonly PropertyKey[]): unknown {
  let current = body;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

function describe(issue: z.core.$ZodIssue): string {
  if (issue.path.at(-1) === 'role') return 'must be one of system, developer, user, assistant, tool';
  if (issue.code === 'invalid_union') {
    // Report the alternative that got furthest (e.g. "at most 4 stop sequences"), not "Invalid input".
    const specific = issue.errors.flat().find((inner) => inner.code !== 'invalid_type');
    return specific ? describe(specific) : 'has the wrong type';
  }
  if (issue.code === 'invalid_type') return `expected ${issue.expected}`;
  return issue.message;
}

/** `null` means "not set" in the OpenAI API; dropping it keeps the adapters to one case. */
function dropNulls(value: Record<string, unknown>): Record<string, unknown> {
  for (const key of Object.keys(value)) if (value[key] === null) delete value[key];
  return value;
}
