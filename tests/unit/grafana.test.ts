import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
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
import { DATASOURCE, type Panel } from '../../central/grafana/model.js';
import { generatedFiles } from '../../central/grafana/provisioning.js';
import { grafanaMain } from '../../central/grafana/cli.js';
import { lintInfluxQL } from '../fixtures/grafana/influxql-lint.js';
import { health, maximalPunch, samplePoints } from '../fixtures/grafana/sample-points.js';
import { FakeGrafana, loadRecording, missing } from '../fixtures/grafana/fake-grafana.js';

/**
 * Dashboards and data source as code, checked without a Grafana (none can be installed
 * here): structure of every dashboard, every query against a real influxd holding
 * points the central's own writers made, the committed provisioning files, and
 * `grafana push` against a fake Grafana replaying recorded API exchanges.
 */
const ROOT = join(import.meta.dirname, '..', '..');
const dashboards = allDashboards();
const targetsOf = (p: Panel) => p.targets ?? [];
const sortedKeys = (o: object | undefined) => Object.keys(o ?? {}).sort();

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

  it.each(dashboards.map((d) => [d.uid, d] as const))('%s: unique ids, panels inside 24 columns and not overlapping', (_uid, d) => {
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
      expect(p.description).not.toBe('');
    }
  });

  it.each(dashboards.map((d) => [d.uid, d] as const))('%s: every query is raw InfluxQL on pemda-influxdb over known fields and tags', (_uid, d) => {
    const variables = new Set(d.templating.list.map((v) => v.name));
    for (const p of d.panels) {
      if (p.type === 'text') continue;
      expect(p.datasource, p.title).toEqual(DATASOURCE);
      expect(targetsOf(p).length, p.title).toBeGreaterThan(0);
      expect(new Set(targetsOf(p).map((t) => t.refId)).size, p.title).toBe(targetsOf(p).length);
      for (const t of targetsOf(p)) {
        expect(t.datasource.uid, p.title).toBe('pemda-influxdb');
        expect(t.rawQuery, p.title).toBe(true);
        expect(t.query, p.title).toMatch(/^SELECT .+ FROM .+$/);
        expect(lintInfluxQL(t.query, MEASUREMENTS, retentionPolicyFor), `${p.title}: ${t.query}`).toEqual([]);
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
      const lines: string[] = [];
      const io = { out: (l: string) => lines.push(l), err: (l: string) => lines.push(l) };
      expect(await grafanaMain(['write', '--out', out], io)).toBe(0);
      for (const [rel, content] of generatedFiles()) expect(readFileSync(join(out, rel), 'utf8')).toBe(content);
      lines.length = 0;
      expect(await grafanaMain(['write', '--out', out], io)).toBe(0);
      expect(lines.every((l) => l.startsWith('unchanged'))).toBe(true);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});

describe('every query on a real influxd', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pemda-grafana-influx-'));
  let influxd: Influxd;
  beforeAll(async () => {
    influxd = await Influxd.start(join(dir, 'influx'));
    const influx = new InfluxDB({ host: '127.0.0.1', port: influxd.port, database: 'pemda' });
    await ensureInfluxSchema(influx, 'pemda', pino({ level: 'silent' }));
    const points = samplePoints();
    for (const rp of new Set(points.map((p) => retentionPolicyFor(p.measurement!)))) {
      await influx.writePoints(points.filter((p) => retentionPolicyFor(p.measurement!) === rp), { precision: 'n', retentionPolicy: rp });
    }
  }, 60_000);
  afterAll(async () => {
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
});

describe('grafana push', () => {
  const generated = new Map<string, unknown>(dashboards.map((d) => [d.uid, d]));
  const run = async (args: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await grafanaMain(args, { out: (l) => out.push(l), err: (l) => err.push(l) });
    return { code, out, err: err.join('\n') };
  };

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
