import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './proc.js';

/** One line of the table: a figure, or a ratio of two figures measured in this run. */
export interface Row {
  bench: string;
  name: string;
  value: number | null;
  unit: string;
  note?: string;
  /** Everything else worth keeping in the JSON (sizes, counts, per-phase details). */
  details?: Record<string, unknown>;
}

export interface Machine {
  cores: number;
  memGiB: number;
  node: string;
  cpu: string;
  /** 1-minute load average when the run started: other work on the machine skews a run. */
  load1AtStart: number;
}

export function machine(): Machine {
  return { cores: availableParallelism(), memGiB: Math.round(totalmem() / 2 ** 30), node: process.version, cpu: cpus()[0]?.model.trim() ?? 'unknown', load1AtStart: Math.round(loadavg()[0]! * 100) / 100 };
}

/** Nearest-rank percentile of an unsorted list (null when empty). */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export const ratio = (a: number | null | undefined, b: number | null | undefined): number | null =>
  a == null || b == null || b === 0 ? null : a / b;

function format(value: number | null, unit: string): string {
  if (value === null) return '—';
  if (unit === 'x') return `${value.toFixed(2)}x`;
  if (Number.isInteger(value)) return value.toLocaleString('en-US');
  if (Math.abs(value) >= 100) return Math.round(value).toLocaleString('en-US');
  return value.toFixed(Math.abs(value) >= 10 ? 1 : 2);
}

export function table(rows: Row[]): string {
  const cells = rows.map((r) => [r.bench, r.name, format(r.value, r.unit), r.unit === 'x' ? '' : r.unit, r.note ?? '']);
  const head = ['bench', 'measure', 'value', 'unit', 'note'];
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => c.map((s, i) => (i === 2 ? s.padStart(widths[i]!) : s.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n');
}

/** bench/results/<YYYY-MM-DD>-<cores>c-<memGiB>g[-quick].json */
export function writeResults(m: Machine, rows: Row[], extra: Record<string, unknown>, quick: boolean, dir = join(ROOT, 'bench', 'results')): string {
  const date = new Date().toISOString().slice(0, 10);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${date}-${m.cores}c-${m.memGiB}g${quick ? '-quick' : ''}.json`);
  writeFileSync(file, `${JSON.stringify({ date, machine: m, mode: quick ? 'quick' : 'full', ...extra, results: rows }, null, 2)}\n`);
  return file;
}
