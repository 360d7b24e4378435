import type {
  FaultProfile,
  FaultRule,
  InternalErrorVariant,
  MalformedKind,
  RetryHintKind,
  TimingFields,
} from './fault-profile.types';
import type { ProviderState } from './provider-registry';
import { DEFAULT_HINT_MS, hintList } from './retry-hints';
import { DEFAULT_RESPONSE_WORDS } from './text-generator';

/** What the simulator does with one request. */
export type Outcome =
  | { kind: 'ok' }
  | {
      kind: 'error';
      status: number;
      variant: InternalErrorVariant;
      hints: readonly RetryHintKind[];
      hintMs: number;
      message?: string;
    }
  | { kind: 'hang' }
  | { kind: 'reset' }
  | { kind: 'disconnect' | 'stall'; afterChunks: number }
  | { kind: 'stream_error'; afterChunks: number; status: number; message?: string }
  | { kind: 'malformed'; malformed: MalformedKind; status: number; afterChunks: number };

export interface Timing {
  latencyMs: number;
  firstTokenDelayMs: number;
  chunkDelayMs: number;
  responseWords: number;
}

export interface Decision {
  outcome: Outcome;
  timing: Timing;
  /** Which fault applied, for the request record. */
  label?: string;
}

export interface RequestFacts {
  key?: string;
  model?: string;
  /** A chat request (model lists and health endpoints are not). */
  chat: boolean;
  now: number;
}

const OK: Outcome = { kind: 'ok' };
// A quota does not clear in seconds; the hint (where a provider sends one) says an hour.
const QUOTA_HINT_MS = 3_600_000;

/**
 * Decides the fault for one request, in this order: provider down, missing or rejected key,
 * unknown model, per-key rate limit, per-key quota, then the first matching rule. Counters and the
 * seeded random source advance here, so a given request order always gets the same decisions.
 */
export function decide(provider: ProviderState, facts: RequestFacts): Decision {
  const profile = provider.profile;
  const ordinal = facts.chat ? ++provider.chatCount : provider.chatCount;
  const error = (status: number, variant: InternalErrorVariant, label: string, hintMs = 0): Decision => ({
    outcome: {
      kind: 'error',
      status,
      variant,
      hints: provider.responder.defaultHints(status, variant),
      hintMs,
    },
    timing: timing(provider, profile),
    label,
  });

  if (profile.down_until !== undefined && facts.now < profile.down_until) {
    return error(profile.down_status ?? 503, 'default', 'down');
  }
  const responder = provider.responder;
  if (responder.requiresKey && facts.key === undefined)
    return error(responder.missingKeyStatus, 'missing_key', 'missing_key');
  if (facts.key !== undefined && profile.invalid_keys?.includes(facts.key)) {
    return error(responder.invalidKeyStatus, 'invalid_key', 'invalid_key');
  }
  if (facts.chat) {
    if (profile.known_models && facts.model !== undefined && !profile.known_models.includes(facts.model)) {
      return error(404, 'model_not_found', 'unknown_model');
    }
    const limited = rateLimit(provider, profile, facts);
    if (limited) return limited;
    if (profile.quota) {
      const keyName = facts.key ?? '';
      const used = provider.quotaUsed.get(keyName) ?? 0;
      if (used >= profile.quota.requests_per_key) return error(429, 'quota', 'quota', QUOTA_HINT_MS);
      provider.quotaUsed.set(keyName, used + 1);
    }
  }
  const rules = profile.rules ?? [];
  for (let i = 0; i < rules.length; i++) {
    const rule = rules[i];
    if (!selects(provider, rule, facts, ordinal)) continue;
    const outcome = ruleOutcome(provider, rule);
    return { outcome, timing: timing(provider, profile, rule), label: `rule:${i}:${rule.action ?? 'error'}` };
  }
  return { outcome: OK, timing: timing(provider, profile) };
}

function rateLimit(
  provider: ProviderState,
  profile: FaultProfile,
  facts: RequestFacts,
): Decision | undefined {
  if (!profile.rate_limit) return undefined;
  const windowMs = profile.rate_limit.window_ms ?? 1000;
  const keyName = facts.key ?? '';
  let stamps = provider.rateWindows.get(keyName);
  if (!stamps) provider.rateWindows.set(keyName, (stamps = []));
  while (stamps.length > 0 && stamps[0] <= facts.now - windowMs) stamps.shift();
  if (stamps.length < profile.rate_limit.requests) {
    stamps.push(facts.now);
    return undefined;
  }
  // Whole seconds, rounded up: Retry-After is an integer and must not send the client back early.
  const waitMs = Math.max(1000, Math.ceil((stamps[0] + windowMs - facts.now) / 1000) * 1000);
  const hints = new Set<RetryHintKind>([
    'retry_after',
    ...provider.responder.defaultHints(429, 'rate_limit'),
  ]);
  return {
    outcome: { kind: 'error', status: 429, variant: 'rate_limit', hints: [...hints], hintMs: waitMs },
    timing: timing(provider, profile),
    label: 'rate_limit',
  };
}

function selects(provider: ProviderState, rule: FaultRule, facts: RequestFacts, ordinal: number): boolean {
  if (!facts.chat && rule.scope !== 'all') return false;
  if (rule.first_n !== undefined && ordinal > rule.first_n) return false;
  if (rule.after_n !== undefined && ordinal <= rule.after_n) return false;
  if (rule.every_nth !== undefined && (ordinal === 0 || ordinal % rule.every_nth !== 0)) return false;
  if (rule.keys && (facts.key === undefined || !rule.keys.includes(facts.key))) return false;
  if (rule.models && (facts.model === undefined || !rule.models.includes(facts.model))) return false;
  if (rule.from !== undefined && facts.now < rule.from) return false;
  if (rule.until !== undefined && facts.now >= rule.until) return false;
  if (
    rule.cycle_ms !== undefined &&
    (facts.now - provider.profileSetAt) % rule.cycle_ms >= (rule.active_ms ?? 0)
  ) {
    return false;
  }
  // The draw comes last so requests the other conditions exclude do not shift the sequence.
  if (rule.rate !== undefined && rule.rate < 1 && provider.random.next() >= rule.rate) return false;
  return true;
}

function ruleOutcome(provider: ProviderState, rule: FaultRule): Outcome {
  const afterChunks = rule.after_chunks ?? 0;
  switch (rule.action ?? 'error') {
    case 'error': {
      const status = rule.status ?? 500;
      const variant = rule.variant ?? 'default';
      const hints = hintList(rule.hint) ?? provider.responder.defaultHints(status, variant);
      return {
        kind: 'error',
        status,
        variant,
        hints,
        hintMs: rule.hint_ms ?? DEFAULT_HINT_MS,
        message: rule.message,
      };
    }
    case 'hang':
      return { kind: 'hang' };
    case 'reset_before_headers':
      return { kind: 'reset' };
    case 'disconnect':
      return { kind: 'disconnect', afterChunks };
    case 'stall':
      return { kind: 'stall', afterChunks };
    case 'stream_error':
      return {
        kind: 'stream_error',
        afterChunks,
        status: rule.status ?? (provider.flavour === 'anthropic' ? 529 : 500),
        message: rule.message,
      };
    case 'malformed':
      return {
        kind: 'malformed',
        malformed: rule.kind ?? 'truncated_json',
        status: rule.status ?? 200,
        afterChunks,
      };
    case 'delay':
      return OK;
  }
}

function timing(provider: ProviderState, profile: FaultProfile, rule?: TimingFields): Timing {
  const pick = (field: keyof TimingFields): number | undefined => rule?.[field] ?? profile[field];
  const jitter = pick('jitter_ms') ?? 0;
  return {
    latencyMs: (pick('latency_ms') ?? 0) + (jitter > 0 ? provider.random.next() * jitter : 0),
    firstTokenDelayMs: pick('first_token_delay_ms') ?? 0,
    chunkDelayMs: pick('chunk_delay_ms') ?? 0,
    responseWords: pick('response_words') ?? DEFAULT_RESPONSE_WORDS,
  };
}
