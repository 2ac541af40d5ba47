import { describe, expect, it } from 'vitest';
import { execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from '../helpers/proc.js';

/**
 * `npm run bench -- --quick` as part of npm test, so the benchmarks cannot rot. It
 * asserts that every part ran and printed its figures, and that the rush lost no
 * punch (a guarantee, unlike thumbnails, which are latest-wins), never how fast
 * anything was.
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
    expect(out).toMatch(/thumbnails lost +\d+ +thumbnails/);
    expect(out).toMatch(/punches lost +0 /);
    expect(out).toMatch(/backlog drained \(24 h, all classes\) +[\d,]+ +records\/s/);
    expect(out).toMatch(/wire bytes per punch, batchSize 1 +[\d,]+ +B/);
    expect(out).toMatch(/aedes, 256 B messages +[\d,]+ +msg\/s/);
    expect(out).not.toMatch(/did not finish/);
  }, 600_000);
});
