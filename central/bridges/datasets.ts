import type { IPoint, IWriteOptions } from 'influx';
import { escape } from 'influx';
import type { Logger } from 'pino';
import { z } from 'zod';
import { newToken, TOKEN_PATTERN } from '../auth/tokens.js';
import { checkCsvRows } from './dataset-csv.js';
import type { DatasetStore, DatasetRecord } from './dataset-store.js';
import type { BridgeEvents } from './events.js';
import { checkJsonRows, measurementOf, rowsToPoints, type DatasetRegistration, type FieldValue, type RowCheck, type RowError } from './dataset.js';

/**
 * The generic data bridge: registration, pushes (HTTP and, later, MQTT) and the latest
 * values for a wall tile. Takes the smallest interfaces it needs, so tests pass the real
 * InfluxWriter or a plain influx client.
 */

/** The central's InfluxWriter (write) or an influx client (writePoints, precision ns). */
export type PointSink = { write(points: IPoint[]): Promise<void> } | { writePoints(points: IPoint[], options?: IWriteOptions): Promise<void> };

/** An influx client's raw query: several statements, times as epoch milliseconds. */
export interface RawQuery {
  queryRaw(query: string[], options: { precision: 'ms' }): Promise<unknown>;
}

export interface OpdSource {
  opds(): readonly { code: string; zone: string }[];
}

/** Local times without an offset in an OPD that has no zone in the registry (it was removed): WIB. */
const FALLBACK_ZONE = 'Asia/Jakarta';
/** At most this many row errors are listed; the count says how many more there were. */
const MAX_LISTED_ERRORS = 100;

export interface DatasetSummary extends DatasetRecord {
  /** staleAfterS is set and no row is newer than that (or none ever came). */
  stale: boolean;
}

export type IngestResult =
  | { status: 200 | 207 | 422; body: { dataset: string; accepted: number; rejected: number; errors: RowError[]; moreErrors: number; latestRowAt: string | null } }
  | { status: 400 | 401 | 404 | 503; body: { error: string }; headers?: Record<string, string> };

export interface FieldLatest {
  name: string;
  type: DatasetRegistration['fields'][number]['type'];
  unit: string | null;
  label: string | null;
  value: FieldValue | null;
  time: string | null;
}

export interface DatasetLatest {
  dataset: string;
  name: string;
  opd: string;
  at: string;
  latestRowAt: string | null;
  stale: boolean;
  fields: FieldLatest[];
  /** The newest `limit` rows, oldest first (a sparkline's order). */
  series: { time: string; values: Record<string, FieldValue | null> }[];
}

/** InfluxDB refused or could not be reached while reading. */
export class DatasetReadError extends Error {}

const RawResponse = z.object({
  results: z.array(
    z.object({
      error: z.string().optional(),
      series: z.array(z.object({ columns: z.array(z.string()), values: z.array(z.array(z.unknown())) })).optional(),
    }),
  ),
});
const Cell = z.union([z.number(), z.string(), z.boolean()]).nullable().catch(null);

export class DatasetBridge {
  private readonly clock: () => number;

  constructor(
    private readonly store: DatasetStore,
    private readonly sink: PointSink,
    private readonly influx: RawQuery,
    private readonly registry: OpdSource,
    private readonly log: Logger,
    clock?: () => number,
    /** Told of registrations and of every recorded push (coalesced there), for the live wall. */
    private readonly events?: BridgeEvents,
  ) {
    this.clock = clock ?? Date.now;
  }

  /** Registers a dataset; the token is returned this once and only its hash is kept. */
  register(reg: DatasetRegistration, by: string): { dataset: DatasetSummary; token: string } | { error: string; status: 400 | 409 } {
    if (!this.registry.opds().some((o) => o.code === reg.opd)) return { status: 400, error: `no OPD ${reg.opd} in the registry; add it first (PUT /api/admin/opds/${reg.opd})` };
    const token = newToken();
    if (!this.store.add(reg, token, by, this.clock())) return { status: 409, error: `dataset ${reg.slug} exists; its fields do not change: register another slug, or issue a new token with POST /api/datasets/${reg.slug}/token` };
    this.log.info({ dataset: reg.slug, opd: reg.opd, by }, 'dataset registered');
    const dataset = this.summary(this.store.get(reg.slug)!);
    this.events?.datasetChanged(dataset.slug, 0, dataset.latestRowAt);
    return { dataset, token };
  }

  /** A new push token; the old one stops working at once. */
  rotateToken(slug: string, by: string): string | undefined {
    const token = newToken();
    if (!this.store.setToken(slug, token, this.clock())) return undefined;
    this.log.info({ dataset: slug, by }, 'dataset token replaced');
    return token;
  }

  list(): DatasetSummary[] {
    return this.store.all().map((d) => this.summary(d));
  }

  get(slug: string): DatasetSummary | undefined {
    const d = this.store.get(slug);
    return d && this.summary(d);
  }

  /** For a broker's authenticate hook: does this token push to this dataset? */
  verifyToken(slug: string, token: string): boolean {
    return TOKEN_PATTERN.test(token) && this.store.tokenMatches(slug, token);
  }

  /**
   * One push of rows, from HTTP or MQTT: JSON (an array of rows or {"rows": [...]}) or
   * CSV text. `contentType` decides; without it a payload starting with "[" or "{" is
   * JSON. Valid rows are stored even when others are rejected; the result lists why.
   */
  async ingestDatasetPayload(slug: string, token: string | undefined, payload: string | Buffer, contentType?: string): Promise<IngestResult> {
    const refused = this.authorize(slug, token);
    if (refused) return refused;
    const dataset = this.store.get(slug);
    if (!dataset) return { status: 404, body: { error: `no dataset ${slug}` } };
    const text = (Buffer.isBuffer(payload) ? payload.toString('utf8') : payload).replace(/^\uFEFF/, '');
    const options = { zone: this.zoneOf(dataset.opd), nowMs: this.clock() };
    const asJson = contentType !== undefined ? /json/i.test(contentType) : /^\s*[[{]/.test(text);
    let check: RowCheck | { error: string };
    if (asJson) {
      let value: unknown;
      try {
        value = JSON.parse(text) as unknown;
      } catch (err) {
        return { status: 400, body: { error: `not valid JSON: ${(err as Error).message}` } };
      }
      check = checkJsonRows(dataset, value, options);
    } else check = checkCsvRows(dataset, text, options);
    if ('error' in check) return { status: 400, body: { error: check.error } };
    if (check.rows.length === 0 && check.errors.length === 0) return { status: 400, body: { error: 'no rows in the request' } };
    return this.storeRows(dataset, check);
  }

  /** The 401/404 answer to a push with this token, or undefined when it may push. */
  authorize(slug: string, token: string | undefined): IngestResult | undefined {
    const unauthorized = (error: string): IngestResult => ({ status: 401, body: { error }, headers: { 'WWW-Authenticate': `Bearer realm="dataset ${slug}"` } });
    if (token === undefined || token === '') return unauthorized(`send the dataset's push token: Authorization: Bearer <token>`);
    const dataset = this.store.get(slug);
    if (!dataset) return { status: 404, body: { error: `no dataset ${slug}; an admin registers it with POST /api/datasets` } };
    if (!this.verifyToken(slug, token)) {
      this.log.warn({ dataset: slug, opd: dataset.opd }, 'dataset push with a wrong token');
      return unauthorized(`wrong token for dataset ${slug}; an admin can issue a new one (POST /api/datasets/${slug}/token)`);
    }
    return undefined;
  }

  /** The latest value of every field and the newest `limit` rows, from InfluxDB. Throws DatasetReadError. */
  async latest(slug: string, limit: number): Promise<DatasetLatest | undefined> {
    const dataset = this.store.get(slug);
    if (!dataset) return undefined;
    const from = escape.quoted(measurementOf(slug));
    const where = `WHERE "dataset" = ${escape.stringLit(slug)}`;
    const names = dataset.fields.map((f) => f.name);
    const statements = [
      `SELECT ${names.map((n) => escape.quoted(n)).join(', ')} FROM ${from} ${where} ORDER BY time DESC LIMIT ${limit}`,
      ...names.map((n) => `SELECT last(${escape.quoted(n)}) AS "value" FROM ${from} ${where}`),
    ];
    let raw: unknown;
    try {
      raw = await this.influx.queryRaw(statements, { precision: 'ms' });
    } catch (err) {
      throw new DatasetReadError(`InfluxDB did not answer: ${(err as Error).message}`);
    }
    const parsed = RawResponse.safeParse(raw);
    if (!parsed.success) throw new DatasetReadError('InfluxDB answered something that is not a query result');
    const failed = parsed.data.results.find((r) => r.error !== undefined);
    if (failed) throw new DatasetReadError(`InfluxDB refused the query: ${failed.error}`);
    const rowsOf = (i: number) => {
      const s = parsed.data.results[i]?.series?.[0];
      return (s?.values ?? []).map((v) => Object.fromEntries(s!.columns.map((c, j) => [c, v[j]])));
    };
    const time = (v: unknown) => new Date(typeof v === 'number' ? v : 0).toISOString();
    const series = rowsOf(0)
      .reverse()
      .map((r) => ({ time: time(r.time), values: Object.fromEntries(names.map((n) => [n, Cell.parse(r[n])])) }));
    const fields = dataset.fields.map((f, i): FieldLatest => {
      const last = rowsOf(i + 1)[0];
      return { name: f.name, type: f.type, unit: f.unit ?? null, label: f.label ?? null, value: last ? Cell.parse(last.value) : null, time: last ? time(last.time) : null };
    });
    const summary = this.summary(dataset);
    return { dataset: slug, name: dataset.name, opd: dataset.opd, at: new Date(this.clock()).toISOString(), latestRowAt: summary.latestRowAt, stale: summary.stale, fields, series };
  }

  private async storeRows(dataset: DatasetRecord, check: RowCheck): Promise<IngestResult> {
    const receivedMs = this.clock();
    const rejectedRows = check.rejected;
    if (check.rows.length > 0) {
      try {
        await this.write(rowsToPoints(dataset, check.rows, receivedMs));
      } catch (err) {
        this.log.error({ dataset: dataset.slug, opd: dataset.opd, err: (err as Error).message }, 'dataset rows not written to InfluxDB');
        return { status: 503, body: { error: `InfluxDB did not take the rows (${(err as Error).message}): nothing was stored; send them again` } };
      }
    }
    const newest = check.rows.length > 0 ? Math.max(...check.rows.map((r) => r.timeMs ?? receivedMs)) : null;
    this.store.recordPush(dataset.slug, newest, check.rows.length, rejectedRows, receivedMs);
    this.log.debug({ dataset: dataset.slug, opd: dataset.opd, accepted: check.rows.length, rejected: rejectedRows }, 'dataset rows pushed');
    const latestRowAt = this.store.get(dataset.slug)?.latestRowAt ?? null;
    // A push of refused rows only still changes the page's counts and last push time.
    this.events?.datasetChanged(dataset.slug, check.rows.length, latestRowAt);
    const status = check.errors.length === 0 ? 200 : check.rows.length > 0 ? 207 : 422;
    return {
      status,
      body: {
        dataset: dataset.slug,
        accepted: check.rows.length,
        rejected: rejectedRows,
        errors: check.errors.slice(0, MAX_LISTED_ERRORS),
        moreErrors: Math.max(0, check.errors.length - MAX_LISTED_ERRORS),
        latestRowAt,
      },
    };
  }

  private write(points: IPoint[]): Promise<void> {
    // The points carry nanosecond timestamps; a plain client must be told so.
    return 'write' in this.sink ? this.sink.write(points) : this.sink.writePoints(points, { precision: 'n' });
  }

  private zoneOf(opd: string): string {
    return this.registry.opds().find((o) => o.code === opd)?.zone ?? FALLBACK_ZONE;
  }

  private summary(d: DatasetRecord): DatasetSummary {
    const latest = d.latestRowAt === null ? null : Date.parse(d.latestRowAt);
    const stale = d.staleAfterS !== undefined && (latest === null || this.clock() - latest > d.staleAfterS * 1000);
    return { ...d, stale };
  }
}
