import './preflight';
import { stopTracing } from './tracing';
import { Logger } from '@nestjs/common';
import { createApp } from './app.factory';
import { ConfigError, loadConfig } from './config/config.loader';
import { LifecycleService } from './monitoring/lifecycle.service';

async function main(): Promise<void> {
  let loaded;
  try {
    loaded = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`cortex: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const { config, source } = loaded;
  const app = await createApp(config);
  await app.listen({ port: config.server.port, host: config.server.host });
  const logger = new Logger('Cortex');
  if (config.clients.length === 0)
    logger.warn('no clients are configured: the API is open to anyone who can reach it');
  logger.log(
    `listening on ${await app.getUrl()} with ${Object.keys(config.providers).length} providers and ` +
      `${Object.keys(config.models).length} models (config: ${source})`,
  );

  // On SIGTERM (Kubernetes) or SIGINT: stop accepting, let in-flight requests and streams finish
  // within the grace period, then flush telemetry. A second signal, or the grace running out, ends it.
  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) process.exit(1);
    stopping = true;
    // Readiness answers 503 from now on, so Kubernetes stops sending traffic while we drain.
    app.get(LifecycleService).markDraining();
    logger.log(`${signal}: draining for up to ${config.server.shutdown_grace_ms} ms`);
    setTimeout(() => {
      logger.warn('grace period over: closing the remaining connections');
      process.exit(0);
    }, config.server.shutdown_grace_ms).unref();
    void app
      .close()
      .then(() => stopTracing())
      .then(() => process.exit(0));
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

void main().catch((error: unknown) => {
  process.stderr.write(
    `cortex failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
