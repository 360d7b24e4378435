import { FakeClock } from '../common/fake-clock';
import { parseConfig } from '../config/config.loader';
import type { ChatCompletion } from '../providers/chat.types';
import { type CachedAnswer, ResponseCache } from './response-cache';

function answer(content: string): CachedAnswer {
  const completion: ChatCompletion = {
    id: 'chatcmpl-1',
    object: 'chat.completion',
    created: 1,
    model: 'gpt-4o-mini',
    choices: [{ index: 0, message: { role: 'assistant', content }, logprobs: null, finish_reason: 'stop' }],
  };
  return { completion, provider: 'a', model: 'gpt-4o-mini' };
}

/** The bytes an entry is counted for: its JSON plus its key. */
function sizeOf(key: string, value: CachedAnswer): number {
  return Buffer.byteLength(JSON.stringify(value)) + Buffer.byteLength(key);
}

function setup(cache: { ttl_seconds?: number; max_bytes?: number }) {
  const config = parseConfig(
    {
      providers: { p: { type: 'ollama', base_url: 'http://127.0.0.1:1' } },
      models: { m: [{ provider: 'p', model: 'x' }] },
      degradation: { cache },
    },
    {},
  );
  const clock = new FakeClock();
  return { cache: new ResponseCache(config, clock), clock };
}

describe(ResponseCache.name, () => {
  it('answers a stored answer until its TTL, then forgets it', () => {
    const { cache, clock } = setup({ ttl_seconds: 300 });
    expect(cache.get('k')).toBeUndefined();
    expect(cache.set('k', answer('one'))).toBe(true);
    clock.advance(299_999);
    expect(cache.get('k')).toEqual(answer('one'));
    clock.advance(1);
    expect(cache.get('k')).toBeUndefined();
    expect([cache.size, cache.totalBytes]).toEqual([0, 0]);
  });

  it('hands out copies: a caller changing its answer changes nothing stored', () => {
    const { cache } = setup({});
    cache.set('k', answer('one'));
    const first = cache.get('k')!;
    first.completion.choices[0].message.content = 'changed';
    expect(cache.get('k')).toEqual(answer('one'));
  });

  it('stays within max_bytes by dropping the least recently used answers first', () => {
    const entry = sizeOf('k1', answer('one'));
    const { cache } = setup({ max_bytes: entry * 2 });
    cache.set('k1', answer('one'));
    cache.set('k2', answer('two'));
    expect(cache.totalBytes).toBe(entry * 2);
    cache.get('k1'); // k1 is now the most recent
    cache.set('k3', answer('tre'));
    expect([cache.get('k1'), cache.get('k2'), cache.get('k3')]).toEqual([
      answer('one'),
      undefined,
      answer('tre'),
    ]);
    expect([cache.size, cache.totalBytes]).toEqual([2, entry * 2]);
  });

  it('replaces an answer under the same key without counting it twice', () => {
    const { cache } = setup({});
    cache.set('k', answer('one'));
    cache.set('k', answer('two'));
    expect([cache.size, cache.totalBytes]).toEqual([1, sizeOf('k', answer('two'))]);
    expect(cache.get('k')).toEqual(answer('two'));
  });

  it('refuses an answer larger than the whole cache, keeping what it has', () => {
    const { cache } = setup({ max_bytes: sizeOf('k', answer('one')) });
    cache.set('k', answer('one'));
    expect(cache.set('big', answer('x'.repeat(200)))).toBe(false);
    expect(cache.get('k')).toEqual(answer('one'));
  });
});
