import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InfluxDB } from 'influx';
import { pino } from 'pino';
import { parse as parseYaml } from 'yaml';
import { Influxd } from '../../scripts/lib/influxd.js';
import { ensureInfluxSchema, retentionPolicyFor } from '../../central/influx-schema.js';
import { healthToPoint, recordToPoint } from '../../central/points.js';
import { MEASUREMENTS } from '../../central/grafana/influxql.js';
import { allDashboards } from '../../central/grafana/dashboards.js';
import { DATA_OPD_UID, dataOpdDashboard, grafanaUnit } from '../../central/grafana/datasets.js';
import { DATASOURCE, type Dashboard, type Panel, type RowPanel } from '../../central/grafana/model.js';
import { dashboardJson, generatedFiles } from '../../central/grafana/provisioning.js';
import { grafanaMain } from '../../central/grafana/cli.js';
import { DatasetRegistration, rowsToPoints } from '../../central/bridges/dataset.js';
import { DatasetBridge, DatasetStore } from '../../central/bridges/index.js';
import { InfluxWriter } from '../../central/influx-writer.js';
import { Registry } from '../../central/registry.js';
import { lintInfluxQL } from '../fixtures/grafana/influxql-lint.js';
import { health, maximalPunch, samplePoints } from '../fixtures/grafana/sample-points.js';
import { FakeGrafana, loadRecording, missing, type Exchange, type Recording } from '../fixtures/grafana/fake-grafana.js';

/**
 * Dashboards and data source as code, checked without a Grafana (none can be installed
 * here): structure of every dashboard, every query against a real influxd holding
 * points the central's own writers made, the committed provisioning files, and
 * `grafana push` against a fake Grafana replaying recorded API exchanges.
 */
const ROOT = join(import.meta.dirname, '..', '..');
const dashboards = allDashboards();
const targetsOf = (p: Panel | RowPanel) => (p.type === 'row' ? [] : (p.targets ?? []));

/** Datasets as an admin registers them: every field type, units with and without a Grafana unit. */
const DATASETS = [
  DatasetRegistration.parse({
    slug: 'kualitas-udara', name: 'Kualitas Udara', opd: 'dlh',
    fields: [
      { name: 'pm25', type: 'number', unit: 'µg/m³', min: 0 },
      { name: 'aqi', type: 'integer', optional: true },
      { name: 'station', type: 'string', optional: true, label: 'Stasiun' },
      { name: 'ok', type: 'boolean', optional: true },
    ],
  }),
  DatasetRegistration.parse({
    slug: 'tinggi-muka-air', name: 'Tinggi Muka Air Sungai Tallo', opd: 'dpupr',
    fields: [{ name: 'level', type: 'number', unit: 'cm' }, { name: 'debit', type: 'number', unit: 'm³/s', optional: true }],
  }),
];
const dataOpd = dataOpdDashboard(DATASETS.map((d) => ({ ...d, ...(d.opd === 'dlh' && { opdName: 'Dinas Lingkungan Hidup' }) })));
/** What the dataset writer (rowsToPoints) makes of a row with every field: the lint's catalog for dataset measurements. */
const DATASET_CATALOG = Object.fromEntries(
  DATASETS.flatMap((reg) => rowsToPoints(reg, [{ at: 1, timeMs: null, values: Object.fromEntries(reg.fields.map((f) => [f.name, f.type === 'string' ? 'x' : f.type === 'boolean' ? true : 1])) }], 0))
    .map((p) => [p.measurement!, { tags: Object.keys(p.tags ?? {}), fields: Object.keys(p.fields ?? {}) }]),
);
const CATALOG = { ...MEASUREMENTS, ...DATASET_CATALOG };
const everyDashboard: Dashboard[] = [...dashboards, dataOpd];
const sortedKeys = (o: object | undefined) => Object.keys(o ?? {}).sort();

const run = async (args: string[]) => {
  const out: string[] = [];
  const err: string[] = [];
  const code = await grafanaMain(args, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err: err.join('\n') };
};

/** A central config whose registry holds `DATASETS` (and the name of OPD dlh). */
function centralWithDatasets(dir: string): string {
  const config = join(dir, 'central.yaml');
  writeFileSync(config, 'registry:\n  db: central.sqlite\n');
  const registry = new Registry(join(dir, 'central.sqlite'));
  registry.saveOpd({ code: 'dlh', name: 'Dinas Lingkungan Hidup', zone: 'Asia/Makassar', location: null });
  registry.close();
  const store = new DatasetStore(join(dir, 'central.sqlite'));
  DATASETS.forEach((reg, i) => store.add(reg, `token-${i}`, 'admin', Date.now()));
  store.close();
  return config;
}

/** Grafana's macros and variables as Grafana would expand them with "All" selected. */
function expand(query: string): string {
  return query.replaceAll('$timeFilter', 'time > now() - 1h').replaceAll('$__interval', '1m').replace(/\$(opd|gateway)\b/g, '.*');
}

describe('the measurement catalog the dashboards query', () => {
  it('matches what central/points.ts writes', () => {
    const ctx = { opd: 'o', gateway: 'g', nipOf: () => '1987' };
    const points = [
      recordToPoint(maximalPunch, ctx),
      recordToPoint({ seq: 1, kind: 'terminal_status', terminal: 't', state: 'error', reason: 'x', at: '2026-01-01T00:00:00Z' }, ctx),
      recordToPoint({ seq: 1, kind: 'terminal_clock', terminal: 't', skewMs: 1, alarm: true, synced: true, at: '2026-01-01T00:00:00Z' }, ctx),
      recordToPoint({ seq: 1, kind: 'camera_status', camera: 'c', state: 'stale', reason: 'x', at: '2026-01-01T00:00:00Z' }, ctx),
      healthToPoint(health(0, 0), ctx),
    ];
    for (const p of points) {
      const known = MEASUREMENTS[p.measurement as keyof typeof MEASUREMENTS];
      expect(sortedKeys(p.fields), p.measurement).toEqual([...known.fields].sort());
      expect(sortedKeys(p.tags), p.measurement).toEqual([...known.tags].sort());
    }
  });

  it('matches the gateway_status and snapshot points central/ingest.ts writes', () => {
    const source = readFileSync(join(ROOT, 'central', 'ingest.ts'), 'utf8');
    for (const m of ['gateway_status', 'snapshot'] as const) {
      const at = source.indexOf(`measurement: '${m}'`);
      expect(at, `no ${m} point in central/ingest.ts`).toBeGreaterThan(0);
      const tags = /tags: \{([^}]*)\}/.exec(source.slice(at))![1]!.split(',').map((t) => t.trim()).filter(Boolean);
      const start = source.indexOf('fields: {', at) + 'fields: '.length;
      let depth = 0;
      let end = start;
      for (; end < source.length; end++) if ((depth += source[end] === '{' ? 1 : source[end] === '}' ? -1 : 0) === 0) break;
      const fields = [...source.slice(start + 1, end).matchAll(/(\w+):/g)].map((f) => f[1]);
      expect(tags.sort(), m).toEqual([...MEASUREMENTS[m].tags].sort());
      expect(fields.sort(), m).toEqual([...MEASUREMENTS[m].fields].sort());
    }
  });
});

describe('dashboards (structure)', () => {
  it('have stable, distinct uids and the Grafana 10/11 schema', () => {
    expect(dashboards.map((d) => d.uid)).toEqual(['pemda-overview', 'pemda-attendance', 'pemda-gateway-health']);
    for (const d of dashboards) {
      expect(d.uid.length).toBeLessThanOrEqual(40);
      expect(d.schemaVersion).toBe(39);
      expect(d.description).not.toBe('');
    }
    expect(dashboards.find((d) => d.uid === 'pemda-attendance')!.description).toMatch(/late arrivals are not computable/i);
  });

  it.each(everyDashboard.map((d) => [d.uid, d] as const))('%s: unique ids, panels inside 24 columns and not overlapping', (_uid, d) => {
    expect(new Set(d.panels.map((p) => p.id)).size).toBe(d.panels.length);
    for (const [i, p] of d.panels.entries()) {
      const g = p.gridPos;
      expect([g.x, g.y, g.w, g.h].every(Number.isInteger), p.title).toBe(true);
      expect(g.x >= 0 && g.w >= 1 && g.h >= 1 && g.x + g.w <= 24, p.title).toBe(true);
      for (const q of d.panels.slice(i + 1)) {
        const o = q.gridPos;
        const overlap = g.x < o.x + o.w && o.x < g.x + g.w && g.y < o.y + o.h && o.y < g.y + g.h;
        expect(overlap, `${p.title} / ${q.title}`).toBe(false);
      }
      expect(p.title).not.toBe('');
      if (p.type !== 'row') expect(p.description).not.toBe('');
    }
  });

  it.each(everyDashboard.map((d) => [d.uid, d] as const))('%s: every query is raw InfluxQL on pemda-influxdb over known fields and tags', (_uid, d) => {
    const variables = new Set(d.templating.list.map((v) => v.name));
    for (const p of d.panels) {
      if (p.type === 'text' || p.type === 'row') continue;
      expect(p.datasource, p.title).toEqual(DATASOURCE);
      expect(targetsOf(p).length, p.title).toBeGreaterThan(0);
      expect(new Set(targetsOf(p).map((t) => t.refId)).size, p.title).toBe(targetsOf(p).length);
      for (const t of targetsOf(p)) {
        expect(t.datasource.uid, p.title).toBe('pemda-influxdb');
        expect(t.rawQuery, p.title).toBe(true);
        expect(t.query, p.title).toMatch(/^SELECT .+ FROM .+$/);
        expect(lintInfluxQL(t.query, CATALOG, retentionPolicyFor), `${p.title}: ${t.query}`).toEqual([]);
        for (const v of t.query.matchAll(/\$(opd|gateway)\b/g)) expect(variables.has(v[1]!), `${p.title}: $${v[1]} not defined`).toBe(true);
      }
    }
    for (const v of d.templating.list) {
      expect(v.datasource.uid).toBe('pemda-influxdb');
      expect(lintInfluxQL(v.query, MEASUREMENTS, retentionPolicyFor), v.query).toEqual([]);
    }
  });

  it('the lint itself refuses unknown fields, tags, measurements and policies', () => {
    const lint = (q: string) => lintInfluxQL(q, MEASUREMENTS, retentionPolicyFor);
    expect(lint('SELECT COUNT("employe") FROM "autogen"."punch" WHERE $timeFilter')).not.toEqual([]);
    expect(lint('SELECT COUNT("employee") FROM "autogen"."punch" WHERE $timeFilter GROUP BY "employee"')).not.toEqual([]);
    expect(lint('SELECT MAX("load1") FROM "autogen"."gateway_health" WHERE $timeFilter')).not.toEqual([]);
    expect(lint('SELECT COUNT("employee") FROM "autogen"."punches" WHERE $timeFilter')).not.toEqual([]);
    expect(lint('SELECT COUNT("employee") FROM "autogen"."punch"')).not.toEqual([]);
    expect(lint('SELECT COUNT("employee") FROM "autogen"."punch" WHERE $timeFilter AND "opd" =~ /^$dinas$/')).not.toEqual([]);
  });
});

describe('the Data OPD dashboard (registered datasets)', () => {
  const panels = dataOpd.panels;
  const under = (row: string) => {
    const start = panels.findIndex((p) => p.type === 'row' && p.title.startsWith(row));
    const end = panels.findIndex((p, i) => i > start && p.type === 'row');
    return panels.slice(start + 1, end < 0 ? undefined : end).filter((p): p is Panel => p.type !== 'row');
  };
  const unitOf = (p: Panel) => p.fieldConfig.defaults.unit;

  it('has one row per dataset with its name and OPD; per number field a stat and a time series in its unit; a table of text and yes/no fields', () => {
    expect(panels.filter((p) => p.type === 'row').map((p) => p.title)).toEqual(['Kualitas Udara · Dinas Lingkungan Hidup (dlh)', 'Tinggi Muka Air Sungai Tallo · dpupr']);
    const air = under('Kualitas Udara');
    expect(air.map((p) => [p.type, p.title, p.type === 'table' ? null : unitOf(p)])).toEqual([
      ['stat', 'pm25 (µg/m³) terakhir', 'conμgm3'],
      ['stat', 'aqi terakhir', 'short'],
      ['timeseries', 'pm25 (µg/m³)', 'conμgm3'],
      ['timeseries', 'aqi', 'short'],
      ['table', 'Kualitas Udara: teks dan ya/tidak', null],
    ]);
    expect(targetsOf(air[4]!)[0]!.query).toBe(`SELECT "station", "ok" FROM "autogen"."dataset_kualitas-udara" WHERE $timeFilter AND "dataset" = 'kualitas-udara'`);
    expect(air[4]!.transformations?.[1]).toMatchObject({ options: { renameByName: { Time: 'Waktu', station: 'Stasiun', ok: 'ok' } } });
    expect(air[4]!.options.sortBy).toEqual([{ displayName: 'Waktu', desc: true }]);
    // The registered minimum is the axis floor; without one the axis may go negative.
    expect(air[2]!.fieldConfig.defaults.min).toBe(0);
    expect(air[3]!.fieldConfig.defaults).not.toHaveProperty('min');
    const water = under('Tinggi Muka Air');
    expect(water.map((p) => [p.type, unitOf(p)])).toEqual([['stat', 'suffix:cm'], ['stat', 'flowcms'], ['timeseries', 'suffix:cm'], ['timeseries', 'flowcms']]);
    expect(targetsOf(water[0]!)[0]!.query).toBe(`SELECT LAST("level") AS "level" FROM "autogen"."dataset_tinggi-muka-air" WHERE $timeFilter AND "dataset" = 'tinggi-muka-air'`);
    expect(water[0]!.timeFrom).toBe('90d');
    expect(targetsOf(water[2]!)[0]!.query).toBe(
      `SELECT MEAN("level") AS "level" FROM "autogen"."dataset_tinggi-muka-air" WHERE $timeFilter AND "dataset" = 'tinggi-muka-air' GROUP BY time($__interval) fill(null)`,
    );
    expect(dataOpd).toMatchObject({ uid: DATA_OPD_UID, title: 'Data OPD', schemaVersion: 39, tags: ['pemda', 'data-opd'] });
  });

  it('maps units to Grafana units where one is obvious, else shows the unit as a suffix', () => {
    const cases: [string | undefined, string][] = [
      ['°C', 'celsius'], ['℃', 'celsius'], ['%', 'percent'], ['mm', 'lengthmm'], ['m', 'lengthm'], ['km', 'lengthkm'], ['m3/s', 'flowcms'], ['m³/s', 'flowcms'],
      ['m³', 'm3'], ['µg/m³', 'conμgm3'], ['ug/m3', 'conμgm3'], ['ppm', 'ppm'], ['hPa', 'pressurehpa'], ['km/jam', 'velocitykmh'], ['kWh', 'kwatth'],
      ['K', 'kelvin'], ['Rp', 'currency:Rp'], ['detik', 's'], [undefined, 'short'], ['cm', 'suffix:cm'], ['NTU', 'suffix:NTU'], ['orang', 'suffix:orang'],
    ];
    expect(cases.map(([u]) => grafanaUnit(u))).toEqual(cases.map(([, g]) => g));
  });

  it('keeps its uid and every panel id when datasets are added; says so when there is none', () => {
    const ids = (d: Dashboard) => new Map(d.panels.map((p) => [`${p.type} ${p.title}`, p.id]));
    const alone = dataOpdDashboard([DATASETS[1]!]);
    expect(JSON.stringify(dataOpdDashboard(DATASETS))).toBe(JSON.stringify(dataOpdDashboard(DATASETS)));
    const both = ids(dataOpdDashboard(DATASETS));
    for (const [key, id] of ids(alone)) expect(both.get(key), key).toBe(id);
    const empty = dataOpdDashboard([]);
    expect(empty.uid).toBe(DATA_OPD_UID);
    expect(empty.panels.map((p) => p.type)).toEqual(['text']);
  });
});

describe('provisioning files', () => {
  it('committed under docker/grafana are exactly what the code generates (else: pemda-central grafana write)', () => {
    const files = generatedFiles();
    for (const [rel, content] of files) expect(readFileSync(join(ROOT, 'docker', 'grafana', rel), 'utf8'), rel).toBe(content);
    const committed = readdirSync(join(ROOT, 'docker', 'grafana', 'dashboards')).map((f) => `dashboards/${f}`);
    expect(committed.sort()).toEqual([...files.keys()].filter((k) => k.startsWith('dashboards/')).sort());
  });

  it('define the InfluxQL data source the panels use and a file provider for the dashboards', () => {
    const files = generatedFiles();
    const ds = parseYaml(files.get('provisioning/datasources/pemda.yaml')!) as { datasources: Record<string, unknown>[] };
    expect(ds.datasources).toHaveLength(1);
    expect(ds.datasources[0]).toMatchObject({ uid: DATASOURCE.uid, type: 'influxdb', url: 'http://influxdb:8086', jsonData: { dbName: 'pemda', version: 'InfluxQL' } });
    const provider = parseYaml(files.get('provisioning/dashboards/pemda.yaml')!) as { providers: Record<string, unknown>[] };
    expect(provider.providers[0]).toMatchObject({ type: 'file', folder: 'Pemda Command Center', options: { path: '/var/lib/grafana/dashboards/pemda' } });
  });

  it('grafana write regenerates them into --out, and a second run changes nothing', async () => {
    const out = mkdtempSync(join(tmpdir(), 'pemda-grafana-write-'));
    try {
      expect((await run(['write', '--out', out])).code).toBe(0);
      for (const [rel, content] of generatedFiles()) expect(readFileSync(join(out, rel), 'utf8')).toBe(content);
      const again = await run(['write', '--out', out]);
      expect(again.code).toBe(0);
      expect(again.out.length).toBeGreaterThan(0);
      expect(again.out.every((l) => l.startsWith('unchanged'))).toBe(true);
      expect(again.err).toMatch(/datasets skipped: no --config/);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
  it('grafana write --config adds the Data OPD dashboard of that registry; without --config it keeps the file and says why', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pemda-grafana-write-'));
    try {
      const config = centralWithDatasets(dir);
      const out = join(dir, 'grafana');
      const file = join(out, 'dashboards', `${DATA_OPD_UID}.json`);
      const first = await run(['write', '--config', config, '--out', out]);
      expect(first.code, first.err).toBe(0);
      expect(first.out[0]).toBe(`Data OPD: 2 dataset(s) registered in ${join(dir, 'central.sqlite')}: kualitas-udara, tinggi-muka-air`);
      expect(first.out).toContain(`written   ${file}`);
      expect(readFileSync(file, 'utf8')).toBe(dashboardJson(dataOpd));
      expect((await run(['write', '--config', config, '--out', out])).out.slice(1).every((l) => l.startsWith('unchanged'))).toBe(true);
      const without = await run(['write', '--out', out]);
      expect(without.err).toMatch(/datasets skipped: no --config.*"Data OPD" dashboard \(pemda-data-opd\) is not written \(an existing file is left as it is\)/);
      expect(without.out.every((l) => l.startsWith('unchanged'))).toBe(true);
      expect(existsSync(file)).toBe(true);
      writeFileSync(join(dir, 'other.yaml'), 'registry:\n  db: nowhere/central.sqlite\n');
      const missing = await run(['write', '--config', join(dir, 'other.yaml'), '--out', out]);
      expect(missing.code).toBe(2);
      expect(missing.err).toMatch(/no registry database at .*nowhere\/central\.sqlite/);
      expect(existsSync(join(dir, 'nowhere'))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('every query on a real influxd', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pemda-grafana-influx-'));
  let influxd: Influxd;
  let writer: InfluxWriter | undefined;
  beforeAll(async () => {
    influxd = await Influxd.start(join(dir, 'influx'));
    const influx = new InfluxDB({ host: '127.0.0.1', port: influxd.port, database: 'pemda' });
    const log = pino({ level: 'silent' });
    await ensureInfluxSchema(influx, 'pemda', log);
    const points = samplePoints();
    for (const rp of new Set(points.map((p) => retentionPolicyFor(p.measurement!)))) {
      await influx.writePoints(points.filter((p) => retentionPolicyFor(p.measurement!) === rp), { precision: 'n', retentionPolicy: rp });
    }
    // Dataset rows go in as the central stores them: registered and pushed through the bridge, written by an InfluxWriter.
    writer = new InfluxWriter(influx, { batchSize: 500, flushIntervalMs: 20 }, log);
    const store = new DatasetStore(':memory:');
    const bridge = new DatasetBridge(store, writer, influx, { opds: () => [{ code: 'dlh', zone: 'Asia/Makassar' }, { code: 'dpupr', zone: 'Asia/Makassar' }] }, log);
    const at = (minutesAgo: number) => new Date(Date.now() - minutesAgo * 60_000).toISOString();
    const rows: Record<string, unknown[]> = {
      'kualitas-udara': [{ time: at(30), pm25: 12.5, aqi: 51, station: 'Losari', ok: true }, { time: at(10), pm25: 20, station: 'Tamalanrea', ok: false }],
      'tinggi-muka-air': [{ time: at(20), level: 120.5, debit: 3.25 }, { time: at(5), level: 131 }],
    };
    for (const reg of DATASETS) {
      const registered = bridge.register(reg, 'admin');
      if ('error' in registered) throw new Error(registered.error);
      const pushed = await bridge.ingestDatasetPayload(reg.slug, registered.token, JSON.stringify(rows[reg.slug]), 'application/json');
      expect(pushed.status, JSON.stringify(pushed.body)).toBe(200);
    }
    store.close();
  }, 60_000);
  afterAll(async () => {
    await writer?.close();
    await influxd?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const queries = dashboards.flatMap((d) => [
    ...d.templating.list.map((v) => [`${d.uid} $${v.name}`, v.query] as const),
    ...d.panels.flatMap((p) => targetsOf(p).map((t) => [`${d.uid} "${p.title}" ${t.refId}`, t.query] as const)),
  ]);

  it.each(queries)('%s runs and finds the sample data', async (_name, query) => {
    const rows = await influxd.query('pemda', expand(query));
    expect(rows.length, expand(query)).toBeGreaterThan(0);
  });

  it('filters what the wall should see: only the camera, terminal and clock that need attention', async () => {
    const overview = dashboards[0]!;
    const run = (title: string) => influxd.query('pemda', expand(targetsOf(overview.panels.find((p) => p.title.startsWith(title))!)[0]!.query));
    expect((await run('Kamera bermasalah')).map((r) => [r.camera, r.state])).toEqual([['pintu', 'auth-failed']]);
    expect((await run('Terminal tidak online')).map((r) => [r.terminal, r.state])).toEqual([['x100c', 'error']]);
    expect((await run('Terminal dengan alarm')).map((r) => [r.terminal, r.skew_ms])).toEqual([['x100c', 95000]]);
    const gateways = await run('Status gateway');
    expect(gateways.map((r) => [r.gateway, r.state]).sort()).toEqual([['gw-bpkad', 'offline'], ['gw-dinkes', 'online']]);
  });

  const dataQueries = dataOpd.panels.flatMap((p) => targetsOf(p).map((t) => [`"${p.title}" ${t.refId}`, t.query] as const));

  it.each(dataQueries)('Data OPD %s runs and finds the rows the bridge wrote', async (_name, query) => {
    const rows = await influxd.query('pemda', expand(query));
    expect(rows.length, expand(query)).toBeGreaterThan(0);
  });

  it('Data OPD: the catalog is what InfluxDB holds, and the panels show the newest values and the text rows', async () => {
    for (const [measurement, { fields }] of Object.entries(DATASET_CATALOG)) {
      const keys = await influxd.query('pemda', `SHOW FIELD KEYS FROM "${measurement}"`);
      expect(keys.map((k) => k.fieldKey).sort(), measurement).toEqual([...fields].sort());
      const tags = await influxd.query('pemda', `SHOW TAG KEYS FROM "${measurement}"`);
      expect(tags.map((k) => k.tagKey).sort(), measurement).toEqual([...DATASET_CATALOG[measurement]!.tags].sort());
    }
    const query = (title: string) => influxd.query('pemda', expand(targetsOf(dataOpd.panels.find((p) => p.title === title)!)[0]!.query));
    expect((await query('level (cm) terakhir')).map((r) => r.level)).toEqual([131]);
    expect((await query('debit (m³/s) terakhir')).map((r) => r.debit)).toEqual([3.25]);
    expect((await query('Kualitas Udara: teks dan ya/tidak')).map((r) => [r.station, r.ok])).toEqual([['Losari', true], ['Tamalanrea', false]]);
  });
});

describe('grafana push', () => {
  const generated = new Map<string, unknown>(dashboards.map((d) => [d.uid, d]));

  it.each(['push-create', 'push-update', 'push-unchanged', 'push-401', 'push-403'])('replays %s', async (name) => {
    const rec = loadRecording(`${name}.json`);
    const grafana = await FakeGrafana.start(rec, generated);
    try {
      const { code, out, err } = await run(['push', '--url', grafana.url, '--token', rec.token, ...rec.args]);
      expect(grafana.problems).toEqual([]);
      expect(grafana.unanswered).toBe(0);
      expect(out).toEqual(rec.stdout);
      expect(code, err).toBe(rec.exitCode);
      for (const s of rec.stderrIncludes ?? []) expect(err).toContain(s);
      // The whole generated dashboard goes up, not only the fields the recording checks.
      for (const s of grafana.seen.filter((r) => r.path === '/api/dashboards/db')) {
        const body = s.body as { dashboard: { uid: string } };
        expect(missing(body.dashboard, { ...(generated.get(body.dashboard.uid) as object), id: null })).toBe('');
      }
    } finally {
      await grafana.close();
    }
  });

  describe('with --config: the Data OPD dashboard', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pemda-grafana-push-'));
    const config = centralWithDatasets(dir);
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const base = loadRecording('push-unchanged.json');
    const withDataOpd = new Map([...generated, [DATA_OPD_UID, dataOpd]]);
    const meta = { type: 'db', slug: 'data-opd', url: '/d/pemda-data-opd/data-opd', folderUid: 'pemda-command-center', folderTitle: 'Pemda Command Center', version: 1 };
    const get: Exchange['request'] = { method: 'GET', path: `/api/dashboards/uid/${DATA_OPD_UID}` };
    // Grafana's documented POST /api/dashboards/db: the whole dashboard, id null, the folder, overwrite.
    const save: Exchange = {
      request: { method: 'POST', path: '/api/dashboards/db', body: { dashboard: { id: null, uid: DATA_OPD_UID, title: 'Data OPD', schemaVersion: 39 }, folderUid: 'pemda-command-center', overwrite: true } },
      response: { status: 200, body: { id: 21, uid: DATA_OPD_UID, url: '/d/pemda-data-opd/data-opd', status: 'success', version: 2, slug: 'data-opd' } },
    };
    const older = dataOpdDashboard([DATASETS[1]!]);
    const cases: [string, Exchange[], string][] = [
      ['first push: created', [{ request: get, response: { status: 404, body: { message: 'Dashboard not found' } } }, save], 'created /d/pemda-data-opd/data-opd'],
      ['second push: unchanged, nothing written', [{ request: get, response: { status: 200, body: { dashboard: { $generated: DATA_OPD_UID, id: 21, version: 1 }, meta } } }], 'unchanged'],
      ['after a dataset was registered: the same dashboard updated', [{ request: get, response: { status: 200, body: { dashboard: { ...older, id: 21, version: 1 }, meta } } }, save], 'updated /d/pemda-data-opd/data-opd'],
    ];

    it.each(cases)('%s', async (description, exchanges, outcome) => {
      const rec: Recording = {
        ...base, description, args: [...base.args, '--config', config], exchanges: [...base.exchanges, ...exchanges],
        stdout: [`Data OPD: 2 dataset(s) registered in ${join(dir, 'central.sqlite')}: kualitas-udara, tinggi-muka-air`, ...base.stdout, `dashboard "Data OPD" (${DATA_OPD_UID}): ${outcome}`],
      };
      const grafana = await FakeGrafana.start(rec, withDataOpd);
      try {
        const { code, out, err } = await run(['push', '--url', grafana.url, '--token', rec.token, ...rec.args]);
        expect(grafana.problems).toEqual([]);
        expect(grafana.unanswered).toBe(0);
        expect(out).toEqual(rec.stdout);
        expect(code, err).toBe(0);
        expect(err).toBe('');
        for (const s of grafana.seen.filter((r) => r.path === '/api/dashboards/db')) expect(missing(s.body, { dashboard: { ...dataOpd, id: null } })).toBe('');
      } finally {
        await grafana.close();
      }
    });

    it('without --config pushes what it did before, and says the datasets were skipped and why', async () => {
      const grafana = await FakeGrafana.start(base, generated);
      try {
        const { code, out, err } = await run(['push', '--url', grafana.url, '--token', base.token, ...base.args]);
        expect(grafana.problems).toEqual([]);
        expect(grafana.unanswered).toBe(0);
        expect(grafana.seen.some((r) => r.path.includes(DATA_OPD_UID))).toBe(false);
        expect(out).toEqual(base.stdout);
        expect(code).toBe(0);
        expect(err).toMatch(/datasets skipped: no --config, so the registry that lists them is unknown; the "Data OPD" dashboard \(pemda-data-opd\) is not pushed/);
      } finally {
        await grafana.close();
      }
    });
  });

  it('names the URL when Grafana cannot be reached', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const { code, err } = await run(['push', '--url', `http://127.0.0.1:${port}`, '--token', 't']);
    expect(code).toBe(1);
    expect(err).toContain(`http://127.0.0.1:${port}/`);
    expect(err).toMatch(/cannot reach Grafana/);
  });

  it.each([
    [[], 'missing command'],
    [['frobnicate'], 'unknown command'],
    [['push', '--token', 't'], '--url'],
    [['push', '--url', 'grafana.local:3000', '--token', 't'], 'only http'],
    [['push', '--url', 'not a url', '--token', 't'], 'not a URL'],
    [['push', '--url', 'http://127.0.0.1:3000', '--token', 't', '--datasource-url', 'influxdb'], 'not a URL'],
    [['write', '--bogus'], 'bogus'],
  ])('exits 2 on bad usage: %j', async (args, message) => {
    const { code, err } = await run(args);
    expect(code).toBe(2);
    expect(err).toContain(message);
  });

  it('exits 2 without a token', async () => {
    const saved = process.env.GRAFANA_TOKEN;
    delete process.env.GRAFANA_TOKEN;
    try {
      const { code, err } = await run(['push', '--url', 'http://127.0.0.1:3000']);
      expect(code).toBe(2);
      expect(err).toContain('--token');
    } finally {
      if (saved !== undefined) process.env.GRAFANA_TOKEN = saved;
    }
  });
});
