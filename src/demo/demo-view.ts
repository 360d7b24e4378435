/** The demo's terminal view: one readable line per request, and a per-phase summary at the end. */

const useColor = process.stdout.isTTY && !process.env.NO_COLOR;
const paint = (code: number) => (text: string) => (useColor ? `\u001b[${code}m${text}\u001b[0m` : text);
const bold = paint(1);
const dim = paint(2);
const green = paint(32);
const yellow = paint(33);
const red = paint(31);
const cyan = paint(36);

interface HeaderSource {
  get(name: string): string | null;
}

export class DemoView {
  private count = 0;
  private readonly servedBy = new Map<string, Map<string, number>>();

  constructor(private readonly out: NodeJS.WritableStream) {}

  line(text: string): void {
    this.out.write(`${text}\n`);
  }

  banner(gatewayUrl: string, simulatorUrl: string): void {
    this.line('');
    this.line(bold('Cortex demo'));
    this.line(
      `  gateway    ${cyan(gatewayUrl)}   (config/demo.yaml: model "demo-chat" = groq -> gemini -> cohere -> anthropic -> ollama)`,
    );
    this.line(`  simulator  ${cyan(simulatorUrl)}   (all five provider protocols, with injected faults)`);
    this.line('');
    this.line(bold('Call it yourself:'));
    this.line(dim(`  curl -s ${gatewayUrl}/v1/chat/completions -H 'content-type: application/json' \\`));
    this.line(dim(`    -d '{"model":"demo-chat","messages":[{"role":"user","content":"hi"}]}'`));
    this.line(
      dim(
        `  new OpenAI({ baseURL: '${gatewayUrl}/v1', apiKey: 'any' }).chat.completions.create({ model: 'demo-chat', ... })`,
      ),
    );
  }

  phase(index: number, title: string): void {
    this.line('');
    this.line(bold(`Phase ${index}: ${title}`));
  }

  served(phase: string, headers: HeaderSource, ms: number, mode: 'json' | 'stream', text: string): void {
    const provider = headers.get('x-cortex-provider') ?? '?';
    const route = (headers.get('x-cortex-route') ?? '').split(',').filter(Boolean);
    const detours = route.filter((hop) => !hop.endsWith('=ok')).map((hop) => hop.replace('=', ' '));
    const why = detours.length > 0 ? yellow(`after ${detours.join(', ')}`) : dim('first choice');
    this.count++;
    this.tally(phase, provider);
    this.line(
      `  #${String(this.count).padStart(2)} ${mode.padEnd(6)} ${green('served by ' + provider.padEnd(9))} ` +
        `${String(Math.round(ms)).padStart(5)} ms  ${why}  ${dim(`"${text.slice(0, 32)}..."`)}`,
    );
  }

  failed(phase: string, error: unknown, ms: number): void {
    this.count++;
    this.tally(phase, 'error');
    const message = error instanceof Error ? error.message : String(error);
    this.line(
      `  #${String(this.count).padStart(2)} ${red('failed')} ${String(Math.round(ms)).padStart(5)} ms  ${message}`,
    );
  }

  summary(): void {
    this.line('');
    this.line(bold('Who served each phase:'));
    for (const [phase, counts] of this.servedBy) {
      const parts = [...counts].map(([provider, n]) => `${provider} ${n}`).join(', ');
      this.line(`  ${phase.padEnd(56)} ${parts}`);
    }
  }

  keepRunning(url: string): void {
    this.line('');
    this.line(
      `The gateway keeps running at ${cyan(url)}; press Ctrl-C to stop the gateway and the simulator.`,
    );
  }

  private tally(phase: string, provider: string): void {
    const counts = this.servedBy.get(phase) ?? new Map<string, number>();
    counts.set(provider, (counts.get(provider) ?? 0) + 1);
    this.servedBy.set(phase, counts);
  }
}
