import { readFileSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { join } from 'node:path';
import type { StreamEvent } from '../../src/providers/protocol-codec';

/** Reads the provider fixtures of test/fixtures/providers and frames their streams like the adapter does. */

const FIXTURES = join(__dirname, '..', 'fixtures', 'providers');

export function readFixture(provider: string, file: string): string {
  return readFileSync(join(FIXTURES, provider, file), 'utf8');
}

export function readJsonFixture(provider: string, file: string): unknown {
  return JSON.parse(readFixture(provider, file));
}

/** SSE text (LF, CRLF or CR line ends) split into events; `data:` lines of one event are joined by LF. */
export function frameSse(text: string): StreamEvent[] {
  const events: StreamEvent[] = [];
  for (const block of text.replace(/\r\n?/g, '\n').split(/\n{2,}/)) {
    let name: string | undefined;
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line === '' || line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') name = value;
      else if (field === 'data') data.push(value);
    }
    if (data.length > 0)
      events.push(name === undefined ? { data: data.join('\n') } : { event: name, data: data.join('\n') });
  }
  return events;
}

/** NDJSON text split into one event per non-empty line. */
export function frameNdjson(text: string): StreamEvent[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => ({ data: line }));
}

/** A `headers-*.txt` fixture: status line, then `name: value` lines. */
export function readHeadersFixture(
  provider: string,
  file: string,
): { status: number; headers: IncomingHttpHeaders } {
  const [statusLine, ...lines] = readFixture(provider, file).split(/\r?\n/);
  const headers: IncomingHttpHeaders = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status: Number(statusLine.split(' ')[1]), headers };
}
