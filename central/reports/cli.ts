import { existsSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError } from '../../protocols/config-file.js';
import { toCsv, writeXlsx } from './export.js';
import { dayPeriod, monthPeriod, PeriodError, weekPeriod, type Period } from './period.js';
import { computePresence, type PresenceReport } from './presence.js';
import { fetchPunches, influxFor } from './query.js';
import { DEFAULT_SCHEDULE, loadHolidayFile, type Holiday, type WorkSchedule } from './schedule.js';
import { loadRegistrySeedWithSchedules } from './seed.js';

/**
 * `pemda-central report --opd CODE --month 2026-11 | --week 2026-11-23 | --day 2026-11-26
 *  [--format csv|xlsx] [--out FILE] [--holidays FILE ...]`
 * Exit codes: 0 written; 1 could not read InfluxDB or write the file; 2 usage or config mistake.
 */

export interface ReportEnv {
  influxUrl: string;
  database: string;
  registrySeedFile: string;
  influxUsername?: string;
  influxPassword?: string;
  /** Report time (tests); default now. */
  now?: Date;
  /** Page size of the InfluxDB query (tests); default 100,000. */
  pageSize?: number;
  stdout?: (line: string) => void;
  stderr?: (line: string) => void;
}

export const REPORT_USAGE = `usage: pemda-central report --opd CODE (--month YYYY-MM | --week YYYY-MM-DD | --day YYYY-MM-DD)
       [--format csv|xlsx] [--out FILE] [--holidays FILE]...
  --week takes the Monday the week starts on; --out - writes CSV to standard output.
  Holidays: every --holidays FILE, else holidays-YYYY.yaml beside the registry seed for each year of the period.`;

class UsageError extends Error {}

interface Options {
  opd: string;
  period: Period;
  format: 'csv' | 'xlsx';
  out: string;
  holidayFiles: string[];
}

function parseOptions(args: string[]): Options {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        opd: { type: 'string' },
        month: { type: 'string' },
        week: { type: 'string' },
        day: { type: 'string' },
        format: { type: 'string' },
        out: { type: 'string' },
        holidays: { type: 'string', multiple: true },
        config: { type: 'string' }, // central.yaml: read by the caller, which passes env
      },
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (values.opd === undefined) throw new UsageError('--opd CODE is required');
  const given = (['month', 'week', 'day'] as const).filter((k) => values[k] !== undefined);
  if (given.length !== 1) throw new UsageError(given.length === 0 ? 'give one period: --month, --week or --day' : `give only one period, not --${given.join(' and --')}`);
  const period = values.month !== undefined ? monthPeriod(values.month) : values.week !== undefined ? weekPeriod(values.week) : dayPeriod(values.day ?? '');
  const fromOut = values.out?.toLowerCase().endsWith('.xlsx') ? 'xlsx' : values.out?.toLowerCase().endsWith('.csv') ? 'csv' : undefined;
  const format = values.format ?? fromOut ?? 'xlsx';
  if (format !== 'csv' && format !== 'xlsx') throw new UsageError(`--format ${format}: expected csv or xlsx`);
  if (values.out === '-' && format === 'xlsx') throw new UsageError('--out - (standard output) is for --format csv only');
  const out = values.out ?? `kehadiran-${values.opd}-${period.label}.${format}`;
  return { opd: values.opd, period, format, out, holidayFiles: values.holidays ?? [] };
}

function periodYears(period: Period): string[] {
  return [...new Set([period.from.slice(0, 4), period.to.slice(0, 4)])];
}

function describeSchedule(s: WorkSchedule): string {
  const days = s.workDays.join(',');
  const fri = s.friday ? `, Jumat ${s.friday.start}-${s.friday.end}` : '';
  const over = s.overrides.map((o) => `; ${o.name ?? 'khusus'} ${o.from} s.d. ${o.to}: ${o.start}-${o.end}${o.friday ? `, Jumat ${o.friday.start}-${o.friday.end}` : ''}`).join('');
  return `${days} ${s.start}-${s.end}${fri}, toleransi ${s.graceMinutes} menit${over}`;
}

export async function reportMain(args: string[], env: ReportEnv): Promise<number> {
  const say = env.stdout ?? ((l: string) => process.stdout.write(`${l}\n`));
  const warn = env.stderr ?? ((l: string) => process.stderr.write(`${l}\n`));
  let opts: Options;
  let report: PresenceReport;
  let notes: [string, string][];
  try {
    opts = parseOptions(args);
    const seed = loadRegistrySeedWithSchedules(env.registrySeedFile).value;
    const opd = seed.opds.find((o) => o.code === opts.opd);
    if (!opd) {
      const known = seed.opds.map((o) => o.code).join(', ') || 'none';
      throw new UsageError(`unknown OPD "${opts.opd}" in ${env.registrySeedFile} (OPDs: ${known})`);
    }
    const schedule = opd.schedule ?? DEFAULT_SCHEDULE;
    if (!opd.schedule) warn(`note: OPD ${opd.code} has no schedule in the registry seed; using Mon-Fri ${schedule.start}-${schedule.end}`);

    let holidayFiles = opts.holidayFiles;
    if (holidayFiles.length === 0) {
      const base = dirname(resolve(env.registrySeedFile));
      holidayFiles = periodYears(opts.period).map((y) => join(base, `holidays-${y}.yaml`)).filter((f) => existsSync(f));
      const missing = periodYears(opts.period).filter((y) => !holidayFiles.some((f) => basename(f) === `holidays-${y}.yaml`));
      for (const y of missing) warn(`warning: no holiday file for ${y} (--holidays FILE or holidays-${y}.yaml beside the registry seed): national holidays count as workdays`);
    }
    const holidays: Holiday[] = holidayFiles.flatMap((f) => loadHolidayFile(f).value.holidays);

    const byNip = new Map<string, { name: string; opd: string }>();
    for (const o of seed.opds) for (const e of o.employees) if (e.nip !== undefined && o.code !== opd.code) byNip.set(e.nip, { name: e.name, opd: o.code });

    let punches;
    try {
      const influx = influxFor({ url: env.influxUrl, database: env.database, ...(env.influxUsername !== undefined && { username: env.influxUsername }), ...(env.influxPassword !== undefined && { password: env.influxPassword }) });
      punches = await fetchPunches(influx, opd.code, opts.period, opd.zone, env.pageSize !== undefined ? { pageSize: env.pageSize } : {});
    } catch (err) {
      warn(`error: cannot read punches from InfluxDB ${env.influxUrl} (database ${env.database}): ${(err as Error).message}`);
      return 1;
    }
    report = computePresence({
      opd: { code: opd.code, name: opd.name, zone: opd.zone },
      roster: opd.employees,
      schedule,
      holidays,
      period: opts.period,
      punches,
      ...(env.now && { now: env.now }),
      lookupNip: (nip) => byNip.get(nip),
    });
    notes = [
      ['Jadwal', describeSchedule(schedule)],
      ['Hari libur', holidayFiles.length > 0 ? holidayFiles.map((f) => basename(f)).join(', ') : 'tidak ada berkas hari libur'],
    ];
  } catch (err) {
    if (err instanceof UsageError || err instanceof PeriodError) {
      warn(`error: ${err.message}\n${REPORT_USAGE}`);
      return 2;
    }
    if (err instanceof ConfigError) {
      warn(err.message);
      return 2;
    }
    warn(`error: ${(err as Error).message}`);
    return 1;
  }

  try {
    if (opts.format === 'csv') {
      const text = toCsv(report, notes);
      if (opts.out === '-') process.stdout.write(text);
      else writeFileSync(opts.out, text);
    } else {
      await writeXlsx(report, { file: opts.out }, notes);
    }
  } catch (err) {
    warn(`error: cannot write ${opts.out}: ${(err as Error).message}`);
    return 1;
  }
  const t = report.totals;
  const flagged = report.flagged.employees > 0 ? `, ${report.flagged.employees} IDs not on the roster (${report.flagged.punches} punches)` : '';
  const where = opts.out === '-' ? 'standard output' : opts.out;
  (opts.out === '-' ? warn : say)(
    `${opts.opd} ${opts.period.label}: ${t.employees} employees, ${t.present} present / ${t.absent} absent days, ${t.lateDays} late, ${t.missingOut} without check-out${flagged}; wrote ${where}`,
  );
  return 0;
}
