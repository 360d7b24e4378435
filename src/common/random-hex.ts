import { randomFillSync } from 'node:crypto';

/**
 * Random hex for ids (trace and span ids, completion ids) from a pool refilled 4 KB at a time: one
 * randomBytes() call per id was 2% of the gateway's CPU (each is a synchronous trip into OpenSSL).
 * node:crypto's randomUUID pools the same way.
 */
const randomPool = Buffer.allocUnsafe(4096);
let poolOffset = randomPool.length;

export function randomHex(bytes: number): string {
  if (poolOffset + bytes > randomPool.length) {
    randomFillSync(randomPool);
    poolOffset = 0;
  }
  const hex = randomPool.toString('hex', poolOffset, poolOffset + bytes);
  poolOffset += bytes;
  return hex;
}
