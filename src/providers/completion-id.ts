import { randomUUID } from 'node:crypto';

/** An OpenAI-style completion id for providers whose own ids are not OpenAI-shaped. */
export function newCompletionId(): string {
  return `chatcmpl-${randomUUID().replaceAll('-', '')}`;
}
