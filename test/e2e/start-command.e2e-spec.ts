import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { START_FLAGS } from '../support/gateway-process';

/**
 * The container starts Cortex as `npm start` does, with the same Node flags (the benchmarks and the
 * process-level tests take them from `npm start`): a flag added to one and not the other would make
 * the image run differently from what was measured.
 */
describe('start command', () => {
  it("the Dockerfile's CMD runs dist/main.js with npm start's Node flags", () => {
    const dockerfile = readFileSync(join(__dirname, '../../Dockerfile'), 'utf8');
    const cmd = /^CMD (\[.*\])$/m.exec(dockerfile);
    expect(cmd).not.toBeNull();
    expect(JSON.parse(cmd![1])).toEqual(['node', ...START_FLAGS, 'dist/main.js']);
  });

  it("Node 24 (the tests' and the image's) accepts those flags", () => {
    // A misspelt V8 flag makes node exit at once: in a container, a crash loop.
    const run = spawnSync(process.execPath, [...START_FLAGS, '-e', 'process.exit(0)'], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
  });
});
