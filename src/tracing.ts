import { NodeSDK, type NodeSDKConfiguration } from '@opentelemetry/sdk-node';
import { FastifyOtelInstrumentation } from '@fastify/otel';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';

/**
 * OpenTelemetry starts before Nest, Fastify and undici load (main.ts imports this second), so their
 * instrumentation can hook in. Exporters come from the standard OTEL_* environment (NodeSDK reads it).
 */
let sdk: NodeSDK | undefined;

export function startTracing(overrides: Partial<NodeSDKConfiguration> = {}): NodeSDK {
  sdk = new NodeSDK({
    serviceName: process.env.OTEL_SERVICE_NAME ?? 'cortex',
    instrumentations: [
      new HttpInstrumentation({ disableIncomingRequestInstrumentation: true }),
      new UndiciInstrumentation(),
      new FastifyOtelInstrumentation({
        registerOnInitialization: true,
        ignorePaths: (options) => options.url.startsWith('/health') || options.url.startsWith('/metrics'),
      }),
    ],
    ...overrides,
  });
  sdk.start();
  return sdk;
}

export async function stopTracing(): Promise<void> {
  await sdk?.shutdown();
}

/** Tracing runs when an exporter is configured; a laptop without a collector pays nothing for it. */
function exporterConfigured(env: NodeJS.ProcessEnv): boolean {
  return Object.keys(env).some(
    (name) => name.startsWith('OTEL_EXPORTER_') || /^OTEL_(TRACES|METRICS)_EXPORTER$/.test(name),
  );
}

if (
  process.env.OTEL_SDK_DISABLED !== 'true' &&
  process.env.TRACING_AUTOSTART !== 'false' &&
  exporterConfigured(process.env)
) {
  startTracing();
}
