import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fetchActivity } from './activity.js';
import { periodUtcRange, type Period } from './period.js';
import { computePerformance, rankOffices, type OfficePerformance, type RankedOffice, type RankingSort } from './performance.js';
import { computePresence, type PresenceReport } from './presence.js';
import { fetchPunches, influxFor, readInflux, type InfluxTarget } from './query.js';
import { DEFAULT_SCHEDULE, loadHolidayFile, type Holiday, type WorkSchedule } from './schedule.js';
import type { RegistrySeedWithSchedules } from './seed.js';
import { RETENTION } from '../influx-schema.js';

/**
 * The one report builder behind `pemda-central report` and /api/reports: who is on the
 * roster (the registry, or the seed file for the CLI), the OPD's schedule (seed) and
 * holidays (holidays-YYYY.yaml), then InfluxDB.
 */

/** OPDs and rosters. The central's Registry fits as it is (roster CSV imports included). */
export interface RosterSource {
  opds(): readonly { code: string; name: string; zone: string; gateways: readonly string[] }[];
  employees(opd: string): readonly { pin: string; nip: string | null; name: string }[];
}

/** Raised -> acknowledged seconds of the alerts an OPD raised in [fromMs, toMs); null: never acknowledged. */
export type ResponseTimesFn = (opd: string, fromMs: number, toMs: number) => readonly { seconds: number | null }[];

/** Explicit holiday files, or a folder holding holidays-YYYY.yaml (undefined: none). */
export type HolidaySource = { files: readonly string[] } | { dir: string | undefined };

export interface ReportContext {
  roster: RosterSource;
  /** Schedules by OPD code (the seed's `schedule:` keys); an OPD without one gets DEFAULT_SCHEDULE. */
  schedules: ReadonlyMap<string, WorkSchedule>;
  holidays: HolidaySource;
  influx: InfluxTarget;
  now: Date;
  /** Page size of the punch query; default query.ts DEFAULT_PAGE_SIZE. */
  pageSize?: number;
}

export class UnknownOpdError extends Error {
  override name = 'UnknownOpdError';
  constructor(
    readonly code: string,
    readonly known: readonly string[],
  ) {
    super(`unknown OPD "${code}" (OPDs: ${known.join(', ') || 'none'})`);
  }
}

/** The seed file as a roster source, for a CLI run without the registry database. */
export function seedRoster(seed: RegistrySeedWithSchedules): RosterSource {
  return {
    opds: () => seed.opds.map((o) => ({ code: o.code, name: o.name, zone: o.zone, gateways: o.gateways })),
    employees: (code) => (seed.opds.find((o) => o.code === code)?.employees ?? []).map((e) => ({ pin: e.pin, nip: e.nip ?? null, name: e.name })),
  };
}

export function seedSchedules(seed: RegistrySeedWithSchedules | undefined): Map<string, WorkSchedule> {
  const map = new Map<string, WorkSchedule>();
  for (const o of seed?.opds ?? []) if (o.schedule) map.set(o.code, o.schedule);
  return map;
}

function periodYears(period: Period): string[] {
  return [...new Set([period.from.slice(0, 4), period.to.slice(0, 4)])];
}

/** Holidays of the period's years; `missingYears` have no file (their holidays would count as workdays). */
export function loadHolidays(source: HolidaySource, period: Period): { holidays: Holiday[]; files: string[]; missingYears: string[] } {
  let files: string[];
  let missingYears: string[] = [];
  if ('files' in source) files = [...source.files];
  else {
    const dir = source.dir;
    const years = periodYears(period);
    files = dir === undefined ? [] : years.map((y) => join(dir, `holidays-${y}.yaml`)).filter((f) => existsSync(f));
    missingYears = years.filter((y) => !files.some((f) => basename(f) === `holidays-${y}.yaml`));
  }
  return { holidays: files.flatMap((f) => loadHolidayFile(f).value.holidays), files, missingYears };
}

export function describeSchedule(s: WorkSchedule): string {
  const days = s.workDays.join(',');
  const fri = s.friday ? `, Jumat ${s.friday.start}-${s.friday.end}` : '';
  const over = s.overrides.map((o) => `; ${o.name ?? 'khusus'} ${o.from} s.d. ${o.to}: ${o.start}-${o.end}${o.friday ? `, Jumat ${o.friday.start}-${o.friday.end}` : ''}`).join('');
  return `${days} ${s.start}-${s.end}${fri}, toleransi ${s.graceMinutes} menit${over}`;
}

/** What a report of one OPD and period stands on, before InfluxDB is asked. */
export interface Office {
  opd: { code: string; name: string; zone: string };
  gateways: readonly string[];
  schedule: WorkSchedule;
  /** No schedule in the seed: Mon-Fri 07:30-16:00 is assumed. */
  defaultSchedule: boolean;
  holidays: Holiday[];
  holidayFiles: string[];
  missingHolidayYears: string[];
}

/** Throws UnknownOpdError, or ConfigError for a holiday file with mistakes. */
export function resolveOffice(ctx: ReportContext, code: string, period: Period, holidays?: ReturnType<typeof loadHolidays>): Office {
  const opds = ctx.roster.opds();
  const opd = opds.find((o) => o.code === code);
  if (!opd) throw new UnknownOpdError(code, opds.map((o) => o.code));
  const schedule = ctx.schedules.get(code);
  const h = holidays ?? loadHolidays(ctx.holidays, period);
  return {
    opd: { code: opd.code, name: opd.name, zone: opd.zone },
    gateways: opd.gateways,
    schedule: schedule ?? DEFAULT_SCHEDULE,
    defaultSchedule: schedule === undefined,
    holidays: h.holidays,
    holidayFiles: h.files,
    missingHolidayYears: h.missingYears,
  };
}

export interface BuiltPresence {
  report: PresenceReport;
  /** Extra header lines of the files: [label, value]. */
  notes: [string, string][];
}

/** Reads the punches and computes the report; throws InfluxReadError when InfluxDB cannot be read. */
export async function buildPresence(ctx: ReportContext, office: Office, period: Period): Promise<BuiltPresence> {
  const { opd } = office;
  const influx = influxFor(ctx.influx);
  const punches = await readInflux(ctx.influx, 'punches', () =>
    fetchPunches(influx, opd.code, period, opd.zone, ctx.pageSize !== undefined ? { pageSize: ctx.pageSize } : {}),
  );
  // Only flagged ids with a NIP need the other rosters: read them on the first such id.
  let byNip: Map<string, { name: string; opd: string }> | undefined;
  const lookupNip = (nip: string) => {
    if (!byNip) {
      byNip = new Map();
      for (const o of ctx.roster.opds()) {
        if (o.code === opd.code) continue;
        for (const e of ctx.roster.employees(o.code)) if (e.nip !== null) byNip.set(e.nip, { name: e.name, opd: o.code });
      }
    }
    return byNip.get(nip);
  };
  const report = computePresence({
    opd,
    roster: ctx.roster.employees(opd.code),
    schedule: office.schedule,
    holidays: office.holidays,
    period,
    punches,
    now: ctx.now,
    lookupNip,
  });
  const notes: [string, string][] = [
    ['Jadwal', describeSchedule(office.schedule)],
    ['Hari libur', office.holidayFiles.length > 0 ? office.holidayFiles.map((f) => basename(f)).join(', ') : 'tidak ada berkas hari libur'],
  ];
  return { report, notes };
}

const OPS_RETENTION_MS = Number.parseInt(RETENTION.ops.duration, 10) * 24 * 3600 * 1000;

/** Performance of one OPD; throws InfluxReadError when InfluxDB cannot be read. */
/** Complaint figures of an OPD for [fromMs, toMs), or null when there is no complaint data. */
export type ComplaintFiguresFn = (opd: string, fromMs: number, toMs: number) => OfficePerformance['complaints'];

export async function buildPerformance(ctx: ReportContext, office: Office, period: Period, responseTimes: ResponseTimesFn, complaints?: ComplaintFiguresFn): Promise<OfficePerformance> {
  const { opd } = office;
  const range = periodUtcRange(period, opd.zone);
  const activity = await readInflux(ctx.influx, `activity of OPD ${opd.code}`, () => fetchActivity(influxFor(ctx.influx), opd.code, office.gateways, range));
  return computePerformance({
    opd,
    period,
    schedule: office.schedule,
    holidays: office.holidays,
    now: ctx.now,
    punchHours: activity.punchHours,
    gateways: activity.gateways,
    cameras: activity.cameras,
    alerts: responseTimes(opd.code, range.start.getTime(), range.end.getTime()),
    opsRetentionMs: OPS_RETENTION_MS,
    complaints: complaints?.(opd.code, range.start.getTime(), range.end.getTime()) ?? null,
  });
}

/** At most this many OPDs are read from InfluxDB at once for a ranking. */
const RANKING_CONCURRENCY = 4;

/** Every OPD of the registry, ranked; the first InfluxDB failure fails the ranking. */
export async function buildRanking(ctx: ReportContext, period: Period, responseTimes: ResponseTimesFn, sort: RankingSort, complaints?: ComplaintFiguresFn): Promise<RankedOffice[]> {
  const holidays = loadHolidays(ctx.holidays, period);
  const offices = ctx.roster.opds().map((o) => resolveOffice(ctx, o.code, period, holidays));
  const results: OfficePerformance[] = new Array<OfficePerformance>(offices.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < offices.length; i = next++) {
      const office = offices[i];
      if (office) results[i] = await buildPerformance(ctx, office, period, responseTimes, complaints);
    }
  };
  await Promise.all(Array.from({ length: Math.min(RANKING_CONCURRENCY, offices.length) }, worker));
  return rankOffices(results, sort);
}
