import type { ChatRequest } from '../chat.types';
import { toGeminiRequest } from './gemini-request';

const weatherCall = {
  id: 'call_a',
  type: 'function' as const,
  function: { name: 'weather', arguments: '{"city":"Oslo"}' },
};
const timeCall = { id: 'call_b', type: 'function' as const, function: { name: 'time', arguments: '{}' } };

describe(toGeminiRequest.name, () => {
  it('translates tools, tool calls, tool results and parameters', () => {
    const request: ChatRequest = {
      model: 'm',
      messages: [
        { role: 'developer', content: 'Use tools.' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Weather and time?' },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBOR' } },
          ],
        },
        { role: 'assistant', content: null, tool_calls: [weatherCall, timeCall] },
        { role: 'tool', tool_call_id: 'call_a', content: '{"temp":3}' },
        { role: 'tool', tool_call_id: 'call_b', content: '12:00' },
      ],
      tools: [{ type: 'function', function: { name: 'weather', parameters: { type: 'object' } } }],
      tool_choice: 'required',
      top_p: 0.9,
      max_completion_tokens: 100,
      stop: 'END',
      seed: 7,
    };
    expect(toGeminiRequest(request)).toEqual({
      systemInstruction: { parts: [{ text: 'Use tools.' }] },
      contents: [
        {
          role: 'user',
          parts: [{ text: 'Weather and time?' }, { inlineData: { mimeType: 'image/png', data: 'iVBOR' } }],
        },
        {
          role: 'model',
          parts: [
            { functionCall: { name: 'weather', args: { city: 'Oslo' } } },
            { functionCall: { name: 'time', args: {} } },
          ],
        },
        {
          role: 'user',
          parts: [
            { functionResponse: { name: 'weather', response: { temp: 3 } } },
            { functionResponse: { name: 'time', response: { content: '12:00' } } },
          ],
        },
      ],
      generationConfig: { topP: 0.9, maxOutputTokens: 100, stopSequences: ['END'], seed: 7 },
      tools: [{ functionDeclarations: [{ name: 'weather', parametersJsonSchema: { type: 'object' } }] }],
      toolConfig: { functionCallingConfig: { mode: 'ANY' } },
    });
  });

  it('forces one named function and asks for JSON output by schema', () => {
    const schema = { type: 'object', properties: { a: { type: 'string' } } };
    const request: ChatRequest = {
      model: 'm',
      messages: [{ role: 'user', content: 'Hi' }],
      tools: [{ type: 'function', function: { name: 'weather' } }],
      tool_choice: { type: 'function', function: { name: 'weather' } },
      response_format: { type: 'json_schema', json_schema: { name: 'out', schema } },
    };
    expect(toGeminiRequest(request)).toMatchObject({
      toolConfig: { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['weather'] } },
      generationConfig: { responseMimeType: 'application/json', responseJsonSchema: schema },
    });
  });

  it('links image URLs and inlines audio', () => {
    const request: ChatRequest = {
      model: 'm',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'image_url', image_url: { url: 'https://example.com/cat.png' } },
            { type: 'input_audio', input_audio: { data: 'UklGR', format: 'mp3' } },
          ],
        },
      ],
    };
    expect(toGeminiRequest(request).contents).toEqual([
      {
        role: 'user',
        parts: [
          { fileData: { fileUri: 'https://example.com/cat.png' } },
          { inlineData: { mimeType: 'audio/mp3', data: 'UklGR' } },
        ],
      },
    ]);
  });

  it('names a tool result by its message name when the call id is unknown', () => {
    const request: ChatRequest = {
      model: 'm',
      messages: [{ role: 'tool', tool_call_id: 'missing', name: 'lookup', content: '[1,2]' }],
    };
    expect(toGeminiRequest(request).contents).toEqual([
      { role: 'user', parts: [{ functionResponse: { name: 'lookup', response: { content: [1, 2] } } }] },
    ]);
  });
});
