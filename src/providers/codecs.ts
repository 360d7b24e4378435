import { AnthropicCodec } from './anthropic/anthropic.codec';
import { CohereCodec } from './cohere/cohere.codec';
import { GeminiCodec } from './gemini/gemini.codec';
import { OllamaCodec } from './ollama/ollama.codec';
import { OpenAiCodec } from './openai/openai.codec';
import type { ProtocolCodec, ProviderType } from './protocol-codec';

const CODECS: Record<ProviderType, () => ProtocolCodec> = {
  openai: () => new OpenAiCodec(),
  gemini: () => new GeminiCodec(),
  cohere: () => new CohereCodec(),
  ollama: () => new OllamaCodec(),
  anthropic: () => new AnthropicCodec(),
};

/** The protocol codec of a provider type; codecs are stateless, the decoders they create are not. */
export function createCodec(type: ProviderType): ProtocolCodec {
  return CODECS[type]();
}
