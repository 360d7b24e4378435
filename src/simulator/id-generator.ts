import { randomBytes } from 'node:crypto';

// One random prefix per process plus a counter: ids are unique without per-request entropy calls.
const PREFIX_HEX = randomBytes(10).toString('hex');
const ALPHANUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const PREFIX_ALNUM = Array.from(randomBytes(16), (b) => ALPHANUM[b % ALPHANUM.length]).join('');
let counter = 0;

function next(): number {
  counter = (counter + 1) % 0xffffffffffff;
  return counter;
}

/** `length` hex digits, unique in this process. */
export function uniqueHex(length: number): string {
  const tail = next().toString(16).padStart(12, '0');
  return (PREFIX_HEX + tail).slice(-length).padStart(length, '0');
}

/** `length` alphanumeric characters, unique in this process (length >= 8). */
export function uniqueAlnum(length: number): string {
  const tail = next().toString(36).padStart(8, '0');
  return (PREFIX_ALNUM + tail).slice(-length);
}

/** A v4-shaped UUID, unique in this process. */
export function uniqueUuid(): string {
  const h = uniqueHex(32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20)}`;
}
