import { hash } from 'node:crypto';

/** Request fields that cannot change the answer: left out of the key so they do not split the cache. */
const IGNORED_FIELDS = new Set(['stream', 'stream_options', 'user', 'n']);

/**
 * The response-cache key of a chat request, or undefined when a cached answer would not be
 * acceptable. Cacheable means the client asked for a deterministic answer, `temperature: 0` given
 * explicitly (an absent temperature means the provider's default, about 1, so the client expects
 * varied answers), not streamed, one choice (n absent or 1), and no `tools` (an answer that calls a
 * tool asks the client to act; replaying one is not ours to decide).
 * The key is a SHA-256 of the canonical JSON (keys sorted, nulls dropped) of the client's name, the
 * model, the messages and every other parameter, unknown ones included, since they are forwarded
 * upstream and may change the answer. The client's name keeps one tenant's answers from another.
 */
export function cacheKeyOf(body: unknown, clientName?: string): string | undefined {
  if (!isPlainObject(body)) return undefined;
  if (body.temperature !== 0 || body.stream === true) return undefined;
  if (body.n !== undefined && body.n !== null && body.n !== 1) return undefined;
  if (Array.isArray(body.tools) && body.tools.length > 0) return undefined;
  if (typeof body.model !== 'string' || !Array.isArray(body.messages)) return undefined;
  const fields: Record<string, unknown> = {};
  for (const name of Object.keys(body)) {
    if (!IGNORED_FIELDS.has(name)) fields[name] = body[name];
  }
  // One-shot SHA-256 (UTF-8, hex): the digest of createHash().update().digest('hex') without its object.
  return hash('sha256', canonicalJson({ client: clientName ?? null, request: fields }));
}

/**
 * JSON with object keys sorted at every depth and null / undefined members dropped. It runs on every
 * cacheable request: each object is written in one pass over its sorted keys, without filtered or
 * mapped copies.
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item ?? null)).join(',')}]`;
  if (isPlainObject(value)) {
    let members = '';
    for (const key of Object.keys(value).sort()) {
      const member = value[key];
      if (member === null || member === undefined) continue;
      members += `${members === '' ? '' : ','}${JSON.stringify(key)}:${canonicalJson(member)}`;
    }
    return `{${members}}`;
  }
  return JSON.stringify(value ?? null);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
