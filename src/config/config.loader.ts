import { existsSync, readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { configSchema, type CortexConfig } from './config.schema';
import { builtInDefaultConfig } from './default-config';

/** The one place that reads process.env: the rest of Cortex receives a typed CortexConfig through DI. */
export type Environment = Readonly<Record<string, string | undefined>>;

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

const DEFAULT_CONFIG_PATH = 'config/cortex.yaml';
const VARIABLE = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** Where the configuration came from, for the start-up log line. */
export interface LoadedConfig {
  config: CortexConfig;
  source: string;
}

/**
 * Loads CORTEX_CONFIG (or config/cortex.yaml), substitutes ${ENV}, applies the environment
 * overrides of CONTRACT §1 and validates. With no file at all, the built-in default is used.
 */
export function loadConfig(env: Environment): LoadedConfig {
  const explicitPath = env.CORTEX_CONFIG;
  const path = explicitPath ?? DEFAULT_CONFIG_PATH;
  let raw: unknown;
  let source: string;
  if (existsSync(path)) {
    raw = readYaml(path);
    source = path;
  } else if (explicitPath) {
    throw new ConfigError(`CORTEX_CONFIG points to ${explicitPath}, which does not exist`);
  } else {
    raw = builtInDefaultConfig(env);
    source = 'built-in default';
  }
  return { config: parseConfig(raw, env, source), source };
}

/** Validates an already-parsed document (a YAML file's content or a test's object). */
export function parseConfig(raw: unknown, env: Environment, source = 'config'): CortexConfig {
  const substituted = substituteEnv(raw, env, []);
  const withOverrides = applyEnvOverrides(substituted, env);
  const result = configSchema.safeParse(withOverrides);
  if (!result.success) throw new ConfigError(formatIssues(source, result.error));
  return result.data;
}

function readYaml(path: string): unknown {
  try {
    return parseYaml(readFileSync(path, 'utf8')) ?? {};
  } catch (error) {
    throw new ConfigError(`${path}: not valid YAML: ${(error as Error).message}`);
  }
}

const UNSET = Symbol('unset');

/**
 * Replaces ${NAME} in every string. An array element that refers to an unset variable is dropped
 * (optional keys, tokens, clients and webhooks can be listed); anywhere else it is an error.
 */
function substituteEnv(value: unknown, env: Environment, path: (string | number)[]): unknown {
  if (typeof value === 'string') {
    let unset: string | undefined;
    const replaced = value.replace(VARIABLE, (_match, name: string) => {
      const found = env[name];
      if (found === undefined || found === '') unset = name;
      return found ?? '';
    });
    if (unset === undefined) return replaced;
    if (path.length > 0 && typeof path[path.length - 1] === 'number') return UNSET;
    throw new ConfigError(`${path.join('.')}: environment variable ${unset} is not set`);
  }
  if (Array.isArray(value)) {
    return value
      .map((item: unknown, index) => {
        try {
          return substituteEnv(item, env, [...path, index]);
        } catch (error) {
          // An object inside a list that needs an unset variable is dropped as a whole.
          if (error instanceof ConfigError && item !== null && typeof item === 'object') return UNSET;
          throw error;
        }
      })
      .filter((item) => item !== UNSET);
  }
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, child] of Object.entries(value)) {
      const substituted = substituteEnv(child, env, [...path, key]);
      if (substituted === UNSET) {
        throw new ConfigError(
          `${[...path, key].join('.')}: refers to an environment variable that is not set`,
        );
      }
      out[key] = substituted;
    }
    return out;
  }
  return value;
}

function applyEnvOverrides(raw: unknown, env: Environment): unknown {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return raw;
  const doc = { ...(raw as Record<string, unknown>) };
  const section = (name: string): Record<string, unknown> => {
    const current = doc[name];
    const copy =
      current !== null && typeof current === 'object' ? { ...(current as Record<string, unknown>) } : {};
    doc[name] = copy;
    return copy;
  };
  if (env.PORT !== undefined) section('server').port = toPort(env.PORT);
  if (env.HOST) section('server').host = env.HOST;
  if (env.CORTEX_ADMIN_TOKEN) section('admin').tokens = [env.CORTEX_ADMIN_TOKEN];
  if (env.REDIS_URL) section('runtime').redis_url = env.REDIS_URL;
  if (env.CORTEX_DATA_DIR) section('runtime').data_dir = env.CORTEX_DATA_DIR;
  if (env.LOG_LEVEL) section('runtime').log_level = env.LOG_LEVEL;
  return doc;
}

function toPort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ConfigError(`PORT: "${value}" is not a port number (0-65535)`);
  }
  return port;
}

function formatIssues(source: string, error: z.ZodError): string {
  const lines = error.issues.slice(0, 10).map((issue) => {
    const field = issue.path.length > 0 ? issue.path.join('.') : '(top level)';
    return `  - ${field}: ${issue.message}`;
  });
  const more = error.issues.length > 10 ? `\n  ... and ${error.issues.length - 10} more` : '';
  return `invalid configuration (${source}):\n${lines.join('\n')}${more}`;
}
