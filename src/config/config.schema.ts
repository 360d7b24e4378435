import { z } from 'zod';
import { PROVIDER_TYPES } from '../providers/protocol-codec';

/**
 * The configuration file of CONTRACT §1, as a schema: every default lives here, and a bad field
 * is reported with its path. Objects are strict so a misspelt key fails at start-up instead of
 * being silently ignored.
 */

const positiveInt = z.number().int().positive();
const nonNegativeInt = z.number().int().nonnegative();
const ratio = z.number().min(0).max(1);

const serverSchema = z.strictObject({
  port: z.number().int().min(0).max(65535).default(8080),
  host: z.string().min(1).default('0.0.0.0'),
  body_limit_bytes: positiveInt.default(1_048_576),
  /** Grace period for in-flight requests and streams on SIGTERM. */
  shutdown_grace_ms: nonNegativeInt.default(10_000),
});

const deploymentSchema = z.strictObject({
  provider: z.string().min(1),
  model: z.string().min(1),
});

const jitterSchema = z.enum(['none', 'full', 'equal', 'decorrelated']);
const retryStrategySchema = z.strictObject({
  max_attempts: positiveInt,
  base_delay_ms: nonNegativeInt,
  max_delay_ms: nonNegativeInt,
  multiplier: z.number().min(1),
  jitter: jitterSchema,
});
type RetryStrategy = z.output<typeof retryStrategySchema>;
/** A strategy whose every field has its own default, so a file may set only the fields it changes. */
const retryStrategyWithDefaults = (defaults: RetryStrategy) =>
  z
    .strictObject({
      max_attempts: positiveInt.default(defaults.max_attempts),
      base_delay_ms: nonNegativeInt.default(defaults.base_delay_ms),
      max_delay_ms: nonNegativeInt.default(defaults.max_delay_ms),
      multiplier: z.number().min(1).default(defaults.multiplier),
      jitter: jitterSchema.default(defaults.jitter),
    })
    .prefault({});

const circuitBreakerFields = {
  failure_threshold: positiveInt,
  failure_rate_threshold: ratio,
  window_ms: positiveInt,
  minimum_calls: positiveInt,
  recovery_timeout_ms: positiveInt,
  reset_timeout_ms: positiveInt,
  half_open_max_probes: positiveInt,
  /** A half-open probe with no outcome within this long counts as failed. */
  probe_timeout_ms: positiveInt,
  /** Flapping providers wait longer after each re-open, up to this (Envoy-style); = recovery_timeout_ms turns growth off. */
  max_recovery_timeout_ms: positiveInt,
};
const circuitBreakerSchema = z.strictObject({
  failure_threshold: circuitBreakerFields.failure_threshold.default(5),
  failure_rate_threshold: circuitBreakerFields.failure_rate_threshold.default(0.5),
  window_ms: circuitBreakerFields.window_ms.default(60_000),
  minimum_calls: circuitBreakerFields.minimum_calls.default(20),
  recovery_timeout_ms: circuitBreakerFields.recovery_timeout_ms.default(60_000),
  reset_timeout_ms: circuitBreakerFields.reset_timeout_ms.default(300_000),
  half_open_max_probes: circuitBreakerFields.half_open_max_probes.default(1),
  probe_timeout_ms: circuitBreakerFields.probe_timeout_ms.default(60_000),
  max_recovery_timeout_ms: circuitBreakerFields.max_recovery_timeout_ms.default(300_000),
});
const circuitBreakerOverrideSchema = z.strictObject(circuitBreakerFields).partial();

const retryOverrideSchema = z
  .strictObject({
    rate_limit: retryStrategySchema.partial(),
    network: retryStrategySchema.partial(),
    server_error: retryStrategySchema.partial(),
  })
  .partial();

/** Per-provider tuning: `providers.<name>.resilience`. */
const providerResilienceSchema = z.strictObject({
  circuit_breaker: circuitBreakerOverrideSchema.optional(),
  retry: retryOverrideSchema.optional(),
});

const hedgingSchema = z.strictObject({
  enabled: z.boolean().default(false),
  after_percentile: z.number().min(1).max(99.9).default(95),
  max_extra_ratio: ratio.default(0.05),
});

/** Per-model tuning: `resilience.models.<name>`. */
const modelResilienceSchema = z.strictObject({
  request_timeout_ms: positiveInt.optional(),
  max_attempts: positiveInt.optional(),
  retry: retryOverrideSchema.optional(),
  hedging: hedgingSchema.partial().optional(),
});

const providerSchema = z.strictObject({
  type: z.enum(PROVIDER_TYPES),
  base_url: z.url({ protocol: /^https?$/ }).transform((url) => url.replace(/\/+$/, '')),
  api_keys: z.array(z.string().min(1)).default([]),
  timeout_ms: positiveInt.default(30_000),
  first_token_timeout_ms: positiveInt.default(10_000),
  idle_timeout_ms: positiveInt.default(15_000),
  max_concurrency: positiveInt.default(256),
  /** Keep-alive connections kept open to this provider. */
  connections: positiveInt.default(64),
  /**
   * Cleartext HTTP/2 with prior knowledge (h2c) for http:// providers that speak it (a service
   * mesh, vLLM behind Envoy): many streams share one connection, so 10,000 open streams need
   * dozens of sockets instead of 10,000. https:// providers negotiate HTTP/2 through ALPN anyway.
   */
  h2c: z.boolean().default(false),
  /** HTTP/2 streams undici opens on one connection before it opens another. */
  max_streams_per_connection: positiveInt.default(100),
  resilience: providerResilienceSchema.optional(),
});

const resilienceSchema = z.strictObject({
  request_timeout_ms: positiveInt.default(60_000),
  /** Upstream attempts one client request may make, retries and fallbacks together (key rotation aside). */
  max_attempts: positiveInt.default(5),
  circuit_breaker: circuitBreakerSchema.prefault({}),
  retry: z
    .strictObject({
      rate_limit: retryStrategyWithDefaults({
        max_attempts: 5,
        base_delay_ms: 2000,
        max_delay_ms: 60_000,
        multiplier: 2,
        jitter: 'full',
      }),
      network: retryStrategyWithDefaults({
        max_attempts: 3,
        base_delay_ms: 500,
        max_delay_ms: 10_000,
        multiplier: 1.5,
        jitter: 'decorrelated',
      }),
      server_error: retryStrategyWithDefaults({
        max_attempts: 4,
        base_delay_ms: 1000,
        max_delay_ms: 20_000,
        multiplier: 2,
        jitter: 'equal',
      }),
      budget: z
        .strictObject({ ratio: ratio.default(0.2), min_per_second: z.number().nonnegative().default(3) })
        .prefault({}),
    })
    .prefault({}),
  hedging: hedgingSchema.prefault({}),
  /** After a recovery (breaker closed, key back), traffic returns in these shares over the window. */
  recovery_ramp: z
    .strictObject({
      steps: z.array(z.number().gt(0).max(1)).min(1).default([0.1, 0.25, 0.5, 1]),
      window_ms: nonNegativeInt.default(60_000),
    })
    .prefault({}),
  models: z.record(z.string(), modelResilienceSchema).default({}),
});

type DegradedLevel = 'minor_issues' | 'major_issues' | 'critical' | 'emergency';
const thresholdsSchema = (defaults: Record<DegradedLevel, number>) =>
  z
    .strictObject({
      minor_issues: ratio.default(defaults.minor_issues),
      major_issues: ratio.default(defaults.major_issues),
      critical: ratio.default(defaults.critical),
      emergency: ratio.default(defaults.emergency),
    })
    .prefault({});
const tierAcceptance = (premium: number, normal: number) =>
  z.strictObject({ premium: ratio.default(premium), normal: ratio.default(normal) }).prefault({});

const degradationSchema = z.strictObject({
  degrade_below: thresholdsSchema({ minor_issues: 0.8, major_issues: 0.5, critical: 0.2, emergency: 0.0 }),
  recover_above: thresholdsSchema({ minor_issues: 0.9, major_issues: 0.7, critical: 0.4, emergency: 0.3 }),
  acceptance: z
    .strictObject({
      healthy: tierAcceptance(1, 1),
      minor_issues: tierAcceptance(1, 1),
      major_issues: tierAcceptance(1, 0.7),
      critical: tierAcceptance(1, 0.3),
      emergency: tierAcceptance(0.5, 0),
    })
    .prefault({}),
  retry_after_seconds: positiveInt.default(60),
  /** limit_concurrent_requests (critical and worse): client requests in flight beyond this answer 503. */
  max_concurrent_requests: positiveInt.default(64),
  /** cache_responses: answers of deterministic requests (temperature 0), kept this long, within this memory. */
  cache: z
    .strictObject({
      ttl_seconds: positiveInt.default(300),
      max_bytes: positiveInt.default(16 * 1024 * 1024),
    })
    .prefault({}),
});

const alertRuleSchema = z.strictObject({
  severity: z.enum(['info', 'warning', 'critical']),
  cooldown_ms: nonNegativeInt,
  threshold: z.number().optional(),
  threshold_bytes: z.number().optional(),
});

const alertChannelSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('log'), level: z.enum(['info', 'warn', 'error']).default('error') }),
  z.strictObject({ type: z.literal('webhook'), url: z.url({ protocol: /^https?$/ }) }),
]);

const clientSchema = z.strictObject({
  name: z.string().min(1),
  key: z.string().min(8, 'client keys must be at least 8 characters'),
  tier: z.enum(['premium', 'normal']).default('normal'),
  rpm: positiveInt.optional(),
});

export const configSchema = z
  .strictObject({
    server: serverSchema.prefault({}),
    providers: z.record(
      z.string().regex(/^[a-z0-9][a-z0-9_-]*$/i, 'provider names are letters, digits, - and _'),
      providerSchema,
    ),
    models: z.record(
      z.string().min(1),
      z.array(deploymentSchema).min(1, 'a model needs at least one deployment'),
    ),
    resilience: resilienceSchema.prefault({}),
    degradation: degradationSchema.prefault({}),
    health: z
      .strictObject({
        check_interval_ms: positiveInt.default(30_000),
        history_size: positiveInt.default(100),
      })
      .prefault({}),
    alerts: z
      .strictObject({
        channels: z.array(alertChannelSchema).default([{ type: 'log', level: 'error' }]),
        rules: z
          .strictObject({
            no_available_workers: alertRuleSchema.default({ severity: 'critical', cooldown_ms: 300_000 }),
            circuit_breaker_open: alertRuleSchema.default({ severity: 'warning', cooldown_ms: 180_000 }),
            high_dlq_size: alertRuleSchema.default({
              severity: 'warning',
              cooldown_ms: 600_000,
              threshold: 50,
            }),
            high_memory_usage: alertRuleSchema.default({
              severity: 'warning',
              cooldown_ms: 300_000,
              threshold_bytes: 1_000_000_000,
            }),
            key_disabled: alertRuleSchema.default({ severity: 'critical', cooldown_ms: 0 }),
          })
          .prefault({}),
      })
      .prefault({}),
    dlq: z
      .strictObject({
        store: z.enum(['sqlite', 'redis', 'memory']).default('sqlite'),
        max_size: positiveInt.default(1000),
        retention_hours: z.number().positive().default(24),
      })
      .prefault({}),
    clients: z.array(clientSchema).default([]),
    admin: z.strictObject({ tokens: z.array(z.string().min(1)).default([]) }).prefault({}),
    /** Process-level settings that CONTRACT §1 sets from the environment. */
    runtime: z
      .strictObject({
        data_dir: z.string().min(1).default('./data'),
        redis_url: z.string().optional(),
        log_level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
      })
      .prefault({}),
  })
  .superRefine((config, ctx) => {
    for (const [model, chain] of Object.entries(config.models)) {
      chain.forEach((deployment, index) => {
        if (!(deployment.provider in config.providers)) {
          ctx.addIssue({
            code: 'custom',
            path: ['models', model, index, 'provider'],
            message: `unknown provider "${deployment.provider}" (configured: ${Object.keys(config.providers).join(', ') || 'none'})`,
          });
        }
      });
    }
    for (const model of Object.keys(config.resilience.models)) {
      if (!(model in config.models)) {
        ctx.addIssue({
          code: 'custom',
          path: ['resilience', 'models', model],
          message: `unknown model "${model}"`,
        });
      }
    }
    const seen = new Set<string>();
    config.clients.forEach((client, index) => {
      if (seen.has(client.key)) {
        ctx.addIssue({
          code: 'custom',
          path: ['clients', index, 'key'],
          message: 'two clients share this key',
        });
      }
      seen.add(client.key);
    });
  });

export type CortexConfig = z.output<typeof configSchema>;
export type ProviderConfig = CortexConfig['providers'][string];
export type DeploymentConfig = CortexConfig['models'][string][number];
export type RetryStrategyConfig = CortexConfig['resilience']['retry']['rate_limit'];
export type RetryStrategiesConfig = Omit<CortexConfig['resilience']['retry'], 'budget'>;
export type CircuitBreakerConfig = CortexConfig['resilience']['circuit_breaker'];
export type HedgingConfig = CortexConfig['resilience']['hedging'];
export type ClientConfig = CortexConfig['clients'][number];
export type ClientTier = ClientConfig['tier'];
