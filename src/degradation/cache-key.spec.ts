import { cacheKeyOf, canonicalJson } from './cache-key';

const base = { model: 'chat', messages: [{ role: 'user', content: 'hello' }], temperature: 0 };

describe(cacheKeyOf.name, () => {
  it('gives a SHA-256 hex key to a deterministic request', () => {
    expect(cacheKeyOf(base)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('is the same whatever the key order, nulls, stream: false, stream_options, user or n: 1', () => {
    const key = cacheKeyOf(base);
    expect(
      cacheKeyOf({ temperature: 0, messages: [{ content: 'hello', role: 'user' }], model: 'chat' }),
    ).toBe(key);
    expect(cacheKeyOf({ ...base, top_p: null, stop: null })).toBe(key);
    expect(cacheKeyOf({ ...base, stream: false, n: 1, user: 'end-user-42' })).toBe(key);
  });

  it('differs with the model, the messages, any other parameter, unknown ones too, and the client', () => {
    const keys = [
      cacheKeyOf(base),
      cacheKeyOf({ ...base, model: 'other' }),
      cacheKeyOf({ ...base, messages: [{ role: 'user', content: 'hello!' }] }),
      cacheKeyOf({ ...base, messages: [{ role: 'system', content: 'be brief' }, ...base.messages] }),
      cacheKeyOf({ ...base, max_tokens: 5 }),
      cacheKeyOf({ ...base, seed: 3 }),
      cacheKeyOf({ ...base, response_format: { type: 'json_object' } }),
      cacheKeyOf(base, 'team-search'),
      cacheKeyOf(base, 'team-batch'),
    ];
    expect(new Set(keys).size).toBe(keys.length);
  });

  it.each([
    ['temperature absent (the provider default is not deterministic)', { ...base, temperature: undefined }],
    ['temperature 0.2', { ...base, temperature: 0.2 }],
    ['a stream', { ...base, stream: true }],
    ['several choices', { ...base, n: 2 }],
    ['tools', { ...base, tools: [{ type: 'function', function: { name: 'lookup' } }] }],
    ['no messages', { model: 'chat', temperature: 0 }],
    ['no model', { messages: base.messages, temperature: 0 }],
  ])('refuses %s', (_case, body) => {
    expect(cacheKeyOf(body)).toBeUndefined();
  });

  it.each([null, 'text', 42, [base]])('refuses a body that is not an object: %p', (body) => {
    expect(cacheKeyOf(body)).toBeUndefined();
  });

  it('keeps an empty tools list cacheable', () => {
    expect(cacheKeyOf({ ...base, tools: [] })).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe(canonicalJson.name, () => {
  it('sorts keys at every depth, drops null members and keeps array order', () => {
    expect(canonicalJson({ b: [{ y: 1, x: null, w: 'a' }, 2], a: { d: true, c: null } })).toBe(
      '{"a":{"d":true},"b":[{"w":"a","y":1},2]}',
    );
  });
});
