import { existsSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError } from '../../protocols/config-file.js';
import { Registry } from '../registry.js';
import { buildPresence, resolveOffice, seedRoster, seedSchedules, UnknownOpdError, type BuiltPresence, type Office, type ReportContext, type RosterSource } from './build.js';
import { toCsv, writeXlsx } from './export.js';
import { dayPeriod, monthPeriod, PeriodError, weekPeriod, type Period } from './period.js';
import { loadRegistrySeedWithSchedules, type RegistrySeedWithSchedules } from './seed.js';

/**
 * `pemda-central report --opd CODE --month 2026-11 | --week 2026-11-23 | --day 2026-11-26
 *  [--format csv|xlsx] [--out FILE] [--holidays FILE ...]`
 * Exit codes: 0 written; 1 could not read InfluxDB or write the file; 2 usage or config mistake.
 */

export interface ReportEnv {
  influxUrl: string;
  database: string;
  /** The registry seed: each OPD's schedule; also the OPDs and rosters when there is no registry database. */
  registrySeedFile?: string;
  /** The central's registry database (registry.db): OPDs and rosters as the central has them, roster imports included. */
  registryDb?: string;
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

/** Where OPDs and rosters come from: the registry database when it exists, else the seed. */
function rosterFrom(env: ReportEnv, seed: RegistrySeedWithSchedules | undefined, warn: (l: string) => void): { roster: RosterSource; name: string; close: () => void } {
  if (env.registryDb !== undefined && existsSync(env.registryDb)) {
    const registry = new Registry(env.registryDb);
    return { roster: registry, name: env.registryDb, close: () => registry.close() };
  }
  if (seed === undefined || env.registrySeedFile === undefined) throw new UsageError(`no registry: ${env.registryDb ?? 'registry.db'} does not exist and there is no registry seed`);
  if (env.registryDb !== undefined) warn(`note: ${env.registryDb} does not exist yet (the central has not run): OPDs and rosters from ${env.registrySeedFile}`);
  return { roster: seedRoster(seed), name: env.registrySeedFile, close: () => {} };
}

export async function reportMain(args: string[], env: ReportEnv): Promise<number> {
  const say = env.stdout ?? ((l: string) => process.stdout.write(`${l}\n`));
  const warn = env.stderr ?? ((l: string) => process.stderr.write(`${l}\n`));
  let opts: Options;
  let built: BuiltPresence;
  let close = (): void => {};
  try {
    opts = parseOptions(args);
    const seedFile = env.registrySeedFile;
    const seed = seedFile !== undefined ? loadRegistrySeedWithSchedules(seedFile).value : undefined;
    const source = rosterFrom(env, seed, warn);
    close = source.close;
    const beside = seedFile ?? env.registryDb;
    const ctx: ReportContext = {
      roster: source.roster,
      schedules: seedSchedules(seed),
      holidays: opts.holidayFiles.length > 0 ? { files: opts.holidayFiles } : { dir: beside !== undefined ? dirname(resolve(beside)) : undefined },
      influx: {
        url: env.influxUrl,
        database: env.database,
        ...(env.influxUsername !== undefined && { username: env.influxUsername }),
        ...(env.influxPassword !== undefined && { password: env.influxPassword }),
      },
      now: env.now ?? new Date(),
      ...(env.pageSize !== undefined && { pageSize: env.pageSize }),
    };
    let office: Office;
    try {
      office = resolveOffice(ctx, opts.opd, opts.period);
    } catch (err) {
      if (err instanceof UnknownOpdError) throw new UsageError(`unknown OPD "${err.code}" in ${source.name} (OPDs: ${err.known.join(', ') || 'none'})`);
      throw err;
    }
    if (office.defaultSchedule) warn(`note: OPD ${office.opd.code} has no schedule in the registry seed; using Mon-Fri ${office.schedule.start}-${office.schedule.end}`);
    for (const y of office.missingHolidayYears) warn(`warning: no holiday file for ${y} (--holidays FILE or holidays-${y}.yaml beside the registry seed): national holidays count as workdays`);
    built = await buildPresence(ctx, office, opts.period);
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
  } finally {
    close();
  }
  const { report, notes } = built;

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
