import { InfluxDB, escape } from 'influx';
import { periodUtcRange, type Period } from './period.js';
import type { PunchRow } from './presence.js';

/**
 * The punches of one OPD for a report period, from InfluxDB (measurement `punch`,
 * selected by the `opd` tag written at ingest, so an employee who moved keeps his
 * history with the OPD he punched at). The time range is the period in the OPD zone
 * padded by a day on both sides: the report places a punch by its terminal wall clock
 * (`device_time`), which a wrong terminal clock or zone can move across midnight;
 * computePresence drops what falls outside the period.
 */

export const DEFAULT_PAGE_SIZE = 100_000;
const PAD_MS = 24 * 3600 * 1000;

export interface InfluxTarget {
  url: string;
  database: string;
  username?: string;
  password?: string;
}

export function influxFor(target: InfluxTarget): InfluxDB {
  const u = new URL(target.url);
  return new InfluxDB({
    host: u.hostname,
    port: u.port === '' ? (u.protocol === 'https:' ? 443 : 80) : Number(u.port),
    protocol: u.protocol === 'https:' ? 'https' : 'http',
    database: target.database,
    ...(target.username !== undefined && { username: target.username }),
    ...(target.password !== undefined && { password: target.password }),
  });
}

/** The InfluxQL statement of one page. */
export function punchQuery(opd: string, period: Period, zone: string, limit: number, offset: number): string {
  const { start, end } = periodUtcRange(period, zone);
  const from = new Date(start.getTime() - PAD_MS).toISOString();
  const to = new Date(end.getTime() + PAD_MS).toISOString();
  return (
    'SELECT "employee", "known", "nip", "device_time", "zone", "status", "terminal" FROM "punch"' +
    ` WHERE "opd" = ${escape.stringLit(opd)} AND time >= '${from}' AND time < '${to}'` +
    ` ORDER BY time ASC LIMIT ${limit} OFFSET ${offset}`
  );
}

interface Row {
  employee: string | null;
  known: boolean | null;
  nip: string | null;
  device_time: string | null;
  zone: string | null;
  status: string | null;
  terminal: string | null;
}

/**
 * Pages with LIMIT/OFFSET until a page comes back empty (a server `max-row-limit`
 * may return fewer rows than asked for; the offset advances by what came back).
 */
export async function fetchPunches(
  influx: InfluxDB,
  opd: string,
  period: Period,
  zone: string,
  options: { pageSize?: number; onPage?: (rows: number) => void } = {},
): Promise<PunchRow[]> {
  const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
  const out: PunchRow[] = [];
  for (let offset = 0; ; ) {
    const rows = await influx.query<Row>(punchQuery(opd, period, zone, pageSize, offset));
    options.onPage?.(rows.length);
    for (const r of rows) {
      if (r.employee === null || r.device_time === null) continue;
      out.push({
        employee: r.employee,
        deviceTime: r.device_time,
        zone: r.zone ?? zone,
        status: r.status ?? '',
        known: r.known === true,
        nip: r.nip,
        ...(r.terminal !== null && { terminal: r.terminal }),
      });
    }
    offset += rows.length;
    if (rows.length === 0) break;
    // A short page is the end, unless the server capped it (max-row-limit): one row tells.
    if (rows.length < pageSize && (await influx.query<Row>(punchQuery(opd, period, zone, 1, offset))).length === 0) break;
  }
  return out;
}

/** InfluxDB could not be read: unreachable (`unreachable`, 503) or it answered with an error (502). */
export class InfluxReadError extends Error {
  override name = 'InfluxReadError';
  constructor(
    message: string,
    readonly unreachable: boolean,
  ) {
    super(message);
  }
}

/** Runs `read`, turning any failure into an InfluxReadError that names the server, the database and `what`. */
export async function readInflux<T>(target: InfluxTarget, what: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (err) {
    const e = err as Error & { code?: unknown };
    // Socket errors carry a code (ECONNREFUSED, ETIMEDOUT); the client's own gives up with "No host available".
    const unreachable = typeof e.code === 'string' || /no host available/i.test(e.message);
    throw new InfluxReadError(`cannot read ${what} from InfluxDB ${target.url} (database ${target.database}): ${e.message}`, unreachable);
  }
}
