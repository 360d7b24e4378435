import { forEachText, isRecord } from './json-narrow.util';

/** FNV-1a over UTF-16 code units: cheap, stable across runs, good enough to seed generated text. */
export function fnv1a(text: string, seed = 0x811c9dc5): number {
  let hash = seed >>> 0;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/** Counts whitespace-separated words; the simulator's deterministic stand-in for a tokenizer. */
export function countWords(text: string): number {
  let words = 0;
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const space = c === 32 || c === 10 || c === 13 || c === 9;
    if (!space && !inWord) words++;
    inWord = !space;
  }
  return words;
}

/** Accumulates the prompt texts of one request into a hash and a token count. */
export class PromptDigest {
  hash: number;
  tokens = 0;

  constructor(model: string) {
    this.hash = fnv1a(model);
  }

  add(text: string): void {
    // The separator keeps ["ab", "c"] and ["a", "bc"] apart.
    this.hash = fnv1a(text, fnv1a('\u0000', this.hash));
    this.tokens += countWords(text);
  }

  /** Adds the texts of a message content: a string, or the `text` of each part of a parts array. */
  addContent(content: unknown): void {
    forEachText(content, (text) => this.add(text));
  }

  /** Adds the content of each message object of a chat request's `messages`, in order. */
  addMessages(messages: readonly unknown[]): void {
    for (const message of messages) {
      if (isRecord(message)) this.addContent(message.content);
    }
  }
}
