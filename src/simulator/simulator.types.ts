import type { FaultProfile } from './fault-profile.types';
import type { ProviderDeclaration } from './provider-registry';
import type { RecordedRequest, RequestFilter } from './request-recorder';

export interface SimulatorOptions {
  /** 0 (default) picks a free ephemeral port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Providers besides the six defaults (openai, groq, gemini, cohere, ollama, anthropic); a same name redefines one. */
  providers?: ProviderDeclaration[];
  /** Start-up fault profiles by provider name; `reset()` returns to these. */
  faults?: Record<string, FaultProfile>;
  /** A JSON or YAML file with `seed`, `providers` and `faults` (see README); options given here win. */
  faultsFile?: string;
  /** Default seed of every provider's random source (a profile's own `seed` wins). Default 1. */
  seed?: number;
  /** How many request records to keep (oldest dropped first). Default 10,000. */
  recordLimit?: number;
}

export interface SimulatedProviderInfo {
  name: string;
  flavour: ProviderDeclaration['flavour'];
  baseUrl: string;
}

export interface SimulatorHandle {
  /** e.g. http://127.0.0.1:41234 */
  readonly url: string;
  readonly port: number;
  readonly host: string;
  /** The base_url a gateway config uses for this provider, e.g. `${url}/groq/openai/v1`. */
  baseUrl(name: string): string;
  providers(): SimulatedProviderInfo[];
  /** Adds (or redefines) a provider at run time. */
  declareProvider(declaration: ProviderDeclaration): Promise<SimulatedProviderInfo>;
  faults(name: string): FaultProfile;
  /** Replaces the profile and restarts its counters; throws FaultProfileError when invalid. */
  setFaults(name: string, profile: FaultProfile): Promise<FaultProfile>;
  /** Merges top-level fields (`null` removes one); counters keep running. */
  patchFaults(name: string, patch: Partial<Record<keyof FaultProfile, unknown>>): Promise<FaultProfile>;
  /** Copies of the recorded requests, oldest first. */
  requests(filter?: RequestFilter): RecordedRequest[];
  clearRequests(): Promise<void>;
  /** Start-up profiles back, counters and records cleared. */
  reset(): Promise<void>;
  /** Stops listening and destroys every open socket, hanging ones included. */
  close(): Promise<void>;
}
