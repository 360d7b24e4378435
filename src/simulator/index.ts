/**
 * The provider simulator: OpenAI, Groq, Gemini, Cohere, Ollama and Anthropic wire protocols on one
 * node:http port, with per-provider fault profiles and a record of every request. A test and demo
 * tool; nothing in the gateway imports it. See README.md in this folder.
 */
export { startSimulator } from './simulator.server';
export type { SimulatorHandle, SimulatorOptions, SimulatedProviderInfo } from './simulator.types';
export type { ProviderDeclaration } from './provider-registry';
export { DEFAULT_PROVIDERS } from './provider-registry';
export type { Flavour } from './flavours/flavour.types';
export { FLAVOURS } from './flavours/flavour.types';
export type {
  FaultProfile,
  FaultRule,
  RuleAction,
  RetryHintKind,
  ErrorVariant,
  MalformedKind,
  TimingFields,
  RuleSelector,
} from './fault-profile.types';
export { FaultProfileError, parseFaultProfile } from './fault-profile.schema';
export type { RecordedRequest, RequestFilter } from './request-recorder';
export { loadFaultsFile } from './faults-file.loader';
export { generateText, DEFAULT_RESPONSE_WORDS } from './text-generator';
export { COHERE_TEMPLATE_TOKENS } from './flavours/cohere.responder';
