import { readDelta, readFinishReason, readOpenAiError, readToolCalls, readUsage } from './openai-readers';

describe('openai readers', () => {
  describe(readOpenAiError.name, () => {
    it.each([
      [
        'the envelope',
        {
          error: {
            message: 'm',
            type: 'invalid_request_error',
            param: 'messages',
            code: 'context_length_exceeded',
          },
        },
        { message: 'm', type: 'invalid_request_error', param: 'messages', code: 'context_length_exceeded' },
      ],
      ['a bare string', { error: 'model not loaded' }, { message: 'model not loaded' }],
      [
        "vLLM's flat body",
        { object: 'error', message: 'too long', type: 'BadRequestError', param: null, code: 400 },
        { message: 'too long', type: 'BadRequestError', param: null, code: '400' },
      ],
      ['HTML', undefined, {}],
      ['an unrelated object', { detail: 'x' }, {}],
    ])('reads %s', (_case, body, expected) => {
      expect(readOpenAiError(body)).toEqual({
        message: undefined,
        type: undefined,
        code: undefined,
        param: undefined,
        ...expected,
      });
    });
  });

  describe(readToolCalls.name, () => {
    it('keeps well-formed calls and stringifies object arguments', () => {
      expect(
        readToolCalls([
          { id: 'call_1', type: 'function', function: { name: 'f', arguments: '{"a":1}' } },
          { id: 'call_2', type: 'function', function: { name: 'g', arguments: { b: 2 } } },
          { id: 'call_3', type: 'function', function: {} },
          'junk',
        ]),
      ).toEqual([
        { id: 'call_1', type: 'function', function: { name: 'f', arguments: '{"a":1}' } },
        { id: 'call_2', type: 'function', function: { name: 'g', arguments: '{"b":2}' } },
      ]);
    });
  });

  describe(readUsage.name, () => {
    it('prefers usage, falls back to x_groq.usage, and needs both token counts', () => {
      expect(readUsage({ usage: { prompt_tokens: 1, completion_tokens: 2 } })).toEqual({
        prompt_tokens: 1,
        completion_tokens: 2,
        total_tokens: 3,
      });
      expect(
        readUsage({
          x_groq: { usage: { prompt_tokens: 4, completion_tokens: 5, total_tokens: 9, queue_time: 0.1 } },
        }),
      ).toEqual({
        prompt_tokens: 4,
        completion_tokens: 5,
        total_tokens: 9,
      });
      expect(readUsage({ usage: null })).toBeUndefined();
      expect(readUsage({ usage: { prompt_tokens: 1 } })).toBeUndefined();
    });
  });

  describe(readFinishReason.name, () => {
    it.each([
      ['tool_calls', 'tool_calls'],
      ['abort', 'stop'],
      [null, null],
      [3, null],
    ])('reads %j as %j', (value, expected) => {
      expect(readFinishReason(value)).toBe(expected);
    });
  });

  describe(readDelta.name, () => {
    it('keeps only typed delta fields', () => {
      expect(
        readDelta({
          role: 'assistant',
          content: 'x',
          reasoning: 'hidden',
          tool_calls: [{ index: 1, id: 'c', type: 'function', function: { name: 'f', arguments: '' } }],
        }),
      ).toEqual({
        role: 'assistant',
        content: 'x',
        tool_calls: [{ index: 1, id: 'c', type: 'function', function: { name: 'f', arguments: '' } }],
      });
      expect(readDelta(undefined)).toEqual({});
    });
  });
});
