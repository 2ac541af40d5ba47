import { basename, dirname, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { z } from 'zod';
import { ConfigError } from '../../protocols/config-file.js';
import { buildPerformance, buildPresence, buildRanking, describeSchedule, resolveOffice, seedSchedules, UnknownOpdError, type ComplaintFiguresFn, type ReportContext, type ResponseTimesFn, type RosterSource } from './build.js';
import { toCsv, writeXlsx } from './export.js';
import { dayPeriod, describePeriod, monthPeriod, PeriodError, weekPeriod, type Period } from './period.js';
import { RankingSort } from './performance.js';
import type { EmployeeReport, PresenceReport } from './presence.js';
import { InfluxReadError, type InfluxTarget } from './query.js';
import { loadRegistrySeedWithSchedules } from './seed.js';

/**
 * The report routes of the central's HTTP API (docs/reports.md). central/http.ts owns
 * the server and the authentication (permission 'reports.read') and hands each request here:
 *   GET /api/reports/presence?opd=CODE&month=YYYY-MM|week=YYYY-MM-DD|day=YYYY-MM-DD[&format=json|csv|xlsx][&detail=true]
 *       presence of one OPD: JSON, or the file kehadiran-{opd}-{label}.{csv|xlsx} as an attachment
 *   GET /api/reports/performance?opd=CODE&month=...     office performance of one OPD (JSON)
 *   GET /api/reports/performance?month=...[&sort=...]   every OPD, ranked
 * 400: bad parameters; 404: unknown OPD; 502: InfluxDB answered with an error; 503: InfluxDB unreachable;
 * 500: the seed or a holiday file has a mistake (the message names file and line).
 */

export interface ReportsSources {
  influx: InfluxTarget;
  /** OPDs, their gateways and rosters: the central's Registry. */
  registry: RosterSource;
  /** The registry seed, read on every request for each OPD's `schedule:`; undefined: every OPD works Mon-Fri 07:30-16:00. */
  seedFile?: string | undefined;
  /** Where holidays-YYYY.yaml are; default: the seed file's folder. */
  holidayDir?: string | undefined;
  /** Alert response times, e.g. (opd, from, to) => alertEngine.responseTimes(opd, from, to). */
  responseTimes: ResponseTimesFn;
  /** Complaint figures per OPD (central/bridges); absent: the performance shows none. */
  complaintFigures?: ComplaintFiguresFn;
  /** Report time; default the system clock. */
  clock?: () => Date;
  /** Page size of the punch query (tests). */
  pageSize?: number;
}

export interface ReportsRequest {
  method: string;
  url: URL;
}

/** JSON (`type` absent: the caller serializes `body`), or a file with its content type and headers. */
export type ReportsReply =
  | { status: number; body: unknown; type?: undefined; headers?: undefined }
  | { status: number; body: string | Buffer; type: string; headers: Record<string, string> };

export type ReportsPermission = 'reports.read';

export const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

const OpdCode = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, 'an OPD code: lower-case letters, digits, "_" or "-" (max 32)');

const PeriodKeys = {
  month: z.string().optional().describe('YYYY-MM'),
  week: z.string().optional().describe('YYYY-MM-DD, the Monday the week starts on'),
  day: z.string().optional().describe('YYYY-MM-DD'),
};

/** Exactly one of month, week or day, as a Period; else the issue to report. */
function toPeriod(q: { month?: string | undefined; week?: string | undefined; day?: string | undefined }): Period | { path: string[]; message: string } {
  const given = (['month', 'week', 'day'] as const).filter((k) => q[k] !== undefined);
  if (given.length === 0) return { path: [], message: 'give one period: month=YYYY-MM, week=YYYY-MM-DD (a Monday) or day=YYYY-MM-DD' };
  if (given.length > 1) return { path: [given[1] ?? 'day'], message: `give only one period, not ${given.join(' and ')}` };
  try {
    if (q.month !== undefined) return monthPeriod(q.month, 'month');
    if (q.week !== undefined) return weekPeriod(q.week, 'week');
    return dayPeriod(q.day ?? '', 'day');
  } catch (err) {
    if (err instanceof PeriodError) return { path: [given[0] ?? 'day'], message: err.message };
    throw err;
  }
}

const flag = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

export const PresenceQuery = z
  .strictObject({
    opd: OpdCode,
    ...PeriodKeys,
    format: z.enum(['json', 'csv', 'xlsx']).default('json'),
    detail: flag.default(false).describe("JSON only: each employee's days too"),
  })
  .transform(({ month, week, day, ...rest }, ctx) => {
    const period = toPeriod({ month, week, day });
    if ('message' in period) {
      ctx.addIssue({ code: 'custom', ...period });
      return z.NEVER;
    }
    return { ...rest, period };
  });
export type PresenceQuery = z.output<typeof PresenceQuery>;

export const PerformanceQuery = z
  .strictObject({ opd: OpdCode.optional().describe('absent: every OPD, ranked'), ...PeriodKeys, sort: RankingSort.optional() })
  .refine((q) => q.opd === undefined || q.sort === undefined, { message: 'sort orders the ranking of all OPDs: leave out opd', path: ['sort'] })
  .transform(({ month, week, day, ...rest }, ctx) => {
    const period = toPeriod({ month, week, day });
    if ('message' in period) {
      ctx.addIssue({ code: 'custom', ...period });
      return z.NEVER;
    }
    return { ...rest, period };
  });
export type PerformanceQuery = z.output<typeof PerformanceQuery>;

/** What a request to the report routes needs (they only read); undefined when the path is not theirs. */
export function reportsPermission(method: string, pathname: string): ReportsPermission | undefined {
  return pathname === '/api/reports' || pathname.startsWith('/api/reports/') ? 'reports.read' : undefined;
}

const bad = (error: z.ZodError): ReportsReply => ({ status: 400, body: { error: z.prettifyError(error) } });

function context(sources: ReportsSources): ReportContext {
  const seed = sources.seedFile !== undefined ? loadRegistrySeedWithSchedules(sources.seedFile).value : undefined;
  const dir = sources.holidayDir ?? (sources.seedFile !== undefined ? dirname(resolve(sources.seedFile)) : undefined);
  return {
    roster: sources.registry,
    schedules: seedSchedules(seed),
    holidays: { dir },
    influx: sources.influx,
    now: sources.clock?.() ?? new Date(),
    ...(sources.pageSize !== undefined && { pageSize: sources.pageSize }),
  };
}

function employeeJson(e: EmployeeReport, detail: boolean) {
  const { days, ...rest } = e;
  return detail ? { ...rest, days: days.map(({ plan, ...d }) => ({ ...d, kind: plan.kind, ...(plan.holiday !== undefined && { holiday: plan.holiday }) })) } : rest;
}

function presenceJson(report: PresenceReport, extra: { schedule: string; holidayFiles: string[]; warnings: string[] }, detail: boolean) {
  return {
    opd: report.opd,
    period: { ...report.period, description: describePeriod(report.period) },
    generatedAt: report.generatedAt.toISOString(),
    ...extra,
    totals: report.totals,
    flagged: report.flagged,
    employees: report.employees.map((e) => employeeJson(e, detail)),
  };
}

async function xlsxBuffer(report: PresenceReport, notes: readonly [string, string][]): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk);
      done();
    },
  });
  await writeXlsx(report, { stream: sink }, notes);
  return Buffer.concat(chunks);
}

async function presence(sources: ReportsSources, query: Record<string, string>): Promise<ReportsReply> {
  const q = PresenceQuery.safeParse(query);
  if (!q.success) return bad(q.error);
  const { opd, format, detail, period } = q.data;
  const ctx = context(sources);
  const office = resolveOffice(ctx, opd, period);
  const { report, notes } = await buildPresence(ctx, office, period);
  const file = `kehadiran-${opd}-${period.label}.${format}`;
  const attachment = { 'Content-Disposition': `attachment; filename="${file}"` };
  if (format === 'csv') return { status: 200, type: 'text/csv; charset=utf-8', body: toCsv(report, notes), headers: attachment };
  if (format === 'xlsx') return { status: 200, type: XLSX_TYPE, body: await xlsxBuffer(report, notes), headers: attachment };
  const warnings = [
    ...(office.defaultSchedule ? [`OPD ${opd} has no schedule in the registry seed: Mon-Fri ${office.schedule.start}-${office.schedule.end} assumed`] : []),
    ...office.missingHolidayYears.map((y) => `no holidays-${y}.yaml: national holidays of ${y} count as workdays`),
  ];
  const holidayFiles = office.holidayFiles.map((f) => basename(f));
  return { status: 200, body: presenceJson(report, { schedule: describeSchedule(office.schedule), holidayFiles, warnings }, detail) };
}

async function performance(sources: ReportsSources, query: Record<string, string>): Promise<ReportsReply> {
  const q = PerformanceQuery.safeParse(query);
  if (!q.success) return bad(q.error);
  const { opd, sort = 'score', period } = q.data;
  const ctx = context(sources);
  if (opd !== undefined) return { status: 200, body: await buildPerformance(ctx, resolveOffice(ctx, opd, period), period, sources.responseTimes, sources.complaintFigures) };
  const offices = await buildRanking(ctx, period, sources.responseTimes, sort, sources.complaintFigures);
  return { status: 200, body: { period, generatedAt: ctx.now.toISOString(), sort, offices } };
}

/** The reply to a report route; undefined leaves the request to the caller's other routes. */
export async function reportsRoute(sources: ReportsSources, req: ReportsRequest): Promise<ReportsReply | undefined> {
  const { method, url } = req;
  if (!reportsPermission(method, url.pathname)) return undefined;
  const path = url.pathname.replace(/\/$/, '');
  const query = Object.fromEntries(url.searchParams);
  const route = path === '/api/reports/presence' ? presence : path === '/api/reports/performance' ? performance : undefined;
  if (!route) return { status: 404, body: { error: `no route ${url.pathname}; reports are /api/reports/presence and /api/reports/performance` } };
  if (method !== 'GET') return { status: 405, body: { error: `${method} not allowed: reports are read with GET` } };
  try {
    return await route(sources, query);
  } catch (err) {
    if (err instanceof UnknownOpdError) return { status: 404, body: { error: `no OPD "${err.code}" in the registry (OPDs: ${err.known.join(', ') || 'none'})` } };
    if (err instanceof InfluxReadError) return { status: err.unreachable ? 503 : 502, body: { error: err.message } };
    if (err instanceof ConfigError) return { status: 500, body: { error: `the report configuration has a mistake: ${err.message}` } };
    throw err;
  }
}
