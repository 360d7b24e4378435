import type { DlqRecord } from './dlq-record';

/** Where a page ended: the queue's order is newest first by `createdAt`, then by `id`. */
export interface DlqCursorPosition {
  createdAt: number;
  id: string;
}

/** A cursor that no store wrote (tampered with, truncated): the admin API answers 400. */
export class InvalidDlqCursorError extends Error {
  constructor(cursor: string) {
    super(`Invalid dead letter queue cursor: ${JSON.stringify(cursor)}`);
    this.name = 'InvalidDlqCursorError';
  }
}

/** Opaque to clients; the same format in every store, so a cursor survives a change of store. */
export function encodeDlqCursor(position: DlqCursorPosition): string {
  return Buffer.from(JSON.stringify([position.createdAt, position.id])).toString('base64url');
}

export function decodeDlqCursor(cursor: string): DlqCursorPosition {
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidDlqCursorError(cursor);
  }
  if (
    !Array.isArray(decoded) ||
    decoded.length !== 2 ||
    !Number.isSafeInteger(decoded[0]) ||
    typeof decoded[1] !== 'string'
  ) {
    throw new InvalidDlqCursorError(cursor);
  }
  return { createdAt: decoded[0] as number, id: decoded[1] };
}

/** Sorts newest first: negative when `a` comes before `b` in a page. */
export function compareNewestFirst(a: DlqCursorPosition, b: DlqCursorPosition): number {
  if (a.createdAt !== b.createdAt) return b.createdAt - a.createdAt;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

/** The cursor of the page that follows `record`. */
export function cursorAfter(record: Pick<DlqRecord, 'createdAt' | 'id'>): string {
  return encodeDlqCursor({ createdAt: record.createdAt, id: record.id });
}
