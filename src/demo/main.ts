import '../preflight';
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import OpenAI from 'openai';
import type { FaultProfile } from '../simulator/fault-profile.types';
import { startSimulator, type SimulatorHandle } from '../simulator';
import { DemoView } from './demo-view';

/**
 * `npm run demo`: the provider simulator, the real gateway process in front of it (config/demo.yaml),
 * and a scripted scenario that injects faults while it sends traffic, showing who served each
 * request and why. Ctrl-C stops everything it started. `--once` exits after the scenario.
 */

interface Phase {
  title: string;
  faults: Record<string, FaultProfile>;
  requests: number;
}

// Each fault stays on through the phases that follow it, until every provider recovers.
const GROQ_RATE_LIMITED: FaultProfile = {
  rules: [{ action: 'error', status: 429, hint: 'retry_after', hint_ms: 2000 }],
};
const GEMINI_DOWN: FaultProfile = { rules: [{ action: 'error', status: 503 }] };
const COHERE_SLOW: FaultProfile = { latency_ms: 3000 };

const PHASES: Phase[] = [
  { title: 'All providers healthy', faults: {}, requests: 6 },
  { title: 'Groq rate-limited (429 with Retry-After)', faults: { groq: GROQ_RATE_LIMITED }, requests: 6 },
  {
    title: 'Gemini down as well (503)',
    faults: { groq: GROQ_RATE_LIMITED, gemini: GEMINI_DOWN },
    requests: 6,
  },
  {
    title: 'Cohere slow too (3 s to answer, its timeout is 1.5 s)',
    faults: { groq: GROQ_RATE_LIMITED, gemini: GEMINI_DOWN, cohere: COHERE_SLOW },
    requests: 4,
  },
  { title: 'Every provider recovered', faults: {}, requests: 6 },
];

const SIMULATED = ['groq', 'gemini', 'cohere', 'anthropic', 'ollama'];

async function main(): Promise<void> {
  const once = process.argv.includes('--once');
  const view = new DemoView(process.stdout);
  const simulator = await startSimulator({ port: await freePort(Number(process.env.SIM_PORT ?? 8787)) });
  const port = await freePort(Number(process.env.PORT ?? 8080));
  const gateway = startGateway(simulator.url, port);
  const stopAll = async (code: number): Promise<never> => {
    gateway.kill('SIGTERM');
    await simulator.close();
    process.exit(code);
  };
  process.once('SIGINT', () => void stopAll(0));
  process.once('SIGTERM', () => void stopAll(0));
  gateway.once('exit', (code) => {
    if (code !== 0 && code !== null) {
      view.line(`the gateway exited with code ${code}`);
      void stopAll(1);
    }
  });

  const url = `http://127.0.0.1:${port}`;
  await waitUntilReady(url);
  view.banner(url, simulator.url);

  const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'demo', maxRetries: 0 });
  for (const [index, phase] of PHASES.entries()) {
    await applyFaults(simulator, phase.faults);
    view.phase(index + 1, phase.title);
    for (let n = 0; n < phase.requests; n++) {
      await sendOne(client, view, phase.title, n, n % 2 === 1);
      await sleep(250);
    }
  }
  view.summary();
  if (once) await stopAll(0);
  view.keepRunning(url);
}

async function applyFaults(simulator: SimulatorHandle, faults: Record<string, FaultProfile>): Promise<void> {
  for (const name of SIMULATED) await simulator.setFaults(name, faults[name] ?? {});
}

async function sendOne(
  client: OpenAI,
  view: DemoView,
  phase: string,
  n: number,
  stream: boolean,
): Promise<void> {
  const started = performance.now();
  const messages: OpenAI.ChatCompletionMessageParam[] = [
    { role: 'user', content: `Question ${n} of phase "${phase}"` },
  ];
  try {
    if (stream) {
      const { data, response } = await client.chat.completions
        .create({ model: 'demo-chat', messages, stream: true, stream_options: { include_usage: true } })
        .withResponse();
      let text = '';
      for await (const chunk of data) text += chunk.choices[0]?.delta?.content ?? '';
      view.served(phase, response.headers, performance.now() - started, 'stream', text);
    } else {
      const { data, response } = await client.chat.completions
        .create({ model: 'demo-chat', messages })
        .withResponse();
      view.served(
        phase,
        response.headers,
        performance.now() - started,
        'json',
        data.choices[0]?.message.content ?? '',
      );
    }
  } catch (error) {
    view.failed(phase, error, performance.now() - started);
  }
}

function startGateway(simulatorUrl: string, port: number): ChildProcess {
  return spawn(process.execPath, [join(__dirname, '..', 'main.js')], {
    env: {
      ...process.env,
      CORTEX_CONFIG: join(__dirname, '..', '..', 'config', 'demo.yaml'),
      SIM_URL: simulatorUrl,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
}

async function waitUntilReady(url: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`${url}/v1/models`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error(`the gateway did not answer on ${url} within 30 s`);
}

/** The preferred port when it is free, otherwise any free port. */
function freePort(preferred: number): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => {
      const fallback = createServer();
      fallback.listen(0, '127.0.0.1', () => {
        const address = fallback.address();
        fallback.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
      });
    });
    probe.listen(preferred, '127.0.0.1', () => probe.close(() => resolve(preferred)));
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

main().catch((error: unknown) => {
  process.stderr.write(`demo failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
