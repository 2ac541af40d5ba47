import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { ROOT } from './proc.js';
import { writeResults, type Machine, type Row } from './report.js';

/**
 * A run of only some benchmarks (--only) must not overwrite the day's full result:
 * it is written as bench/results/<date>-<cores>c-<mem>g[-quick]-<only>.json, e.g.
 * 2026-11-26-2c-24g-footprint.json, in the same format as a full result.
 */
export function writePartialResults(m: Machine, rows: Row[], extra: Record<string, unknown>, quick: boolean, only: string[], dir = join(ROOT, 'bench', 'results')): string {
  const scratch = mkdtempSync(join(tmpdir(), 'pemda-bench-results-'));
  try {
    const written = writeResults(m, rows, extra, quick, scratch);
    mkdirSync(dir, { recursive: true });
    const file = join(dir, basename(written).replace(/\.json$/, `-${only.join('-')}.json`));
    copyFileSync(written, file);
    return file;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
