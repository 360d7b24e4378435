import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig, parseConfig } from './config.loader';

const minimal = {
  providers: {
    groq: { type: 'openai', base_url: 'https://api.groq.com/openai/v1/', api_keys: ['${GROQ_KEY}'] },
  },
  models: { chat: [{ provider: 'groq', model: 'llama' }] },
};

function writeConfig(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'cortex-config-'));
  const path = join(dir, 'cortex.yaml');
  writeFileSync(path, text);
  return path;
}

describe('loadConfig', () => {
  it('fills every default of CONTRACT §1', () => {
    const config = parseConfig(minimal, { GROQ_KEY: 'gsk_abc' });
    expect(config.server).toEqual({
      port: 8080,
      host: '0.0.0.0',
      body_limit_bytes: 1_048_576,
      shutdown_grace_ms: 10_000,
    });
    expect(config.providers.groq).toMatchObject({
      base_url: 'https://api.groq.com/openai/v1',
      api_keys: ['gsk_abc'],
      timeout_ms: 30_000,
      first_token_timeout_ms: 10_000,
      idle_timeout_ms: 15_000,
      max_concurrency: 256,
    });
    expect(config.resilience.circuit_breaker.failure_threshold).toBe(5);
    expect(config.resilience.retry.rate_limit).toEqual({
      max_attempts: 5,
      base_delay_ms: 2000,
      max_delay_ms: 60_000,
      multiplier: 2,
      jitter: 'full',
    });
    expect(config.resilience.retry.budget).toEqual({ ratio: 0.2, min_per_second: 3 });
    expect(config.degradation.acceptance.critical).toEqual({ premium: 1, normal: 0.3 });
    expect(config.dlq).toEqual({ store: 'sqlite', max_size: 1000, retention_hours: 24 });
    expect(config.runtime.data_dir).toBe('./data');
  });

  it('drops list entries whose variable is unset, so optional keys can be listed', () => {
    const config = parseConfig(
      {
        ...minimal,
        providers: { groq: { ...minimal.providers.groq, api_keys: ['${GROQ_KEY}', '${GROQ_KEY_2}'] } },
        clients: [{ name: 'search', key: '${SEARCH_KEY}', tier: 'premium' }],
        alerts: { channels: [{ type: 'log' }, { type: 'webhook', url: '${ALERT_WEBHOOK_URL}' }] },
        admin: { tokens: ['${CORTEX_ADMIN_TOKEN_FILE_VALUE}'] },
      },
      { GROQ_KEY: 'gsk_one' },
    );
    expect(config.providers.groq.api_keys).toEqual(['gsk_one']);
    expect(config.clients).toEqual([]);
    expect(config.alerts.channels).toEqual([{ type: 'log', level: 'error' }]);
    expect(config.admin.tokens).toEqual([]);
  });

  it('merges a partly written retry strategy with the defaults of its kind', () => {
    const config = parseConfig(
      { ...minimal, resilience: { retry: { network: { max_attempts: 1 } } } },
      { GROQ_KEY: 'k' },
    );
    expect(config.resilience.retry.network).toEqual({
      max_attempts: 1,
      base_delay_ms: 500,
      max_delay_ms: 10_000,
      multiplier: 1.5,
      jitter: 'decorrelated',
    });
  });

  it('substitutes variables inside longer strings', () => {
    const config = parseConfig(
      {
        ...minimal,
        providers: { groq: { type: 'openai', base_url: 'http://${SIM_HOST}:9000/groq/openai/v1' } },
      },
      { SIM_HOST: '127.0.0.1' },
    );
    expect(config.providers.groq.base_url).toBe('http://127.0.0.1:9000/groq/openai/v1');
  });

  it('names the field when a scalar needs an unset variable', () => {
    expect(() =>
      parseConfig({ ...minimal, providers: { groq: { type: 'openai', base_url: '${NOPE}' } } }, {}),
    ).toThrow('providers.groq.base_url: environment variable NOPE is not set');
  });

  it('applies the environment overrides', () => {
    const config = parseConfig(minimal, {
      PORT: '9090',
      HOST: '127.0.0.1',
      CORTEX_ADMIN_TOKEN: 'admin-secret',
      REDIS_URL: 'redis://127.0.0.1:6379',
      CORTEX_DATA_DIR: '/tmp/cortex',
      LOG_LEVEL: 'warn',
    });
    expect(config.server.port).toBe(9090);
    expect(config.server.host).toBe('127.0.0.1');
    expect(config.admin.tokens).toEqual(['admin-secret']);
    expect(config.runtime).toEqual({
      redis_url: 'redis://127.0.0.1:6379',
      data_dir: '/tmp/cortex',
      log_level: 'warn',
    });
  });

  it.each([
    [{ ...minimal, providers: { groq: { type: 'grpc', base_url: 'http://x' } } }, 'providers.groq.type'],
    [
      { ...minimal, models: { chat: [{ provider: 'nope', model: 'x' }] } },
      'models.chat.0.provider: unknown provider "nope"',
    ],
    [{ ...minimal, models: { chat: [] } }, 'models.chat: a model needs at least one deployment'],
    [
      { ...minimal, resilience: { circuit_breaker: { failure_threshold: 0 } } },
      'resilience.circuit_breaker.failure_threshold',
    ],
    [
      { ...minimal, resilience: { retry: { rate_limit: { jitter: 'sometimes' } } } },
      'resilience.retry.rate_limit.jitter',
    ],
    [
      { ...minimal, degradation: { acceptance: { critical: { normal: 1.5 } } } },
      'degradation.acceptance.critical.normal',
    ],
    [{ ...minimal, servre: {} }, 'servre'],
    [
      { ...minimal, providers: { groq: { ...minimal.providers.groq, base_url: 'ftp://x' } } },
      'providers.groq.base_url',
    ],
  ])('rejects an invalid file and names the field (%#)', (raw, field) => {
    expect(() => parseConfig(raw, { GROQ_KEY: 'k' })).toThrow(ConfigError);
    expect(() => parseConfig(raw, { GROQ_KEY: 'k' })).toThrow(field);
  });

  it('rejects a bad PORT override with a clear message', () => {
    expect(() => parseConfig(minimal, { PORT: 'eighty' })).toThrow('PORT: "eighty" is not a port number');
  });

  it('reads the YAML file named by CORTEX_CONFIG', () => {
    const path = writeConfig(
      'providers:\n  local:\n    type: ollama\n    base_url: http://127.0.0.1:11434\nmodels:\n  chat:\n    - { provider: local, model: llama3.2 }\n',
    );
    const { config, source } = loadConfig({ CORTEX_CONFIG: path });
    expect(source).toBe(path);
    expect(config.models.chat).toEqual([{ provider: 'local', model: 'llama3.2' }]);
  });

  it('reports YAML syntax errors with the file name', () => {
    const path = writeConfig('providers: [unclosed\n');
    expect(() => loadConfig({ CORTEX_CONFIG: path })).toThrow(`${path}: not valid YAML`);
  });

  it('fails when CORTEX_CONFIG names a missing file', () => {
    expect(() => loadConfig({ CORTEX_CONFIG: '/nonexistent/cortex.yaml' })).toThrow('does not exist');
  });

  it('starts from the built-in default without a file: Ollama plus every provider with a key', () => {
    const cwd = process.cwd();
    process.chdir(mkdtempSync(join(tmpdir(), 'cortex-nofile-')));
    try {
      const { config, source } = loadConfig({ GROQ_API_KEY: 'gsk_x', ANTHROPIC_API_KEY: 'sk-ant-x' });
      expect(source).toBe('built-in default');
      expect(Object.keys(config.providers)).toEqual(['groq', 'anthropic', 'ollama']);
      expect(config.providers.ollama.base_url).toBe('http://127.0.0.1:11434');
      expect(config.models.default.map((d) => d.provider)).toEqual(['groq', 'anthropic', 'ollama']);
      expect(config.providers.groq.api_keys).toEqual(['gsk_x']);
    } finally {
      process.chdir(cwd);
    }
  });
});
