import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { FaultProfileError } from './fault-profile.schema';
import type { FaultProfile } from './fault-profile.types';
import type { Flavour } from './flavours/flavour.types';
import { isRecord, stringField } from './json-narrow.util';
import type { ProviderDeclaration } from './provider-registry';

export interface FaultsFile {
  seed?: number;
  providers: ProviderDeclaration[];
  faults: Record<string, FaultProfile>;
}

/**
 * Reads a faults file (JSON, or YAML for any other extension). Profiles are validated when the
 * registry takes them, so the error names the provider and the field.
 */
export function loadFaultsFile(path: string): FaultsFile {
  const text = readFileSync(path, 'utf8');
  const document: unknown = path.endsWith('.json') ? (JSON.parse(text) as unknown) : parseYaml(text);
  if (document === null || document === undefined) return { providers: [], faults: {} };
  if (!isRecord(document))
    throw new FaultProfileError(`${path}: expected an object with seed, providers, faults`);
  const unknownKeys = Object.keys(document).filter((key) => !['seed', 'providers', 'faults'].includes(key));
  if (unknownKeys.length > 0)
    throw new FaultProfileError(`${path}: unknown top-level field(s) ${unknownKeys.join(', ')}`);

  const seed = document.seed;
  if (seed !== undefined && typeof seed !== 'number')
    throw new FaultProfileError(`${path}: seed must be a number`);
  const providers: ProviderDeclaration[] = [];
  const declared = document.providers ?? [];
  if (!Array.isArray(declared))
    throw new FaultProfileError(`${path}: providers must be a list of {name, flavour}`);
  for (const entry of declared) {
    if (!isRecord(entry)) throw new FaultProfileError(`${path}: each provider needs a name and a flavour`);
    providers.push({
      name: stringField(entry, 'name') ?? '',
      flavour: (stringField(entry, 'flavour') ?? '') as Flavour,
      faults: isRecord(entry.faults) ? entry.faults : undefined,
    });
  }
  const faults = document.faults ?? {};
  if (!isRecord(faults)) throw new FaultProfileError(`${path}: faults must map provider names to profiles`);
  return { seed, providers, faults: faults as Record<string, FaultProfile> };
}
