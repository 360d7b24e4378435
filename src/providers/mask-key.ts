/** Masks a secret to its last 4 characters, the only form in which keys may appear anywhere. */
export function maskKey(key: string): string {
  return key.length <= 4 ? '****' : `...${key.slice(-4)}`;
}
