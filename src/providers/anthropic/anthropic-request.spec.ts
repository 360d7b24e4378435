import type { ChatRequest } from '../chat.types';
import { toAnthropicRequest } from './anthropic-request';

describe(toAnthropicRequest.name, () => {
  it('defaults max_tokens, merges roles and translates tools', () => {
    const request: ChatRequest = {
      model: 'm',
      messages: [
        { role: 'system', content: 'One.' },
        { role: 'developer', content: 'Two.' },
        { role: 'user', content: 'Weather?' },
        {
          role: 'user',
          content: [{ type: 'image_url', image_url: { url: 'data:image/png;base64,iVBOR' } }],
        },
        {
          role: 'assistant',
          content: 'Checking.',
          tool_calls: [
            {
              id: 'toolu_1',
              type: 'function',
              function: { name: 'weather', arguments: '{"city":"Oslo"}' },
            },
          ],
        },
        { role: 'tool', tool_call_id: 'toolu_1', content: 'sunny' },
        { role: 'user', content: 'Thanks' },
      ],
      temperature: 1.6,
      stop: ['END'],
      user: 'u-1',
      tools: [{ type: 'function', function: { name: 'weather', description: 'Weather now' } }],
      tool_choice: 'required',
      parallel_tool_calls: false,
    };
    expect(toAnthropicRequest(request, 'claude-x', false)).toEqual({
      model: 'claude-x',
      max_tokens: 4096,
      system: 'One.\n\nTwo.',
      stream: false,
      temperature: 1,
      stop_sequences: ['END'],
      metadata: { user_id: 'u-1' },
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Weather?' },
            { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBOR' } },
          ],
        },
        {
          role: 'assistant',
          content: [
            { type: 'text', text: 'Checking.' },
            { type: 'tool_use', id: 'toolu_1', name: 'weather', input: { city: 'Oslo' } },
          ],
        },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 'toolu_1', content: 'sunny' },
            { type: 'text', text: 'Thanks' },
          ],
        },
      ],
      tools: [
        { name: 'weather', description: 'Weather now', input_schema: { type: 'object', properties: {} } },
      ],
      tool_choice: { type: 'any', disable_parallel_tool_use: true },
    });
  });

  it.each([
    [{ type: 'function', function: { name: 'weather' } }, true, { type: 'tool', name: 'weather' }],
    ['none', false, { type: 'none' }],
    [undefined, false, { type: 'auto', disable_parallel_tool_use: true }],
    [undefined, undefined, undefined],
  ] as const)('maps tool_choice %j (parallel %s) to %j', (toolChoice, parallel, expected) => {
    const request: ChatRequest = {
      model: 'm',
      messages: [{ role: 'user', content: 'Hi' }],
      tools: [{ type: 'function', function: { name: 'weather' } }],
      tool_choice: toolChoice,
      parallel_tool_calls: parallel,
    };
    expect(toAnthropicRequest(request, 'claude-x', false).tool_choice).toEqual(expected);
  });

  it('links image URLs, skips empty assistant turns and takes max_completion_tokens', () => {
    const request: ChatRequest = {
      model: 'm',
      messages: [
        { role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://example.com/cat.png' } }] },
        { role: 'assistant', content: '' },
        { role: 'user', content: 'What is it?' },
      ],
      max_completion_tokens: 300,
    };
    expect(toAnthropicRequest(request, 'claude-x', true)).toMatchObject({
      max_tokens: 300,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'image', source: { type: 'url', url: 'https://example.com/cat.png' } },
            { type: 'text', text: 'What is it?' },
          ],
        },
      ],
    });
  });
});
