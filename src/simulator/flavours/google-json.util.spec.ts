import { googleJson } from './google-json.util';

describe('googleJson', () => {
  it('writes Google\'s stream style: `": "` after keys, no space after commas', () => {
    const value = {
      candidates: [{ content: { parts: [{ text: 'Hi, "you"' }], role: 'model' } }],
      n: 1,
      x: null,
      skip: undefined,
    };
    expect(googleJson(value)).toBe(
      '{"candidates": [{"content": {"parts": [{"text": "Hi, \\"you\\""}],"role": "model"}}],"n": 1,"x": null}',
    );
  });
});
