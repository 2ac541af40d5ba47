import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InfluxDB } from 'influx';
import { pino } from 'pino';
import { Influxd } from '../../scripts/lib/influxd.js';
import { RegistrySeed } from '../../central/config.js';
import { ensureInfluxSchema } from '../../central/influx-schema.js';
import { InfluxWriter } from '../../central/influx-writer.js';
import { Registry } from '../../central/registry.js';
import { bridgesPermission, bridgesRoute, openBridges, type Actor, type Bridges, type BridgesSources } from '../../central/bridges/index.js';

/**
 * The complaint desk and the data bridge as central/http.ts would mount them, on the
 * registry's SQLite file, with rows going through the central's InfluxWriter into a
 * real influxd and read back for the wall tile.
 */

const log = pino({ level: 'silent' });
const MIN = 60_000;

interface Answer {
  status: number;
  body: Record<string, unknown> & { error?: string };
  headers?: Record<string, string>;
}

describe('complaints and datasets end to end', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pemda-bridges-'));
  let influxd: Influxd;
  let influx: InfluxDB;
  let writer: InfluxWriter;
  let registry: Registry;
  let bridges: Bridges;
  let now = Date.parse('2026-11-02T00:30:00Z');

  beforeAll(async () => {
    influxd = await Influxd.start(join(dir, 'influx'));
    influx = new InfluxDB({ host: '127.0.0.1', port: influxd.port, database: 'pemda' });
    await ensureInfluxSchema(influx, 'pemda', log);
    writer = new InfluxWriter(influx, { batchSize: 500, flushIntervalMs: 50 }, log);
    registry = new Registry(join(dir, 'central.sqlite'));
    registry.seed(
      RegistrySeed.parse({
        opds: [
          { code: 'dlh', name: 'Dinas Lingkungan Hidup', zone: 'Asia/Makassar', gateways: [] },
          { code: 'dpupr', name: 'Dinas PUPR', zone: 'Asia/Makassar', gateways: [] },
        ],
      }),
    );
    bridges = openBridges({ db: join(dir, 'central.sqlite'), photoDir: join(dir, 'photos'), sink: writer, influx, registry, log, clock: () => now });
  });

  afterAll(async () => {
    bridges?.close();
    registry?.close();
    await writer?.close();
    await influxd?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** One request as central/http.ts hands it over, after its own permission check. */
  async function call(method: string, path: string, init: { json?: unknown; csv?: string; actor?: Actor; authorization?: string } = {}): Promise<Answer> {
    const sources: BridgesSources = bridges;
    const url = new URL(path, 'http://central');
    expect(bridgesPermission(method, url.pathname)).toBeDefined();
    const body = init.json !== undefined ? JSON.stringify(init.json) : init.csv;
    const reply = await bridgesRoute(sources, {
      method,
      url,
      actor: init.actor,
      authorization: init.authorization,
      contentType: init.json !== undefined ? 'application/json' : init.csv !== undefined ? 'text/csv; charset=utf-8' : undefined,
      body: () => Promise.resolve(body ?? ''),
    });
    if (!reply) throw new Error(`no bridge route for ${method} ${path}`);
    return reply as Answer;
  }

  it('a complaint is routed, acknowledged and closed, and the response times add up', async () => {
    const operator: Actor = { username: 'operator1' };
    const admin: Actor = { username: 'admin' };
    const dlh: Actor = { username: 'admin.dlh', opd: 'dlh' };
    expect((await call('PUT', '/api/complaints/routing', { json: { rules: [{ category: 'sampah', opd: 'dlh' }, { category: '*', opd: 'dpupr' }] }, actor: admin })).status).toBe(200);

    const filed = await call('POST', '/api/complaints', { json: { category: 'sampah', text: 'Sampah menumpuk di depan pasar', address: 'Pasar Terong, Makassar', location: { lat: -5.13, lon: 119.42 } }, actor: operator });
    expect(filed).toMatchObject({ status: 201, body: { state: 'routed', opd: 'dlh', routed: { by: 'rule:sampah' } } });
    const id = filed.body.id as number;

    now += 12 * MIN;
    expect((await call('POST', `/api/complaints/${id}/ack`, { json: { note: 'petugas berangkat' }, actor: dlh })).body).toMatchObject({ state: 'acknowledged', acknowledged: { by: 'admin.dlh' } });
    expect((await call('POST', `/api/complaints/${id}/assign`, { json: { opd: 'dpupr' }, actor: dlh })).status).toBe(403);
    now += 48 * MIN;
    const closed = await call('POST', `/api/complaints/${id}/close`, { json: { note: 'sampah diangkut, TPS dibersihkan' }, actor: dlh });
    expect(closed.body).toMatchObject({ state: 'closed', closed: { by: 'admin.dlh', note: 'sampah diangkut, TPS dibersihkan' } });
    expect((await call('POST', `/api/complaints/${id}/close`, { json: { note: 'lagi' }, actor: dlh })).status).toBe(409);

    // A second one, closed straight from routed: acknowledged at the close.
    const second = await call('POST', '/api/complaints', { json: { category: 'sampah', text: 'Bak sampah penuh', address: 'Jl. Veteran' }, actor: operator });
    now += 30 * MIN;
    await call('POST', `/api/complaints/${second.body.id as number}/close`, { json: { note: 'diangkut' }, actor: dlh });
    // A third, by the fallback rule, still open.
    expect((await call('POST', '/api/complaints', { json: { category: 'jalan-rusak', text: 'Lubang besar', location: { lat: -5.14, lon: 119.41 } }, actor: operator })).body.opd).toBe('dpupr');

    const stats = await call('GET', '/api/complaints/stats?from=2026-11-02T00:00:00Z&to=2026-11-03T00:00:00Z', { actor: operator });
    expect(stats.body.opds).toEqual([
      { opd: 'dlh', received: 2, open: 0, oldestOpenSince: null, acknowledge: { count: 2, medianS: 1260, p90S: 1692 }, close: { count: 2, medianS: 2700, p90S: 3420 } },
      { opd: 'dpupr', received: 1, open: 1, oldestOpenSince: new Date(now).toISOString(), acknowledge: { count: 0, medianS: null, p90S: null }, close: { count: 0, medianS: null, p90S: null } },
    ]);
    const mine = await call('GET', '/api/complaints/stats?from=2026-11-02&to=2026-11-03', { actor: dlh });
    expect((mine.body.opds as { opd: string }[]).map((o) => o.opd)).toEqual(['dlh']);

    const history = (await call('GET', `/api/complaints/${id}`, { actor: operator })).body.history as { action: string; by: string }[];
    expect(history.map((h) => `${h.action} ${h.by}`)).toEqual(['received operator1', 'routed rule:sampah', 'acknowledged admin.dlh', 'closed admin.dlh']);
    const open = (await call('GET', '/api/complaints', { actor: operator })).body.complaints as { opd: string }[];
    expect(open.map((c) => c.opd)).toEqual(['dpupr']);
  });

  it('a dataset takes valid rows, refuses bad ones with reasons, and the wall tile reads them back', async () => {
    now = Date.now();
    const admin: Actor = { username: 'admin' };
    const created = await call('POST', '/api/datasets', {
      actor: admin,
      json: {
        slug: 'tinggi-muka-air',
        name: 'Tinggi Muka Air Sungai Tallo',
        opd: 'dpupr',
        fields: [
          { name: 'level', type: 'number', unit: 'cm', min: 0, max: 2000 },
          { name: 'status', type: 'string', optional: true },
          { name: 'pump_on', type: 'boolean', optional: true },
        ],
        staleAfterS: 900,
      },
    });
    expect(created.status).toBe(201);
    const token = created.body.token as string;
    const at = (minutesAgo: number) => new Date(now - minutesAgo * MIN).toISOString();

    const pushed = await call('POST', '/api/datasets/tinggi-muka-air/rows', {
      authorization: `Bearer ${token}`,
      json: {
        rows: [
          { time: at(30), level: 120.5, status: 'normal', pump_on: false },
          { time: at(20), level: -4 },
          { time: at(20), level: 131, status: 'siaga', pump_on: true },
          { time: at(15), level: 'tinggi', colour: 'red' },
        ],
      },
    });
    expect(pushed).toMatchObject({
      status: 207,
      body: {
        accepted: 2,
        rejected: 2,
        errors: [
          { row: 2, field: 'level', message: 'below the minimum 0 cm' },
          { row: 4, field: 'level', message: 'expected a number, e.g. 12.5' },
          { row: 4, field: 'colour', message: expect.stringMatching(/unknown field/) },
        ],
      },
    });
    const csv = `\uFEFFwaktu;level;status\r\n${at(10)};140,25;siaga\r\n${at(5)};;siaga\r\n`;
    const fromCsv = await call('POST', '/api/datasets/tinggi-muka-air/rows', { authorization: `Bearer ${token}`, csv });
    expect(fromCsv).toMatchObject({ status: 207, body: { accepted: 1, rejected: 1, errors: [{ line: 3, field: 'level', message: 'missing: this field is required' }], latestRowAt: at(10) } });

    const wrong = await call('POST', '/api/datasets/tinggi-muka-air/rows', { authorization: `Bearer ${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`, json: [{ level: 1 }] });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error).toMatch(/wrong token/);

    const stored = await influxd.query('pemda', 'SELECT * FROM "dataset_tinggi-muka-air"');
    expect(stored.map((r) => [r.level, r.opd, r.dataset])).toEqual([
      [120.5, 'dpupr', 'tinggi-muka-air'],
      [131, 'dpupr', 'tinggi-muka-air'],
      [140.25, 'dpupr', 'tinggi-muka-air'],
    ]);

    const latest = await call('GET', '/api/datasets/tinggi-muka-air/latest?limit=2', { actor: admin });
    expect(latest.status).toBe(200);
    expect(latest.body).toMatchObject({
      dataset: 'tinggi-muka-air',
      opd: 'dpupr',
      stale: false,
      latestRowAt: at(10),
      fields: [
        { name: 'level', unit: 'cm', value: 140.25, time: at(10) },
        { name: 'status', value: 'siaga', time: at(10) },
        { name: 'pump_on', value: true, time: at(20) },
      ],
      series: [
        { time: at(20), values: { level: 131, status: 'siaga', pump_on: true } },
        { time: at(10), values: { level: 140.25, status: 'siaga', pump_on: null } },
      ],
    });

    now += 16 * MIN;
    const listed = (await call('GET', '/api/datasets', { actor: admin })).body.datasets as { slug: string; stale: boolean; rowsAccepted: number }[];
    expect(listed).toMatchObject([{ slug: 'tinggi-muka-air', stale: true, rowsAccepted: 3 }]);
    expect((await call('GET', '/api/datasets/nope/latest', { actor: admin })).status).toBe(404);
  });
});
