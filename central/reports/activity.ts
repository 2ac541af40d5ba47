import { escape, type IResults, type InfluxDB } from 'influx';
import { RETENTION } from '../influx-schema.js';

/**
 * Which hours had activity, for office performance: hour buckets (`GROUP BY time(1h)`,
 * InfluxDB 1.6 InfluxQL) with at least one punch, health report or camera frame.
 * Counting per hour in InfluxDB keeps the answer small: a month is at most 744 rows
 * per gateway or camera, however often they report.
 */

export interface ActivityHours {
  /** Hour starts (ms) with a punch of the OPD. */
  punchHours: number[];
  /** One entry per gateway asked for, also those that never reported. */
  gateways: { gateway: string; hours: number[] }[];
  /** Every camera of the OPD with a frame in the range. */
  cameras: { gateway: string; camera: string; hours: number[] }[];
}

export interface ActivityQueries {
  punches: string;
  /** Raw reports, kept 30 days in `ops`; absent without gateways. */
  health?: string;
  /** The continuous query's hourly means (autogen, years): the hours `ops` no longer holds. */
  healthHourly?: string;
  snapshots: string;
}

const iso = (d: Date): string => `'${d.toISOString()}'`;

/** The InfluxQL statements for one OPD and a UTC range [start, end). */
export function activityQueries(opd: string, gateways: readonly string[], range: { start: Date; end: Date }): ActivityQueries {
  const time = `time >= ${iso(range.start)} AND time < ${iso(range.end)}`;
  const byOpd = `"opd" = ${escape.stringLit(opd)} AND ${time}`;
  // By gateway, not by opd tag: uptime belongs to the box, also for hours it spent at another OPD.
  const byGateway = `(${gateways.map((g) => `"gateway" = ${escape.stringLit(g)}`).join(' OR ')}) AND ${time}`;
  const ops = escape.quoted(RETENTION.ops.name);
  const autogen = escape.quoted(RETENTION.default.name);
  return {
    punches: `SELECT count("employee") FROM "punch" WHERE ${byOpd} GROUP BY time(1h) fill(none)`,
    ...(gateways.length > 0 && {
      health: `SELECT count("uptime_s") FROM ${ops}."gateway_health" WHERE ${byGateway} GROUP BY time(1h), "gateway" fill(none)`,
      healthHourly: `SELECT count("outbox_depth") FROM ${autogen}."gateway_health_hourly" WHERE ${byGateway} GROUP BY time(1h), "gateway" fill(none)`,
    }),
    snapshots: `SELECT count("bytes") FROM ${ops}."snapshot" WHERE ${byOpd} GROUP BY time(1h), "gateway", "camera" fill(none)`,
  };
}

interface CountRow {
  count: number | null;
}

type Results = IResults<CountRow & { time: Date }>;

/** Hour starts with a count above zero, per series (the GROUP BY tags). */
function hoursBySeries(result: Results | undefined): { tags: Record<string, string>; hours: number[] }[] {
  if (!result) return [];
  const groups = result.groups();
  // A statement without GROUP BY tags may come back as plain rows; an empty one as nothing at all.
  const series = groups.length > 0 ? groups : result.length > 0 ? [{ tags: {}, rows: [...result] }] : [];
  return series.map((g) => ({
    tags: g.tags,
    hours: g.rows.filter((r) => (r.count ?? 0) > 0).map((r) => r.time.getTime()),
  }));
}

export async function fetchActivity(influx: InfluxDB, opd: string, gateways: readonly string[], range: { start: Date; end: Date }): Promise<ActivityHours> {
  const q = activityQueries(opd, gateways, range);
  const statements = [q.punches, q.snapshots, ...(q.health !== undefined && q.healthHourly !== undefined ? [q.health, q.healthHourly] : [])];
  // One request for all statements; the client returns one result per statement.
  const results: Results[] = await influx.query<CountRow>(statements);
  const [punches, snapshots, health, hourly] = results;

  const byGateway = new Map<string, Set<number>>(gateways.map((g) => [g, new Set<number>()]));
  for (const s of [...hoursBySeries(health), ...hoursBySeries(hourly)]) {
    const set = byGateway.get(s.tags.gateway ?? '');
    for (const h of s.hours) set?.add(h);
  }
  return {
    punchHours: hoursBySeries(punches).flatMap((s) => s.hours),
    gateways: [...byGateway].map(([gateway, hours]) => ({ gateway, hours: [...hours].sort((a, b) => a - b) })),
    cameras: hoursBySeries(snapshots).flatMap((s) => (s.tags.gateway !== undefined && s.tags.camera !== undefined ? [{ gateway: s.tags.gateway, camera: s.tags.camera, hours: s.hours }] : [])),
  };
}
