/** Narrowing helpers for request bodies parsed as `unknown`. */

export type JsonRecord = Record<string, unknown>;

export function isRecord(value: unknown): value is JsonRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function stringField(record: JsonRecord, key: string): string | undefined {
  const value = record[key];
  return typeof value === 'string' ? value : undefined;
}

export function numberField(record: JsonRecord, key: string): number | undefined {
  const value = record[key];
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

export function recordField(record: JsonRecord, key: string): JsonRecord | undefined {
  const value = record[key];
  return isRecord(value) ? value : undefined;
}

export function arrayField(record: JsonRecord, key: string): unknown[] | undefined {
  const value = record[key];
  return Array.isArray(value) ? value : undefined;
}

/** A positive integer max-tokens value, or undefined when absent or unusable. */
export function maxTokensField(record: JsonRecord | undefined, key: string): number | undefined {
  if (!record) return undefined;
  const value = numberField(record, key);
  return value !== undefined && value >= 1 ? Math.floor(value) : undefined;
}

/**
 * Calls `visit` with every text of a message content: a plain string, or the `text` of each part
 * of a parts array (OpenAI, Cohere and Anthropic blocks all use `{type: 'text', text}`).
 */
export function forEachText(content: unknown, visit: (text: string) => void): void {
  if (typeof content === 'string') {
    visit(content);
    return;
  }
  if (!Array.isArray(content)) return;
  for (const part of content) {
    if (isRecord(part)) {
      const text = stringField(part, 'text');
      if (text !== undefined) visit(text);
    }
  }
}
