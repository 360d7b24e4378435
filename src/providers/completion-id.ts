import { randomHex } from '../common/random-hex';

/** An OpenAI-style completion id for providers whose own ids are not OpenAI-shaped. */
export function newCompletionId(): string {
  return `chatcmpl-${randomHex(16)}`;
}
