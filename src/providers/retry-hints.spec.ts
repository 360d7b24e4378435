import type { IncomingHttpHeaders } from 'node:http';
import { readHeadersFixture, readJsonFixture } from '../../test/support/frame-fixture';
import {
  headerValue,
  parseGoDuration,
  parseMessageRetryHint,
  parseProtoDuration,
  parseResetTimestamp,
  parseResetValue,
  parseRetryAfter,
  parseRetryAfterMs,
  parseShouldRetry,
  readExhaustedResetMs,
  readGoogleRetryDelayMs,
  readRetryHintMs,
} from './retry-hints';

const NOW = Date.parse('2025-10-21T09:41:00Z');

function without(headers: IncomingHttpHeaders, ...names: string[]): IncomingHttpHeaders {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !names.includes(name)));
}

describe('retry hints', () => {
  describe(parseRetryAfter.name, () => {
    it.each([
      ['4', 4000],
      ['1.5', 1500],
      ['0', 0],
      ['-3', 0],
      [' 19 ', 19000],
      ['Tue, 21 Oct 2025 09:41:30 GMT', 30000],
      ['Tuesday, 21-Oct-25 09:41:30 GMT', 30000],
      ['Tue Oct 21 09:41:05 2025', 5000],
      ['Tue, 21 Oct 2025 09:40:00 GMT', 0],
      ['soon', undefined],
      ['', undefined],
      ['Tue, 99 Foo 2025', undefined],
      [undefined, undefined],
    ])('reads %j as %j ms', (value, expected) => {
      expect(parseRetryAfter(value, NOW)).toBe(expected);
    });
  });

  describe(parseRetryAfterMs.name, () => {
    it.each([
      ['135', 135],
      ['135.2', 136],
      ['-5', 0],
      ['fast', undefined],
      [undefined, undefined],
    ])('reads %j as %j ms', (value, expected) => {
      expect(parseRetryAfterMs(value)).toBe(expected);
    });
  });

  describe(parseGoDuration.name, () => {
    it.each([
      ['12ms', 12],
      ['1s', 1000],
      ['1.2s', 1200],
      ['3.3s', 3300],
      ['6m0s', 360000],
      ['4m10.02s', 250020],
      ['2m59.56s', 179560],
      ['1h2m3.5s', 3723500],
      ['500us', 1],
      ['0', 0],
      ['-1s', 0],
      ['-1', undefined],
      ['1.2', undefined],
      ['1x', undefined],
      ['s', undefined],
      ['', undefined],
    ])('reads %j as %j ms', (value, expected) => {
      expect(parseGoDuration(value)).toBe(expected);
    });
  });

  describe(parseResetTimestamp.name, () => {
    it.each([
      ['2025-10-21T09:41:36Z', 36000],
      ['2025-10-21T09:41:00.250Z', 250],
      ['2025-10-21T11:41:10+02:00', 10000],
      ['2025-10-21T09:40:00Z', 0],
      ['2025-10-21', undefined],
      ['36s', undefined],
    ])('reads %j as %j ms', (value, expected) => {
      expect(parseResetTimestamp(value, NOW)).toBe(expected);
    });
  });

  describe(parseResetValue.name, () => {
    it.each([
      ['7.66s', 7660],
      ['30', 30000],
      [String(NOW / 1000 + 12), 12000],
      ['later', undefined],
    ])('reads %j as %j ms', (value, expected) => {
      expect(parseResetValue(value, NOW)).toBe(expected);
    });
  });

  describe(parseProtoDuration.name, () => {
    it.each([
      ['41s', 41000],
      ['0.5s', 500],
      ['1.000340s', 1001],
      [{ seconds: '2', nanos: 500000000 }, 2500],
      ['41', undefined],
      [41, undefined],
    ])('reads %j as %j ms', (value, expected) => {
      expect(parseProtoDuration(value)).toBe(expected);
    });
  });

  describe(readGoogleRetryDelayMs.name, () => {
    const body = readJsonFixture('gemini', 'error-429.json');

    it('finds RetryInfo among the details, in an object or an array body', () => {
      expect(readGoogleRetryDelayMs(body)).toBe(41000);
      expect(readGoogleRetryDelayMs([body])).toBe(41000);
    });

    it('gives undefined without RetryInfo', () => {
      expect(readGoogleRetryDelayMs(readJsonFixture('gemini', 'error-503.json'))).toBeUndefined();
      expect(readGoogleRetryDelayMs('<html>')).toBeUndefined();
    });
  });

  describe(parseShouldRetry.name, () => {
    it.each([
      ['true', true],
      ['FALSE', false],
      ['maybe', undefined],
      [undefined, undefined],
    ])('reads %j as %j', (value, expected) => {
      expect(parseShouldRetry(value)).toBe(expected);
    });
  });

  describe(parseMessageRetryHint.name, () => {
    it.each([
      ['openai', 135],
      ['groq', 3300],
    ])('reads the %s 429 message', (provider, expected) => {
      const body = readJsonFixture(provider, 'error-429.json') as { error: { message: string } };
      expect(parseMessageRetryHint(body.error.message)).toBe(expected);
    });

    it.each([
      ['Please try again in 6m0s.', 360000],
      ['Please try again in 20 seconds.', 20000],
      ['Please try again later.', undefined],
      [undefined, undefined],
    ])('reads %j as %j ms', (message, expected) => {
      expect(parseMessageRetryHint(message)).toBe(expected);
    });
  });

  describe(readRetryHintMs.name, () => {
    it.each([
      ['openai', 1000],
      ['groq', 4000],
      ['anthropic', 19000],
      ['gemini', undefined],
    ])('prefers retry-after in the %s 429 headers', (provider, expected) => {
      expect(readRetryHintMs(readHeadersFixture(provider, 'headers-429.txt').headers, NOW)).toBe(expected);
    });

    it('lets retry-after-ms win over retry-after', () => {
      expect(readRetryHintMs({ 'retry-after-ms': '250.5', 'retry-after': '3' }, NOW)).toBe(251);
    });

    it('falls back to the reset of an exhausted limit', () => {
      const openai = without(readHeadersFixture('openai', 'headers-429.txt').headers, 'retry-after');
      expect(readRetryHintMs(openai, NOW)).toBe(135);
      const anthropic = without(readHeadersFixture('anthropic', 'headers-429.txt').headers, 'retry-after');
      expect(readRetryHintMs(anthropic, NOW)).toBe(36000);
    });

    it('ignores resets of limits that are not exhausted', () => {
      const groq = without(readHeadersFixture('groq', 'headers-429.txt').headers, 'retry-after');
      expect(readRetryHintMs(groq, NOW)).toBeUndefined();
    });
  });

  describe(readExhaustedResetMs.name, () => {
    it('waits for the latest of several exhausted limits', () => {
      const headers = {
        'x-ratelimit-remaining-requests': '0',
        'x-ratelimit-reset-requests': '4m10.02s',
        'x-ratelimit-remaining-tokens': '0',
        'x-ratelimit-reset-tokens': '3.3s',
      };
      expect(readExhaustedResetMs(headers, NOW)).toBe(250020);
    });

    it('treats -1 as unknown, not exhausted', () => {
      expect(
        readExhaustedResetMs({ 'x-ratelimit-remaining-tokens': '-1', 'x-ratelimit-reset-tokens': '1s' }, NOW),
      ).toBeUndefined();
    });

    it('reads the unsuffixed pair and any header case', () => {
      expect(readExhaustedResetMs({ 'X-RateLimit-Remaining': '0', 'X-RateLimit-Reset': '2s' }, NOW)).toBe(
        2000,
      );
    });
  });

  describe(headerValue.name, () => {
    it('reads the first of repeated headers, whatever the name case', () => {
      expect(headerValue({ 'x-hint': ['5', '9'] }, 'X-Hint')).toBe('5');
      expect(headerValue({ 'Retry-After': '7' }, 'retry-after')).toBe('7');
      expect(headerValue({ 'retry-after': '  ' }, 'retry-after')).toBeUndefined();
    });
  });
});
