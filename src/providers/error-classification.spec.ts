import { FailureClass } from '../common/failure-class';
import { classForStatus, maskSecrets, upstreamFailure } from './error-classification';

describe('error classification', () => {
  describe(maskSecrets.name, () => {
    it.each([
      [
        'Incorrect API key provided: sk-test-************************wxyz.',
        'Incorrect API key provided: ****wxyz.',
      ],
      ['key sk-proj-AbCdEf0123456789xyZ9 is bad', 'key ****xyZ9 is bad'],
      ['groq gsk_0123456789abcdefABCD rejected', 'groq ****ABCD rejected'],
      ['google AIzaSyA1b2C3d4E5f6G7h8I9j0KlMnOpQrStUvW', 'google ****tUvW'],
      ['cohere key 0123456789abcdefghij0123456789abcdefghij', 'cohere key ****ghij'],
    ])('masks %j', (text, expected) => {
      expect(maskSecrets(text)).toBe(expected);
    });

    it('leaves ordinary messages, org ids and request ids alone', () => {
      const text =
        'Rate limit reached in organization org-EXAMPLEorg00000000000000 (req_011CExampleRateLimit0000), risk-free task-runner.';
      expect(maskSecrets(text)).toBe(text);
    });
  });

  describe(classForStatus.name, () => {
    it.each([
      [429, false, FailureClass.RateLimited],
      [429, true, FailureClass.QuotaExceeded],
      [402, false, FailureClass.QuotaExceeded],
      [401, false, FailureClass.AuthError],
      [403, false, FailureClass.AuthError],
      [408, false, FailureClass.Timeout],
      [400, false, FailureClass.BadRequest],
      [413, false, FailureClass.BadRequest],
      [422, false, FailureClass.BadRequest],
      [404, false, FailureClass.ServiceUnavailable],
      [409, false, FailureClass.ServiceUnavailable],
      [499, false, FailureClass.NetworkError],
      [500, false, FailureClass.ServiceUnavailable],
      [502, false, FailureClass.ServiceUnavailable],
      [503, false, FailureClass.ServiceUnavailable],
      [504, false, FailureClass.ServiceUnavailable],
      [529, false, FailureClass.ServiceUnavailable],
      [507, false, FailureClass.ServiceUnavailable],
    ])('maps %i (quota %s) to %s', (status, quota, failureClass) => {
      expect(classForStatus(status, quota)).toBe(failureClass);
    });
  });

  describe(upstreamFailure.name, () => {
    it('reads the message hint only for rate limits and only without a header hint', () => {
      const message = 'Please try again in 2s.';
      expect(upstreamFailure('openai', 429, {}, 0, { message }).retryAfterMs).toBe(2000);
      expect(upstreamFailure('openai', 429, { 'retry-after': '5' }, 0, { message }).retryAfterMs).toBe(5000);
      expect(upstreamFailure('openai', 400, {}, 0, { message }).retryAfterMs).toBeUndefined();
    });

    it('keeps the hint of a 503 for resting the provider', () => {
      expect(upstreamFailure('gemini', 503, { 'retry-after': '30' }, 0)).toMatchObject({
        failureClass: FailureClass.ServiceUnavailable,
        retryAfterMs: 30000,
        message: 'gemini answered 503',
      });
    });
  });
});
