import { GatewayError } from '../common/gateway-error';
import { parseChatRequest } from './chat-request.schema';

const valid = { model: 'chat', messages: [{ role: 'user', content: 'hi' }] };

function rejection(body: unknown): GatewayError {
  try {
    parseChatRequest(body);
  } catch (error) {
    if (error instanceof GatewayError) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}

describe('parseChatRequest', () => {
  it('accepts a minimal request and keeps unknown fields for OpenAI-compatible upstreams', () => {
    const request = parseChatRequest({
      ...valid,
      response_format: { type: 'json_object' },
      temperature: null,
    });
    expect(request.model).toBe('chat');
    expect(request.response_format).toEqual({ type: 'json_object' });
    expect('temperature' in request).toBe(false);
  });

  it('accepts tool calls, tool results, content parts and every parameter in range', () => {
    const request = parseChatRequest({
      model: 'chat',
      messages: [
        { role: 'system', content: 'be brief' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'weather?' },
            { type: 'image_url', image_url: { url: 'x' } },
          ],
        },
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: 'c1', type: 'function', function: { name: 'w', arguments: '{}' } }],
        },
        { role: 'tool', tool_call_id: 'c1', content: 'sunny' },
      ],
      temperature: 2,
      top_p: 0,
      max_tokens: 10,
      max_completion_tokens: 10,
      stop: ['a', 'b'],
      seed: 7,
      stream: true,
      stream_options: { include_usage: true },
      tools: [{ type: 'function', function: { name: 'w', parameters: {} } }],
      tool_choice: 'auto',
    });
    expect(request.messages).toHaveLength(4);
  });

  it.each([
    [null, null, 'The request body must be a JSON object.'],
    [[1, 2], null, 'The request body must be a JSON object.'],
    [{ messages: valid.messages }, 'model', "Missing required parameter: 'model'."],
    [{ ...valid, model: 42 }, 'model', "Invalid value for 'model'"],
    [{ ...valid, model: '' }, 'model', 'must not be empty'],
    [{ model: 'chat' }, 'messages', "Missing required parameter: 'messages'."],
    [{ ...valid, messages: 'hi' }, 'messages', "Invalid value for 'messages'"],
    [{ ...valid, messages: [] }, 'messages', 'must contain at least one message'],
    [
      { ...valid, messages: [{ role: 'wizard', content: 'x' }] },
      'messages[0].role',
      'must be one of system, developer, user, assistant, tool',
    ],
    [{ ...valid, messages: [{ content: 'x' }] }, 'messages[0].role', 'must be one of'],
    [
      { ...valid, messages: [{ role: 'user', content: 5 }] },
      'messages[0].content',
      "Invalid value for 'messages[0].content'",
    ],
    [{ ...valid, messages: [{ role: 'user' }] }, 'messages[0].content', 'Missing required parameter'],
    [
      { ...valid, messages: [{ role: 'tool', content: 'x' }] },
      'messages[0].tool_call_id',
      'Missing required parameter',
    ],
    [
      { ...valid, messages: [{ role: 'assistant', content: null }] },
      'messages[0].content',
      'needs content or tool_calls',
    ],
    [{ ...valid, temperature: 2.5 }, 'temperature', "Invalid value for 'temperature'"],
    [{ ...valid, temperature: -0.1 }, 'temperature', "Invalid value for 'temperature'"],
    [{ ...valid, temperature: 'hot' }, 'temperature', "Invalid value for 'temperature'"],
    [{ ...valid, top_p: 1.5 }, 'top_p', "Invalid value for 'top_p'"],
    [{ ...valid, max_tokens: 0 }, 'max_tokens', "Invalid value for 'max_tokens'"],
    [{ ...valid, max_tokens: 1.5 }, 'max_tokens', "Invalid value for 'max_tokens'"],
    [{ ...valid, stop: ['a', 'b', 'c', 'd', 'e'] }, 'stop', 'at most 4 stop sequences'],
    [{ ...valid, stream: 'yes' }, 'stream', "Invalid value for 'stream'"],
    [
      { ...valid, stream_options: { include_usage: true } },
      'stream_options',
      "only allowed when 'stream' is enabled",
    ],
    [{ ...valid, n: 2 }, 'n', 'only n = 1 is supported'],
  ])('rejects %j naming param %s', (body, param, message) => {
    const error = rejection(body);
    expect(error.status).toBe(400);
    expect(error.type).toBe('invalid_request_error');
    expect(error.param).toBe(param);
    expect(error.message).toContain(message);
  });
});
