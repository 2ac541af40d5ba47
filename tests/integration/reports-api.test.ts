import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { InfluxDB, type IPoint } from 'influx';
import { DateTime } from 'luxon';
import { pino } from 'pino';
import { stringify } from 'yaml';
import { Influxd } from '../../scripts/lib/influxd.js';
import { freePort } from '../../scripts/lib/ports.js';
import { recordToPoint } from '../../central/points.js';
import { ensureInfluxSchema } from '../../central/influx-schema.js';
import { Registry } from '../../central/registry.js';
import { RegistrySeed } from '../../central/config.js';
import type { PunchRecord } from '../../protocols/mqtt/payloads.js';
import { reportsPermission, reportsRoute, XLSX_TYPE, type ReportsReply, type ReportsSources } from '../../central/reports/api.js';
import { OfficePerformance, RankedOffice } from '../../central/reports/performance.js';
import { reportMain } from '../../central/reports/cli.js';

/**
 * November 2026 in a real influxd, written as the central writes it (punches in the
 * default policy, health and snapshots in `ops`), then the report routes called
 * directly with a real Registry: dinkes (WITA) and bpkad (WIB), disdik without data.
 */
const ROOT = join(import.meta.dirname, '..', '..');
const WITA = 'Asia/Makassar';
const WIB = 'Asia/Jakarta';
const HOUR = 3_600_000;
const NOW = new Date('2026-12-01T00:00:00Z'); // 08:00 WITA

describe('report API from InfluxDB and the registry', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pemda-reports-api-'));
  let influxd: Influxd;
  let registry: Registry;
  let sources: ReportsSources;
  const asked: [string, number, number][] = [];

  let seq = 0;
  const punch = (employee: string, deviceTime: string, status: string, zone: string): PunchRecord => ({
    seq: ++seq,
    kind: 'punch',
    terminal: 'lobby',
    employee,
    time: DateTime.fromISO(deviceTime, { zone }).toUTC().toISO({ suppressMilliseconds: true }) ?? '',
    deviceTime,
    zone,
    skewMs: null,
    status,
    verify: 'finger',
    receivedAt: DateTime.fromISO(deviceTime, { zone }).toUTC().toISO() ?? '',
  });
  const every = (fromIso: string, toIso: string, stepMs: number): number[] => {
    const out: number[] = [];
    for (let t = Date.parse(fromIso); t < Date.parse(toIso); t += stepMs) out.push(t);
    return out;
  };
  const ns = (ms: number): string => (BigInt(ms) * 1_000_000n).toString();
  const health = (opd: string, gateway: string, ms: number): IPoint => ({ measurement: 'gateway_health', tags: { opd, gateway }, fields: { uptime_s: 60, outbox_depth: 0 }, timestamp: ns(ms) });
  const frame = (opd: string, gateway: string, camera: string, ms: number): IPoint => ({
    measurement: 'snapshot',
    tags: { opd, gateway, camera },
    fields: { kind: 'periodic', bytes: 41_000, width: 640, height: 360 },
    timestamp: ns(ms),
  });
  const get = async (path: string, over: Partial<ReportsSources> = {}): Promise<ReportsReply> => {
    const reply = await reportsRoute({ ...sources, ...over }, { method: 'GET', url: new URL(path, 'http://central') });
    if (!reply) throw new Error(`no reply for ${path}`);
    return reply;
  };

  beforeAll(async () => {
    influxd = await Influxd.start(join(dir, 'influx'));
    const influx = new InfluxDB({ host: '127.0.0.1', port: influxd.port, database: 'pemda' });
    await ensureInfluxSchema(influx, 'pemda', pino({ level: 'silent' }));
    // The test month may lie more than 30 days back when this runs: InfluxDB would drop those points.
    await influx.query('ALTER RETENTION POLICY "ops" ON "pemda" DURATION INF');

    const punches: IPoint[] = [];
    for (let d = 1; d <= 30; d++) {
      const date = `2026-11-${String(d).padStart(2, '0')}`;
      const wd = DateTime.fromISO(date).weekday;
      if (wd >= 6 || date === '2026-11-20') continue; // weekend; the 20th is a holiday below
      const out = wd === 5 ? '11:35:00' : '16:05:00';
      if (date !== '2026-11-12') {
        // dinkes has no punch at all on Thursday the 12th
        for (const r of [punch('1', `${date}T07:20:00`, '0', WITA), punch('1', `${date}T${out}`, '1', WITA)]) punches.push(recordToPoint(r, { opd: 'dinkes', gateway: 'gw-dinkes-01', nipOf: () => null }));
      }
      punches.push(recordToPoint(punch('7', `${date}T07:00:00`, '0', WIB), { opd: 'bpkad', gateway: 'gw-bpkad-01', nipOf: () => null }));
    }
    for (const [date, out] of [['2026-11-02', null], ['2026-11-03', '16:00:00'], ['2026-11-04', '16:00:00']] as const) {
      punches.push(recordToPoint(punch('2', `${date}T07:25:00`, '0', WITA), { opd: 'dinkes', gateway: 'gw-dinkes-01', nipOf: () => null }));
      if (out) punches.push(recordToPoint(punch('2', `${date}T${out}`, '1', WITA), { opd: 'dinkes', gateway: 'gw-dinkes-01', nipOf: () => null }));
    }
    await influx.writePoints(punches, { precision: 'n' });

    // gw-dinkes-01 every 30 min, silent for 72 h from the 10th; gw-bpkad-01 hourly.
    const outage = [Date.parse('2026-11-10T00:00:00Z'), Date.parse('2026-11-13T00:00:00Z')];
    const ops: IPoint[] = [
      ...every('2026-10-31T16:00:00Z', '2026-11-30T16:00:00Z', HOUR / 2)
        .filter((t) => t < outage[0]! || t >= outage[1]!)
        .map((t) => health('dinkes', 'gw-dinkes-01', t)),
      ...every('2026-10-31T17:00:00Z', '2026-11-30T17:00:00Z', HOUR).map((t) => health('bpkad', 'gw-bpkad-01', t + 5 * 60_000)),
      // Cameras: the lobby every hour of the month, the gate from the 16th on.
      ...every('2026-10-31T16:00:00Z', '2026-11-30T16:00:00Z', HOUR).map((t) => frame('dinkes', 'gw-dinkes-01', 'lobby', t + 90_000)),
      ...every('2026-11-16T00:00:00Z', '2026-11-30T16:00:00Z', HOUR).map((t) => frame('dinkes', 'gw-dinkes-01', 'gate', t + 90_000)),
    ];
    await influx.writePoints(ops, { precision: 'n', retentionPolicy: 'ops' });
    // gw-dinkes-02 only in the continuous query's hourly means (as after ops has expired): 36 hours.
    const hourly = every('2026-11-01T00:00:00Z', '2026-11-02T12:00:00Z', HOUR).map((t) => ({ measurement: 'gateway_health_hourly', tags: { opd: 'dinkes', gateway: 'gw-dinkes-02' }, fields: { outbox_depth: 0 }, timestamp: ns(t) }));
    await influx.writePoints(hourly, { precision: 'n', retentionPolicy: 'autogen' });

    const seed = RegistrySeed.parse({
      opds: [
        {
          code: 'dinkes',
          name: 'Dinas Kesehatan',
          zone: WITA,
          gateways: ['gw-dinkes-01', 'gw-dinkes-02'],
          employees: [
            { pin: '1', name: 'Andi Wijaya' },
            { pin: '2', name: 'Sri Lestari' },
          ],
          schedule: { start: '07:30', end: '16:00', friday: { start: '07:30', end: '11:30' }, graceMinutes: 15 },
        },
        { code: 'bpkad', name: 'BPKAD', zone: WIB, gateways: ['gw-bpkad-01'], employees: [{ pin: '7', name: 'Rina' }] },
        { code: 'disdik', name: 'Dinas Pendidikan', zone: WIB },
      ],
    });
    writeFileSync(join(dir, 'registry.yaml'), stringify(seed));
    const holidays = readFileSync(join(ROOT, 'firmware-config/examples/holidays-2026.yaml'), 'utf8');
    writeFileSync(join(dir, 'holidays-2026.yaml'), `${holidays}  - { date: "2026-11-20", name: "Hari Jadi Kabupaten" }\n`);
    registry = new Registry(join(dir, 'registry.db'));
    registry.seed(seed);
    // A roster CSV import after the seed: the report must see it.
    registry.saveEmployees('dinkes', [{ pin: '3', nip: '199203032019031003', name: 'Yohanes Kogoya' }]);

    sources = {
      influx: { url: influxd.url, database: 'pemda' },
      registry,
      seedFile: join(dir, 'registry.yaml'),
      responseTimes: (opd, fromMs, toMs) => {
        asked.push([opd, fromMs, toMs]);
        return opd === 'dinkes' ? [{ seconds: 120 }, { seconds: 600 }, { seconds: null }] : [];
      },
      clock: () => NOW,
      pageSize: 20,
    };
  }, 60_000);

  afterAll(async () => {
    registry?.close();
    await influxd?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('presence as JSON: the registry roster with its CSV import, schedule and holidays from beside the seed', async () => {
    const r = await get('/api/reports/presence?opd=dinkes&month=2026-11');
    expect(r.status).toBe(200);
    expect(r.type).toBeUndefined();
    const body = r.body as { opd: unknown; period: { description: string }; generatedAt: string; holidayFiles: string[]; warnings: string[]; totals: Record<string, number>; employees: { pin: string; name: string; totals: Record<string, number>; days?: unknown }[] };
    expect(body.opd).toEqual({ code: 'dinkes', name: 'Dinas Kesehatan', zone: WITA });
    expect(body.period.description).toBe('November 2026 (2026-11-01 s.d. 2026-11-30)');
    expect(body.generatedAt).toBe('2026-12-01T00:00:00.000Z');
    expect(body.holidayFiles).toEqual(['holidays-2026.yaml']);
    expect(body.warnings).toEqual([]);
    expect(body.employees.map((e) => [e.pin, e.name, e.totals.workDays, e.totals.present, e.totals.absent])).toEqual([
      ['1', 'Andi Wijaya', 20, 19, 1],
      ['2', 'Sri Lestari', 20, 3, 17],
      ['3', 'Yohanes Kogoya', 20, 0, 20],
    ]);
    expect(body.totals).toMatchObject({ employees: 3, workDays: 60, present: 22, absent: 38, missingOut: 1 });
    expect(body.employees[0]?.days).toBeUndefined();
    const detail = (await get('/api/reports/presence?opd=dinkes&day=2026-11-12&detail=true')).body as typeof body;
    expect(detail.employees[0]?.days).toEqual([expect.objectContaining({ date: '2026-11-12', kind: 'workday', absent: true, punches: 0 })]);
  });

  it('presence as CSV and XLSX attachments with the header block', async () => {
    const csv = await get('/api/reports/presence?opd=dinkes&month=2026-11&format=csv');
    expect(csv).toMatchObject({ status: 200, type: 'text/csv; charset=utf-8', headers: { 'Content-Disposition': 'attachment; filename="kehadiran-dinkes-2026-11.csv"' } });
    const lines = String(csv.body).split('\r\n');
    expect(lines.slice(0, 4)).toEqual(['\uFEFFLaporan Kehadiran Pegawai', 'OPD,Dinas Kesehatan (dinkes)', 'Periode,November 2026 (2026-11-01 s.d. 2026-11-30)', 'Dibuat,2026-12-01 08:00:00 WITA (Asia/Makassar)']);
    expect(lines).toContain('Hari libur,holidays-2026.yaml');
    expect(lines).toContain('3,3,199203032019031003,Yohanes Kogoya,20,0,20,0,0,0,0,0,0,0,0,');

    const xlsx = await get('/api/reports/presence?opd=dinkes&week=2026-11-09&format=xlsx');
    expect(xlsx).toMatchObject({ status: 200, type: XLSX_TYPE, headers: { 'Content-Disposition': 'attachment; filename="kehadiran-dinkes-2026-W46.xlsx"' } });
    expect(Buffer.isBuffer(xlsx.body)).toBe(true);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(new Uint8Array(xlsx.body as Buffer).buffer); // exceljs types a Buffer as an ArrayBuffer
    const sum = wb.getWorksheet('Ringkasan')!;
    const row = (n: number) => (sum.getRow(n).values as unknown[]).slice(1);
    expect(row(1)).toEqual(['Laporan Kehadiran Pegawai']);
    expect(row(2)).toEqual(['OPD', 'Dinas Kesehatan (dinkes)']);
    expect(row(3)).toEqual(['Periode', '2026-W46: Senin 9 November 2026 s.d. Minggu 15 November 2026']);
    expect(row(4)).toEqual(['Dibuat', '2026-12-01 08:00:00 WITA (Asia/Makassar)']);
    // Week 46: five workdays, Andi missing only the 12th.
    expect(row(9).slice(3, 7)).toEqual(['Andi Wijaya', 5, 4, 1]);
  });

  it('performance of one office: workdays, uptime, cameras, alert response', async () => {
    const r = await get('/api/reports/performance?opd=dinkes&month=2026-11');
    expect(r.status).toBe(200);
    const p = OfficePerformance.parse(r.body);
    expect(p.workdays).toEqual({ planned: 20, withPunches: 19, share: 0.95, withoutPunches: ['2026-11-12'] });
    expect(p.gateways.window).toEqual({ from: '2026-10-31T16:00:00.000Z', to: '2026-11-30T16:00:00.000Z', hours: 720 });
    expect(p.gateways.list).toEqual([
      { gateway: 'gw-dinkes-01', hoursReported: 648, share: 0.9 },
      { gateway: 'gw-dinkes-02', hoursReported: 36, share: 0.05 },
    ]);
    expect(p.gateways.average).toBe(0.475);
    // Frames older than 30 days before the report time are gone from `ops`: the window starts at 1 Nov 00:00 UTC.
    expect(p.cameras.window).toEqual({ from: '2026-11-01T00:00:00.000Z', to: '2026-11-30T16:00:00.000Z', hours: 712 });
    expect(p.cameras.list).toEqual([
      { gateway: 'gw-dinkes-01', camera: 'gate', hoursWithFrames: 352, share: 0.4944 },
      { gateway: 'gw-dinkes-01', camera: 'lobby', hoursWithFrames: 712, share: 1 },
    ]);
    expect(p.cameras.average).toBe(0.7472);
    expect(p.alerts).toEqual({ count: 3, acknowledged: 2, unacknowledged: 1, medianS: 360, p90S: 600, withinTargetShare: 0.6667 });
    expect(asked).toContainEqual(['dinkes', Date.parse('2026-10-31T16:00:00Z'), Date.parse('2026-11-30T16:00:00Z')]);
    expect(p.score).toBe(0.7097);
  });

  it('ranks every OPD of the registry', async () => {
    const r = await get('/api/reports/performance?month=2026-11');
    expect(r.status).toBe(200);
    const body = r.body as { sort: string; offices: unknown[] };
    const offices = body.offices.map((o) => RankedOffice.parse(o));
    expect(body.sort).toBe('score');
    expect(offices.map((o) => [o.rank, o.opd.code, o.score])).toEqual([
      [1, 'bpkad', 1],
      [2, 'dinkes', 0.7097],
      [3, 'disdik', 0],
    ]);
    // bpkad is WIB: its month starts an hour later in UTC than dinkes'.
    expect(offices[0]?.gateways).toMatchObject({ window: { from: '2026-10-31T17:00:00.000Z', hours: 720 }, average: 1 });
    expect(offices[0]?.workdays).toMatchObject({ planned: 20, withPunches: 20 });
    expect(offices[0]?.cameras).toMatchObject({ list: [], average: null });
    expect(offices[2]).toMatchObject({ workdays: { planned: 20, withPunches: 0, share: 0 }, gateways: { list: [], average: null }, alerts: { count: 0 } });
    const byResponse = (await get('/api/reports/performance?month=2026-11&sort=response')).body as { offices: RankedOffice[] };
    expect(byResponse.offices.map((o) => o.opd.code)).toEqual(['dinkes', 'bpkad', 'disdik']);
  });

  it('400 for bad parameters, 404 for an unknown OPD, 503 when InfluxDB is down; other paths are not its own', async () => {
    const error = async (path: string) => {
      const r = await get(path);
      return { status: r.status, error: (r.body as { error: string }).error };
    };
    expect(await error('/api/reports/presence?opd=dinkes&month=2026-13')).toMatchObject({ status: 400, error: expect.stringContaining('month 2026-13: expected a month YYYY-MM') });
    expect(await error('/api/reports/presence?opd=dinkes&week=2026-11-26')).toMatchObject({ status: 400, error: expect.stringContaining('its week starts on 2026-11-23') });
    expect(await error('/api/reports/presence?opd=dinkes&month=2026-11&day=2026-11-02')).toMatchObject({ status: 400, error: expect.stringContaining('give only one period') });
    expect(await error('/api/reports/presence?opd=dinkes')).toMatchObject({ status: 400, error: expect.stringContaining('give one period') });
    expect(await error('/api/reports/presence?opd=dinkes&month=2026-11&format=pdf')).toMatchObject({ status: 400, error: expect.stringContaining('format') });
    expect(await error('/api/reports/presence?opd=dinkes&month=2026-11&colour=red')).toMatchObject({ status: 400, error: expect.stringContaining('colour') });
    expect(await error('/api/reports/presence?opd=DINKES&month=2026-11')).toMatchObject({ status: 400, error: expect.stringContaining('an OPD code') });
    expect(await error('/api/reports/performance?opd=dinkes&month=2026-11&sort=score')).toMatchObject({ status: 400, error: expect.stringContaining('leave out opd') });
    expect(await error('/api/reports/performance?opd=dishub&month=2026-11')).toMatchObject({ status: 404, error: 'no OPD "dishub" in the registry (OPDs: bpkad, dinkes, disdik)' });
    const dead = { influx: { url: `http://127.0.0.1:${await freePort()}`, database: 'pemda' } };
    const down = await get('/api/reports/presence?opd=dinkes&day=2026-11-02', dead);
    expect(down.status).toBe(503);
    expect((down.body as { error: string }).error).toMatch(/^cannot read punches from InfluxDB http:\/\/127\.0\.0\.1:\d+ \(database pemda\)/);
    expect((await get('/api/reports/performance?month=2026-11', dead)).status).toBe(503);
    expect((await get('/api/reports/performance?opd=dinkes&month=2026-11', { influx: { url: influxd.url, database: 'nosuchdb' } })).status).toBe(502);

    expect(await reportsRoute(sources, { method: 'POST', url: new URL('http://central/api/reports/presence') })).toMatchObject({ status: 405 });
    expect(await reportsRoute(sources, { method: 'GET', url: new URL('http://central/api/reports/other') })).toMatchObject({ status: 404 });
    expect(await reportsRoute(sources, { method: 'GET', url: new URL('http://central/api/state') })).toBeUndefined();
    expect(reportsPermission('GET', '/api/reports/presence')).toBe('reports.read');
    expect(reportsPermission('GET', '/api/reportsx')).toBeUndefined();
  });

  it('the CLI builds the same report from the registry database', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const file = join(dir, 'cli.csv');
    const code = await reportMain(['--opd', 'dinkes', '--month', '2026-11', '--out', file], {
      influxUrl: influxd.url,
      database: 'pemda',
      registrySeedFile: join(dir, 'registry.yaml'),
      registryDb: join(dir, 'registry.db'),
      now: NOW,
      stdout: (l) => out.push(l),
      stderr: (l) => err.push(l),
    });
    expect([code, err]).toEqual([0, []]);
    expect(out.at(-1)).toBe(`dinkes 2026-11: 3 employees, 22 present / 38 absent days, 0 late, 1 without check-out; wrote ${file}`);
    const api = await get('/api/reports/presence?opd=dinkes&month=2026-11&format=csv');
    expect(readFileSync(file, 'utf8')).toBe(api.body);
  });
});
