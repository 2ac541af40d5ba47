import { describe, expect, it } from 'vitest';
import { activityQueries } from '../../central/reports/activity.js';
import { weekPeriod } from '../../central/reports/period.js';
import {
  alertStats,
  computePerformance,
  HOUR_MS,
  hourWindow,
  median,
  OfficePerformance,
  percentile,
  rankOffices,
  type PerformanceInput,
} from '../../central/reports/performance.js';
import { WorkSchedule } from '../../central/reports/schedule.js';

const WITA = 'Asia/Makassar';
const DAY_MS = 24 * HOUR_MS;
const schedule = WorkSchedule.parse({ start: '07:30', end: '16:00', friday: { start: '07:30', end: '11:30' } });
const at = (iso: string): number => Date.parse(iso);
/** Every hour start in [from, to). */
const hours = (from: string, to: string): number[] => {
  const out: number[] = [];
  for (let h = at(from); h < at(to); h += HOUR_MS) out.push(h);
  return out;
};

// Week 47 of 2026 in a WITA office (UTC+8): Mon 16 .. Sun 22 November; Friday 20 is a holiday.
const week = weekPeriod('2026-11-16');
const WEEK_START = '2026-11-15T16:00:00Z';
const WEEK_END = '2026-11-22T16:00:00Z';

function input(over: Partial<PerformanceInput> = {}): PerformanceInput {
  return {
    opd: { code: 'dinkes', name: 'Dinas Kesehatan', zone: WITA },
    period: week,
    schedule,
    holidays: [{ date: '2026-11-20', name: 'Hari Jadi Kabupaten', kind: 'libur-nasional' }],
    now: new Date('2026-11-25T00:00:00Z'),
    punchHours: [
      at('2026-11-15T23:00:00Z'), // Mon 16 07:xx WITA
      at('2026-11-16T23:00:00Z'), // Tue 17 07:xx WITA, still the 16th in UTC
      at('2026-11-18T23:00:00Z'), // Thu 19
      at('2026-11-19T01:00:00Z'), // Fri 20 (holiday): no effect
      at('2026-11-21T02:00:00Z'), // Sat 21: no effect
    ],
    gateways: [
      { gateway: 'gw-dinkes-01', hours: hours(WEEK_START, WEEK_END).filter((_, i) => i % 14 !== 0) },
      { gateway: 'gw-dinkes-02', hours: [] },
    ],
    cameras: [],
    alerts: [],
    opsRetentionMs: 30 * DAY_MS,
    ...over,
  };
}

describe('office performance: planned workdays with a punch', () => {
  it('counts workdays in the office zone, skips the holiday and weekend, lists the day without data', () => {
    const p = computePerformance(input());
    // Wednesday 18 has no punch; the holiday and Saturday punches count for nothing.
    expect(p.workdays).toEqual({ planned: 4, withPunches: 3, share: 0.75, withoutPunches: ['2026-11-18'] });
    expect(OfficePerformance.parse(p)).toEqual(p);
  });

  it('puts an early-morning WITA punch on its local date, not the UTC one', () => {
    const p = computePerformance(input({ punchHours: [at('2026-11-16T23:00:00Z')] }));
    expect(p.workdays.withoutPunches).toEqual(['2026-11-16', '2026-11-18', '2026-11-19']);
  });

  it('judges today only once punched or after its end time', () => {
    const thu = (iso: string, punchHours: number[]) => computePerformance(input({ now: new Date(iso), punchHours })).workdays;
    const before = [at('2026-11-15T23:00:00Z')];
    // Thursday 13:00 WITA, no punch yet: not judged.
    expect(thu('2026-11-19T05:00:00Z', before)).toMatchObject({ planned: 3, withPunches: 1 });
    // Thursday 16:30 WITA, still none: judged and missing.
    expect(thu('2026-11-19T08:30:00Z', before)).toMatchObject({ planned: 4, withPunches: 1, withoutPunches: ['2026-11-17', '2026-11-18', '2026-11-19'] });
    // Thursday 08:00 WITA with a punch at 07:xx: judged and present.
    expect(thu('2026-11-19T00:00:00Z', [...before, at('2026-11-18T23:00:00Z')])).toMatchObject({ planned: 4, withPunches: 2 });
  });

  it('has nothing to judge before the period starts', () => {
    const p = computePerformance(input({ now: new Date('2026-11-01T00:00:00Z') }));
    expect(p.workdays).toEqual({ planned: 0, withPunches: 0, share: null, withoutPunches: [] });
    expect(p.gateways.window.hours).toBe(0);
    expect(p.gateways.list.map((g) => g.share)).toEqual([null, null]);
  });
});

describe('office performance: gateway uptime and cameras', () => {
  it('shares of the 168 hours of the week in WITA; a silent gateway counts 0', () => {
    const p = computePerformance(input());
    expect(p.gateways.window).toEqual({ from: '2026-11-15T16:00:00.000Z', to: '2026-11-22T16:00:00.000Z', hours: 168 });
    // Every 14th hour missing: 12 of 168 gone.
    expect(p.gateways.list).toEqual([
      { gateway: 'gw-dinkes-01', hoursReported: 156, share: 0.9286 },
      { gateway: 'gw-dinkes-02', hoursReported: 0, share: 0 },
    ]);
    expect(p.gateways.average).toBe(0.4643);
  });

  it('clips the window to the last whole hour before now; several reports in an hour count once', () => {
    const now = new Date('2026-11-16T03:40:00Z'); // Monday 11:40 WITA
    const reports = [at(WEEK_START), at(WEEK_START) + 60_000, at(WEEK_START) + 2 * HOUR_MS, at('2026-11-16T03:10:00Z')];
    const p = computePerformance(input({ now, gateways: [{ gateway: 'gw', hours: reports }] }));
    expect(p.gateways.window).toEqual({ from: '2026-11-15T16:00:00.000Z', to: '2026-11-16T03:00:00.000Z', hours: 11 });
    expect(p.gateways.list).toEqual([{ gateway: 'gw', hoursReported: 2, share: 0.1818 }]);
  });

  it('averages cameras seen, and judges no hour older than the ops retention', () => {
    const cameras = [
      { gateway: 'gw-dinkes-01', camera: 'lobby', hours: hours(WEEK_START, WEEK_END) },
      { gateway: 'gw-dinkes-01', camera: 'gate', hours: hours(WEEK_START, '2026-11-19T16:00:00Z') }, // 4 of 7 days
    ];
    const p = computePerformance(input({ cameras }));
    expect(p.cameras.list.map((c) => [c.camera, c.hoursWithFrames, c.share])).toEqual([
      ['gate', 96, 0.5714],
      ['lobby', 168, 1],
    ]);
    expect(p.cameras.average).toBe(0.7857);
    // 40 days after the week every frame of it is beyond the 30-day retention; 33 days after its start, the first 3 days are.
    const late = computePerformance(input({ cameras, now: new Date(at(WEEK_END) + 40 * DAY_MS) }));
    expect(late.cameras.window.hours).toBe(0);
    expect(late.cameras.average).toBeNull();
    const partly = computePerformance(input({ cameras, now: new Date(at(WEEK_START) + 33 * DAY_MS) }));
    expect(partly.cameras.window).toMatchObject({ from: '2026-11-18T16:00:00.000Z', hours: 96 });
    expect(partly.cameras.list.map((c) => c.hoursWithFrames)).toEqual([24, 96]);
  });
});

describe('office performance: alert response', () => {
  it('median and p90 of acknowledged alerts; the unacknowledged one counts against the target share', () => {
    const a = alertStats([{ seconds: 600 }, { seconds: 30 }, { seconds: null }, { seconds: 1200 }, { seconds: 60 }, { seconds: 120.04 }]);
    expect(a).toEqual({ count: 6, acknowledged: 5, unacknowledged: 1, medianS: 120, p90S: 1200, withinTargetShare: 0.6667 });
    expect(alertStats([])).toEqual({ count: 0, acknowledged: 0, unacknowledged: 0, medianS: null, p90S: null, withinTargetShare: null });
    expect(alertStats([{ seconds: null }])).toMatchObject({ medianS: null, withinTargetShare: 0 });
  });

  it('median of an even count is the mean of the middle two; p90 is the nearest rank', () => {
    expect(median([10, 20])).toBe(15);
    expect(median([5])).toBe(5);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9)).toBe(9);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], 0.9)).toBe(10);
    expect(hourWindow(at('2026-11-01T00:30:00Z'), at('2026-11-01T03:10:00Z')).hours).toBe(2);
  });

  it('score is the mean of the shares there are', () => {
    const p = computePerformance(input({ alerts: [{ seconds: 100 }, { seconds: null }] }));
    // workdays 0.75, uptime 0.4643, no cameras, alerts in time 0.5
    expect(p.score).toBe(0.5714);
    expect(p.alerts).toMatchObject({ count: 2, unacknowledged: 1, medianS: 100, p90S: 100 });
  });
});

describe('ranking', () => {
  const office = (code: string, score: number | null, medianS: number | null, uptime: number | null) => {
    const p = computePerformance(input({ opd: { code, name: code, zone: WITA } }));
    return { ...p, score, alerts: { ...p.alerts, medianS }, gateways: { ...p.gateways, average: uptime } };
  };
  const offices = [office('disdik', 0.8, 300, 0.9), office('bpkad', 0.8, null, 1), office('dinkes', 0.95, 45, null), office('dukcapil', null, 120, 0.5)];

  it('by score: best first, ties share a rank and go by code, nothing to judge last', () => {
    expect(rankOffices(offices, 'score').map((o) => [o.rank, o.opd.code])).toEqual([
      [1, 'dinkes'],
      [2, 'bpkad'],
      [2, 'disdik'],
      [4, 'dukcapil'],
    ]);
  });

  it('by response: shortest median first; by uptime: highest first', () => {
    expect(rankOffices(offices, 'response').map((o) => o.opd.code)).toEqual(['dinkes', 'dukcapil', 'disdik', 'bpkad']);
    expect(rankOffices(offices, 'uptime').map((o) => o.opd.code)).toEqual(['bpkad', 'disdik', 'dukcapil', 'dinkes']);
  });
});

describe('activity queries (InfluxQL 1.6)', () => {
  it('hour buckets per OPD, per gateway from ops and the hourly CQ, per camera', () => {
    const q = activityQueries("dinkes'x", ['gw-a', 'gw-b'], { start: new Date('2026-10-31T16:00:00Z'), end: new Date('2026-11-30T16:00:00Z') });
    const range = `time >= '2026-10-31T16:00:00.000Z' AND time < '2026-11-30T16:00:00.000Z'`;
    expect(q.punches).toBe(`SELECT count("employee") FROM "punch" WHERE "opd" = 'dinkes\\'x' AND ${range} GROUP BY time(1h) fill(none)`);
    expect(q.health).toBe(`SELECT count("uptime_s") FROM "ops"."gateway_health" WHERE ("gateway" = 'gw-a' OR "gateway" = 'gw-b') AND ${range} GROUP BY time(1h), "gateway" fill(none)`);
    expect(q.healthHourly).toContain('FROM "autogen"."gateway_health_hourly"');
    expect(q.snapshots).toContain(`FROM "ops"."snapshot" WHERE "opd" = 'dinkes\\'x' AND ${range} GROUP BY time(1h), "gateway", "camera" fill(none)`);
    expect(activityQueries('dinkes', [], { start: new Date(0), end: new Date(1) }).health).toBeUndefined();
  });
});
