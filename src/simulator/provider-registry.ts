import { parseFaultProfile, mergeFaultProfile, FaultProfileError } from './fault-profile.schema';
import type { FaultProfile } from './fault-profile.types';
import { FLAVOURS, type Flavour, type FlavourResponder } from './flavours/flavour.types';
import { responderFor } from './flavours/flavour-registry';
import { SeededRandom } from '../common/random';
import { fnv1a } from './text-hash.util';

/** A provider to serve: its name is the first path segment, its flavour the protocol it speaks. */
export interface ProviderDeclaration {
  name: string;
  flavour: Flavour;
  faults?: FaultProfile;
}

/** The six providers every simulator serves, each named after its flavour. */
export const DEFAULT_PROVIDERS: readonly ProviderDeclaration[] = FLAVOURS.map((flavour) => ({
  name: flavour,
  flavour,
}));

const NAME = /^[a-z0-9][a-z0-9_.-]{0,62}$/i;

/** One simulated provider and the state its faults need (counters, per-key windows, random source). */
export class ProviderState {
  readonly responder: FlavourResponder;
  profile: FaultProfile = {};
  random!: SeededRandom;
  /** When the profile was last replaced: the origin of `cycle_ms` windows. */
  profileSetAt = 0;
  /** Chat requests since the profile was replaced: the ordinal `first_n` and `every_nth` use. */
  chatCount = 0;
  readonly quotaUsed = new Map<string, number>();
  readonly rateWindows = new Map<string, number[]>();

  constructor(
    readonly name: string,
    readonly flavour: Flavour,
    /** Restored by reset. */
    readonly initialProfile: FaultProfile,
    private readonly simulatorSeed: number,
  ) {
    this.responder = responderFor(flavour);
    this.replaceProfile(initialProfile);
  }

  /** PUT semantics: a new profile restarts counters, windows and the random sequence. */
  replaceProfile(profile: FaultProfile): void {
    this.profile = profile;
    this.random = new SeededRandom(fnv1a(this.name, profile.seed ?? this.simulatorSeed));
    this.profileSetAt = Date.now();
    this.chatCount = 0;
    this.quotaUsed.clear();
    this.rateWindows.clear();
  }
}

/** The providers the simulator serves, by name. */
export class ProviderRegistry {
  private readonly providers = new Map<string, ProviderState>();

  constructor(private readonly seed: number) {}

  /** Adds a provider, or redefines one with the same name. */
  declare(declaration: ProviderDeclaration): ProviderState {
    if (!NAME.test(declaration.name) || declaration.name.startsWith('_')) {
      throw new FaultProfileError(
        `invalid provider name '${declaration.name}': use letters, digits, '-', '_' or '.'`,
      );
    }
    if (!FLAVOURS.includes(declaration.flavour)) {
      throw new FaultProfileError(
        `invalid flavour '${String(declaration.flavour)}': one of ${FLAVOURS.join(', ')}`,
      );
    }
    const profile = parseFaultProfile(declaration.faults ?? {}, `faults of '${declaration.name}'`);
    const state = new ProviderState(declaration.name, declaration.flavour, profile, this.seed);
    this.providers.set(declaration.name, state);
    return state;
  }

  get(name: string): ProviderState | undefined {
    return this.providers.get(name);
  }

  /** The provider or a FaultProfileError naming it. */
  require(name: string): ProviderState {
    const state = this.providers.get(name);
    if (!state) throw new UnknownProviderError(name);
    return state;
  }

  list(): ProviderState[] {
    return [...this.providers.values()];
  }

  setFaults(name: string, profile: unknown): FaultProfile {
    const state = this.require(name);
    state.replaceProfile(parseFaultProfile(profile, `faults of '${name}'`));
    return state.profile;
  }

  /** Merges top-level fields; counters keep running (only a PUT restarts them). */
  patchFaults(name: string, patch: unknown): FaultProfile {
    const state = this.require(name);
    state.profile = mergeFaultProfile(state.profile, patch, `faults of '${name}'`);
    return state.profile;
  }

  /** Every provider back to the profile it was declared with, counters cleared. */
  resetAll(): void {
    for (const state of this.providers.values()) state.replaceProfile(state.initialProfile);
  }
}

export class UnknownProviderError extends Error {
  constructor(readonly provider: string) {
    super(`unknown simulated provider '${provider}'`);
    this.name = 'UnknownProviderError';
  }
}
