/** Masks a secret to its last 4 characters, the only form in which keys may appear anywhere. */
export function maskKey(key: string): string {
  return key.length <= 4 ? '****' : `...${key.slice(-4)}`;
}

/**
 * Spreads requests over a provider's API keys in turn. The resilience engine replaces this with a
 * key pool that rests and disables keys; until then every key is always eligible.
 */
export class KeyRotation {
  private next = 0;

  constructor(private readonly keys: readonly string[]) {}

  /** The next key to use, or undefined for a keyless provider. */
  take(): string | undefined {
    if (this.keys.length === 0) return undefined;
    const key = this.keys[this.next % this.keys.length];
    this.next = (this.next + 1) % this.keys.length;
    return key;
  }
}
