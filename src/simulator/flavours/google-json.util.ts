/**
 * Google's stream serializer style: `": "` after keys and no space after commas, e.g.
 * `{"candidates": [{"content": {"parts": [{"text": "Hi"}],"role": "model"}}]}`.
 * Only used to pre-render frame templates, never per chunk.
 */
export function googleJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(googleJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const fields = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${JSON.stringify(k)}: ${googleJson(v)}`);
    return `{${fields.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
