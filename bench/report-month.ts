import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { writeXlsx } from '../central/reports/export.js';
import { monthPeriod, periodDates } from '../central/reports/period.js';
import { computePresence, type PunchRow, type RosterEntry } from '../central/reports/presence.js';
import { WorkSchedule, weekdayOf } from '../central/reports/schedule.js';
import { prng } from '../scripts/lib/prng.js';
import type { Row } from './lib/report.js';

const pad = (n: number): string => String(n).padStart(2, '0');
const clock = (sec: number): string => `${pad(Math.floor(sec / 3600))}:${pad(Math.floor(sec / 60) % 60)}:${pad(sec % 60)}`;

/**
 * A month (2026-11, Asia/Makassar) of synthetic punches for `employees` people: most
 * punch in around 07:30 and out around 16:00 (11:30 on Fridays), some are late, leave
 * early, forget to punch out or stay home; a few unknown ids punch too.
 */
export function syntheticMonth(employees: number, seed = 20261101): { roster: RosterEntry[]; punches: PunchRow[] } {
  const rand = prng(seed);
  const zone = 'Asia/Makassar';
  const roster: RosterEntry[] = Array.from({ length: employees }, (_, i) => ({ pin: String(1000 + i), nip: `19800101200${String(i).padStart(7, '0')}`, name: `Pegawai ${i + 1}` }));
  const punches: PunchRow[] = [];
  for (const date of periodDates(monthPeriod('2026-11'))) {
    const wd = weekdayOf(date);
    if (wd === 'sat' || wd === 'sun') continue;
    const endSec = wd === 'fri' ? 11.5 * 3600 : 16 * 3600;
    for (const e of roster) {
      const r = rand();
      if (r < 0.04) continue; // absent
      const inSec = 7 * 3600 + Math.floor(rand() * 3600); // 07:00-08:00
      punches.push({ employee: e.pin, deviceTime: `${date}T${clock(inSec)}`, zone, status: '0', known: true, nip: e.nip ?? null });
      if (r < 0.07) continue; // no check-out
      const outSec = endSec - 1800 + Math.floor(rand() * 5400);
      punches.push({ employee: e.pin, deviceTime: `${date}T${clock(outSec)}`, zone, status: '1', known: true, nip: e.nip ?? null });
    }
    for (let k = 0; k < 3; k++) punches.push({ employee: `9${k}999`, deviceTime: `${date}T07:4${k}:00`, zone, status: '', known: false, nip: null });
  }
  return { roster, punches };
}

/** Times computePresence + XLSX export of one synthetic month (no InfluxDB); prints nothing. */
export async function benchmarkMonth(employees = 5000): Promise<{ ms: number }> {
  const { roster, punches } = syntheticMonth(employees);
  const schedule = WorkSchedule.parse({ start: '07:30', end: '16:00', friday: { start: '07:30', end: '11:30' }, graceMinutes: 15 });
  const dir = mkdtempSync(join(tmpdir(), 'pemda-report-bench-'));
  try {
    const t0 = performance.now();
    const report = computePresence({
      opd: { code: 'bench', name: 'OPD Benchmark', zone: 'Asia/Makassar' },
      roster,
      schedule,
      holidays: [],
      period: monthPeriod('2026-11'),
      punches,
      now: new Date('2026-12-01T00:00:00Z'),
    });
    await writeXlsx(report, { file: join(dir, 'bench.xlsx') });
    return { ms: performance.now() - t0 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The report benchmark: a month for N employees, computed and written as XLSX. */
export async function benchReport(options: { employees: number }): Promise<Row[]> {
  const { ms } = await benchmarkMonth(options.employees);
  return [{ bench: 'report', name: `month report, ${options.employees} employees (compute + XLSX)`, value: Math.round(ms), unit: 'ms', details: { employees: options.employees, month: '2026-11' } }];
}
