import '../preflight';
import { parseArgs } from 'node:util';
import { startSimulator } from './simulator.server';

/**
 * `npm run sim`: the provider simulator as a process. Flags: --port (default 8787), --host
 * (default 127.0.0.1), --faults <file.json|yaml>, --seed <n>. Prints each provider's base URL.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: process.env.SIM_PORT ?? '8787' },
      host: { type: 'string', default: '127.0.0.1' },
      faults: { type: 'string' },
      seed: { type: 'string' },
    },
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`--port must be 0..65535, got ${values.port}`);
  const seed = values.seed === undefined ? undefined : Number(values.seed);
  const simulator = await startSimulator({ port, host: values.host, faultsFile: values.faults, seed });

  console.log(`provider simulator listening on ${simulator.url}  (control API: ${simulator.url}/_sim/)`);
  for (const provider of simulator.providers()) {
    console.log(`  ${provider.name.padEnd(12)} ${provider.flavour.padEnd(10)} ${provider.baseUrl}`);
  }

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: stopping the simulator`);
    simulator.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
