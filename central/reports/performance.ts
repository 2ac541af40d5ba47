import { DateTime } from 'luxon';
import { z } from 'zod';
import { periodDates, periodUtcRange, type Period } from './period.js';
import { holidayMap, planDay, type Holiday, type WorkSchedule } from './schedule.js';

/**
 * Office performance (kinerja OPD): pure, no I/O. The inputs are hour buckets already
 * read from InfluxDB (activity.ts) and the alert response times; definitions in
 * docs/reports.md. Hours are UTC hour starts in ms: every Indonesian zone is a whole
 * number of hours from UTC, so an hour bucket never straddles a local midnight.
 */

export const HOUR_MS = 3_600_000;
/** An alert acknowledged within this many seconds counts as answered in time (score). */
export const RESPONSE_TARGET_S = 15 * 60;

const Share = z.number().min(0).max(1).nullable().describe('0..1, 4 decimals; null: nothing to judge');

export const HourWindow = z.strictObject({
  from: z.string().describe('UTC, first hour judged'),
  to: z.string().describe('UTC, end of the last hour judged (exclusive)'),
  hours: z.number().int().min(0),
});
export type HourWindow = z.infer<typeof HourWindow>;

export const OfficePerformance = z.strictObject({
  opd: z.strictObject({ code: z.string(), name: z.string(), zone: z.string() }),
  period: z.strictObject({ kind: z.enum(['day', 'week', 'month']), from: z.string(), to: z.string(), label: z.string() }),
  generatedAt: z.string(),
  workdays: z.strictObject({
    planned: z.number().int().describe('workdays (schedule minus holidays) that have begun to count: before today, or today after its end time or once punched'),
    withPunches: z.number().int(),
    share: Share,
    withoutPunches: z.array(z.string()).describe('planned workdays without a single punch'),
  }),
  gateways: z.strictObject({
    window: HourWindow,
    list: z.array(z.strictObject({ gateway: z.string(), hoursReported: z.number().int(), share: Share })),
    average: Share,
  }),
  cameras: z.strictObject({
    window: HourWindow.describe('hours still in the ops retention (30 d): older frames are deleted'),
    list: z.array(z.strictObject({ gateway: z.string(), camera: z.string(), hoursWithFrames: z.number().int(), share: Share })),
    average: Share,
  }),
  alerts: z.strictObject({
    count: z.number().int(),
    acknowledged: z.number().int(),
    unacknowledged: z.number().int(),
    medianS: z.number().nullable().describe('raised -> acknowledged, acknowledged alerts only'),
    p90S: z.number().nullable(),
    withinTargetShare: Share.describe(`acknowledged within ${RESPONSE_TARGET_S} s, of all alerts`),
  }),
  complaints: z
    .strictObject({
      received: z.number().int(),
      open: z.number().int(),
      acknowledgeMedianS: z.number().nullable().describe('received -> acknowledged, acknowledged complaints only'),
      acknowledgeP90S: z.number().nullable(),
      closeMedianS: z.number().nullable().describe('received -> closed'),
      closeP90S: z.number().nullable(),
    })
    .nullable()
    .describe('citizen complaints routed to the OPD in the period (docs/bridges.md); shown, not part of the score; null when the central has no complaint data'),
  score: Share.describe('mean of the shares that are not null'),
});
export type OfficePerformance = z.infer<typeof OfficePerformance>;

export interface PerformanceInput {
  opd: { code: string; name: string; zone: string };
  period: Period;
  schedule: WorkSchedule;
  holidays: readonly Holiday[];
  now: Date;
  /** Hour starts with at least one punch of the OPD. */
  punchHours: Iterable<number>;
  /** The OPD's gateways, each with the hour starts in which it sent a health report. */
  gateways: readonly { gateway: string; hours: Iterable<number> }[];
  /** Every camera with a frame in the period, with the hour starts that had one. */
  cameras: readonly { gateway: string; camera: string; hours: Iterable<number> }[];
  /** Alerts raised in the period; seconds null: never acknowledged. */
  alerts: readonly { seconds: number | null }[];
  /** How long ops.* data is kept: camera hours older than now minus this are not judged. */
  opsRetentionMs: number;
  /** Complaint figures of the OPD for the period, when the central keeps complaints. */
  complaints?: OfficePerformance['complaints'];
}

const round = (x: number, digits: number): number => Math.round(x * 10 ** digits) / 10 ** digits;
const ratio = (n: number, d: number): number | null => (d > 0 ? round(n / d, 4) : null);

function mean(values: readonly (number | null)[]): number | null {
  const known = values.filter((v): v is number => v !== null);
  return known.length > 0 ? round(known.reduce((a, b) => a + b, 0) / known.length, 4) : null;
}

/** Middle value; the mean of the two middle ones for an even count. */
export function median(sorted: readonly number[]): number | null {
  const n = sorted.length;
  if (n === 0) return null;
  const hi = sorted[Math.floor(n / 2)] ?? 0;
  return n % 2 === 1 ? hi : ((sorted[n / 2 - 1] ?? 0) + hi) / 2;
}

/** Nearest rank: the smallest value with at least p of the values at or below it. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)] ?? null;
}

/** The whole hours of [fromMs, toMs): partial hours at either end are left out. */
export function hourWindow(fromMs: number, toMs: number): { fromMs: number; toMs: number; hours: number } {
  const from = Math.ceil(fromMs / HOUR_MS) * HOUR_MS;
  const to = Math.max(from, Math.floor(toMs / HOUR_MS) * HOUR_MS);
  return { fromMs: from, toMs: to, hours: (to - from) / HOUR_MS };
}

function countIn(hours: Iterable<number>, w: { fromMs: number; toMs: number }): number {
  const seen = new Set<number>();
  for (const h of hours) {
    const bucket = Math.floor(h / HOUR_MS) * HOUR_MS;
    if (bucket >= w.fromMs && bucket < w.toMs) seen.add(bucket);
  }
  return seen.size;
}

const windowJson = (w: { fromMs: number; toMs: number; hours: number }): HourWindow => ({
  from: new Date(w.fromMs).toISOString(),
  to: new Date(w.toMs).toISOString(),
  hours: w.hours,
});

function workdays(input: PerformanceInput): OfficePerformance['workdays'] {
  const { zone } = input.opd;
  const local = DateTime.fromJSDate(input.now, { zone });
  const today = local.toISODate() ?? '';
  const nowMin = local.hour * 60 + local.minute;
  const punched = new Set<string>();
  for (const h of input.punchHours) punched.add(DateTime.fromMillis(h, { zone }).toISODate() ?? '');
  const holidays = holidayMap(input.holidays);
  let planned = 0;
  let withPunches = 0;
  const withoutPunches: string[] = [];
  for (const date of periodDates(input.period)) {
    const plan = planDay(date, input.schedule, holidays);
    if (plan.kind !== 'workday' || date > today) continue;
    const hasPunch = punched.has(date);
    // Today is judged once punched or after its end time, as the presence report does.
    if (date === today && !hasPunch && nowMin < (plan.end ?? 0)) continue;
    planned++;
    if (hasPunch) withPunches++;
    else withoutPunches.push(date);
  }
  return { planned, withPunches, share: ratio(withPunches, planned), withoutPunches };
}

export function alertStats(alerts: readonly { seconds: number | null }[]): OfficePerformance['alerts'] {
  const acked = alerts.map((a) => a.seconds).filter((s): s is number => s !== null).sort((a, b) => a - b);
  const inTime = acked.filter((s) => s <= RESPONSE_TARGET_S).length;
  const med = median(acked);
  const p90 = percentile(acked, 0.9);
  return {
    count: alerts.length,
    acknowledged: acked.length,
    unacknowledged: alerts.length - acked.length,
    medianS: med === null ? null : round(med, 1),
    p90S: p90 === null ? null : round(p90, 1),
    withinTargetShare: ratio(inTime, alerts.length),
  };
}

export function computePerformance(input: PerformanceInput): OfficePerformance {
  const { opd, period, now } = input;
  const range = periodUtcRange(period, opd.zone);
  const nowMs = now.getTime();
  const gw = hourWindow(range.start.getTime(), Math.min(range.end.getTime(), nowMs));
  const cam = hourWindow(Math.max(range.start.getTime(), nowMs - input.opsRetentionMs), Math.min(range.end.getTime(), nowMs));

  const gatewayList = input.gateways
    .map((g) => {
      const n = countIn(g.hours, gw);
      return { gateway: g.gateway, hoursReported: n, share: ratio(n, gw.hours) };
    })
    .sort((a, b) => a.gateway.localeCompare(b.gateway));
  const cameraList = input.cameras
    .map((c) => {
      const n = countIn(c.hours, cam);
      return { gateway: c.gateway, camera: c.camera, hoursWithFrames: n, share: ratio(n, cam.hours) };
    })
    .sort((a, b) => a.gateway.localeCompare(b.gateway) || a.camera.localeCompare(b.camera));

  const days = workdays(input);
  const gatewayAverage = mean(gatewayList.map((g) => g.share));
  const cameraAverage = mean(cameraList.map((c) => c.share));
  const alerts = alertStats(input.alerts);
  return {
    opd: { code: opd.code, name: opd.name, zone: opd.zone },
    period: { kind: period.kind, from: period.from, to: period.to, label: period.label },
    generatedAt: now.toISOString(),
    workdays: days,
    gateways: { window: windowJson(gw), list: gatewayList, average: gatewayAverage },
    cameras: { window: windowJson(cam), list: cameraList, average: cameraAverage },
    alerts,
    complaints: input.complaints ?? null,
    score: mean([days.share, gatewayAverage, cameraAverage, alerts.withinTargetShare]),
  };
}

export const RankingSort = z
  .enum(['score', 'workdays', 'uptime', 'cameras', 'response'])
  .describe('score, workdays, uptime and cameras: highest first; response: shortest median first. Nothing to judge (null): last');
export type RankingSort = z.infer<typeof RankingSort>;

export const RankedOffice = OfficePerformance.extend({ rank: z.number().int().min(1) });
export type RankedOffice = z.infer<typeof RankedOffice>;

function sortKey(p: OfficePerformance, sort: RankingSort): number | null {
  switch (sort) {
    case 'score':
      return p.score;
    case 'workdays':
      return p.workdays.share;
    case 'uptime':
      return p.gateways.average;
    case 'cameras':
      return p.cameras.average;
    case 'response':
      // Negated so that "higher is better" holds for every key.
      return p.alerts.medianS === null ? null : -p.alerts.medianS;
  }
}

/** Best first; equal values share a rank (1, 2, 2, 4), then go by OPD code. */
export function rankOffices(offices: readonly OfficePerformance[], sort: RankingSort): RankedOffice[] {
  const keyed = offices.map((p) => ({ p, key: sortKey(p, sort) }));
  keyed.sort((a, b) => {
    if (a.key !== b.key) {
      if (a.key === null) return 1;
      if (b.key === null) return -1;
      return b.key - a.key;
    }
    return a.p.opd.code.localeCompare(b.p.opd.code);
  });
  let rank = 0;
  return keyed.map(({ p, key }, i) => {
    if (i === 0 || key !== keyed[i - 1]?.key) rank = i + 1;
    return { ...p, rank };
  });
}
