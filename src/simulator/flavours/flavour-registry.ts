import { AnthropicResponder } from './anthropic.responder';
import { CohereResponder } from './cohere.responder';
import type { Flavour, FlavourResponder } from './flavour.types';
import { GeminiResponder } from './gemini.responder';
import { GroqResponder } from './groq.responder';
import { OllamaResponder } from './ollama.responder';
import { OpenAiResponder } from './openai.responder';

// Responders are stateless, so one instance per flavour serves every provider of that flavour.
const RESPONDERS: Record<Flavour, FlavourResponder> = {
  openai: new OpenAiResponder(),
  groq: new GroqResponder(),
  gemini: new GeminiResponder(),
  cohere: new CohereResponder(),
  ollama: new OllamaResponder(),
  anthropic: new AnthropicResponder(),
};

export function responderFor(flavour: Flavour): FlavourResponder {
  return RESPONDERS[flavour];
}

/** The path under the provider's name that a client uses as its base URL. */
export function basePathFor(flavour: Flavour): string {
  switch (flavour) {
    case 'openai':
      return '/v1';
    case 'groq':
      return '/openai/v1';
    case 'gemini':
      return '/v1beta';
    default:
      return '';
  }
}
