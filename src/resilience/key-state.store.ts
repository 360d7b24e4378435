import { createHash } from 'node:crypto';
import type { FailureClass } from '../common/failure-class';

/**
 * Where the key pool keeps each key's state, so a disabled or resting key stays so across
 * restarts and replicas. Stores are addressed by keyStateId(), never by the key: a shared store
 * such as Redis must never hold a secret.
 */

export type KeyStatus = 'healthy' | 'resting' | 'disabled';

export interface KeyState {
  status: KeyStatus;
  /** Resting: epoch ms at which the key may be used again. */
  until?: number;
  /** Why the key is resting or disabled. */
  reason?: FailureClass;
  /** Epoch ms of the last status change. */
  since: number;
  successes: number;
  failures: number;
}

export interface KeyStateStore {
  /** The saved state of a key, if any. */
  load(provider: string, keyId: string): KeyState | undefined;
  /** Saves a key's state; the store must not keep a reference to `state`. */
  save(provider: string, keyId: string, state: KeyState): void;
}

/** A stable, non-reversible id for a key: the first 16 hex digits of its sha256. */
export function keyStateId(key: string): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 16);
}

/** A per-process store: keeps key states across KeyPool instances, not across restarts. */
export class MemoryKeyStateStore implements KeyStateStore {
  private readonly states = new Map<string, KeyState>();

  /** A copy of the saved state, so callers cannot change the stored one. */
  load(provider: string, keyId: string): KeyState | undefined {
    const state = this.states.get(`${provider}/${keyId}`);
    return state && { ...state };
  }

  /** Saves a copy of the state. */
  save(provider: string, keyId: string, state: KeyState): void {
    this.states.set(`${provider}/${keyId}`, { ...state });
  }
}
