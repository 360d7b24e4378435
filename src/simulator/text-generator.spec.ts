import { countWords, fnv1a, PromptDigest } from './text-hash.util';
import { generateText } from './text-generator';

describe('generateText', () => {
  it('is deterministic per hash and gives one piece per word', () => {
    const a = generateText(42, 12);
    expect(generateText(42, 12)).toEqual(a);
    expect(a.pieces).toHaveLength(12);
    expect(a.text).toBe(a.pieces.join(''));
    expect(a.text.split(' ')).toHaveLength(12);
    expect(generateText(43, 12).text).not.toBe(a.text);
  });

  it('makes a cut answer a prefix of the finished one, without the full stop', () => {
    const full = generateText(7, 20);
    const cut = generateText(7, 5, false);
    expect(full.text.startsWith(cut.text)).toBe(true);
    expect(cut.text.endsWith('.')).toBe(false);
    expect(full.text.endsWith('.')).toBe(true);
  });
});

describe('PromptDigest', () => {
  it('counts words and separates texts in the hash', () => {
    const one = new PromptDigest('m');
    one.add('ab');
    one.add('c d');
    const two = new PromptDigest('m');
    two.add('a');
    two.add('bc d');
    expect(one.tokens).toBe(3);
    expect(two.tokens).toBe(3);
    expect(one.hash).not.toBe(two.hash);
    expect(countWords('  several\twords\nhere ')).toBe(3);
    expect(fnv1a('')).toBe(0x811c9dc5);
  });
});
