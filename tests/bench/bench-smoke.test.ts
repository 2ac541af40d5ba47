import { describe, expect, it } from 'vitest';
import { execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from '../helpers/proc.js';

/**
 * `npm run bench -- --quick` as part of npm test, so the benchmarks cannot rot. It
 * asserts that every part ran and printed its figures, never how fast they were.
 */
describe('benchmark smoke run', () => {
  it('runs every benchmark with tiny sizes and prints figures and ratios', async () => {
    execFileSync('bash', [join(ROOT, 'bench/setup.sh')], { stdio: 'ignore' });
    const child = spawn(process.execPath, [join(ROOT, 'dist/bench/run.js'), '--quick', '--no-write'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code, out.slice(-3000)).toBe(0);
    expect(out).toMatch(/events\/s/);
    expect(out).toMatch(/a\/b/);
    expect(out).toMatch(/p50/);
    expect(out).toMatch(/drain/i);
  }, 600_000);
});
