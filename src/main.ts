import './preflight';
import './tracing';
import { Logger } from '@nestjs/common';
import { createApp } from './app.factory';
import { ConfigError, loadConfig } from './config/config.loader';

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
  if (config.clients.length === 0) logger.warn('no clients are configured: the API is open to anyone who can reach it');
  logger.log(
    `listening on ${await app.getUrl()} with ${Object.keys(config.providers).length} providers and ` +
      `${Object.keys(config.models).length} models (config: ${source})`,
  );
}

void main();
