import { randomHex } from './random-hex';

describe('randomHex', () => {
  it('gives hex of the asked length, distinct across many pool refills', () => {
    const seen = new Set<string>();
    // 4096-byte pool, 16 bytes each: 2,000 ids span about eight refills.
    for (let i = 0; i < 2000; i++) {
      const id = randomHex(16);
      expect(id).toMatch(/^[0-9a-f]{32}$/);
      seen.add(id);
    }
    expect(seen.size).toBe(2000);
    expect(randomHex(8)).toMatch(/^[0-9a-f]{16}$/);
  });
});
