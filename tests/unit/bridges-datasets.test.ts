import { afterEach, describe, expect, it, vi } from 'vitest';
import { pbkdf2Sync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { IPoint } from 'influx';
import { pino } from 'pino';
import { hashToken } from '../../central/auth/tokens.js';
import { datasetMosquittoFiles, datasetRowsTopic } from '../../central/bridges/dataset-mosquitto.js';
import { BrokerAcl, mosquittoFiles } from '../../central/broker-acl.js';
import { checkJsonRows, DatasetRegistration, parseRowTime, rowSchema, rowsToPoints } from '../../central/bridges/dataset.js';
import { checkCsvRows, detectDelimiter } from '../../central/bridges/dataset-csv.js';
import { datasetSlugOfTopic, ingestMqttDatasetMessage } from '../../central/bridges/mqtt.js';
import { BridgeEvents, DATASET_COALESCE_MS, DatasetBridge, DatasetStore, datasetsPermission, datasetsRoute, type BridgesRequest, type DatasetEvent } from '../../central/bridges/index.js';

const NOW = Date.parse('2026-11-03T02:00:00Z');
const WITA = { zone: 'Asia/Makassar', nowMs: NOW };

const air = DatasetRegistration.parse({
  slug: 'kualitas-udara',
  name: 'Kualitas Udara',
  opd: 'dlh',
  fields: [
    { name: 'pm25', type: 'number', unit: 'µg/m³', min: 0, max: 1000 },
    { name: 'aqi', type: 'integer', optional: true },
    { name: 'station', type: 'string', optional: true },
    { name: 'ok', type: 'boolean', optional: true },
  ],
  staleAfterS: 3600,
});

describe('dataset registration', () => {
  it('refuses reserved, repeated and malformed field names, and bounds on text fields', () => {
    const reg = (fields: unknown[]) => DatasetRegistration.safeParse({ slug: 'x', name: 'X', opd: 'dlh', fields });
    expect(reg([{ name: 'time', type: 'number' }]).error?.issues[0]?.message).toMatch(/reserved/);
    expect(reg([{ name: 'a', type: 'number' }, { name: 'a', type: 'string' }]).error?.issues[0]).toMatchObject({ path: ['fields', 1, 'name'] });
    expect(reg([{ name: 'PM 2.5', type: 'number' }]).success).toBe(false);
    expect(reg([{ name: 'kode', type: 'string', max: 3 }]).error?.issues[0]?.message).toMatch(/number and integer/);
    expect(reg([{ name: 'a', type: 'number', min: 5, max: 1 }]).error?.issues[0]?.message).toMatch(/min is larger/);
    expect(reg([]).success).toBe(false);
    expect(DatasetRegistration.safeParse({ slug: 'Kualitas Udara', name: 'X', opd: 'dlh', fields: [{ name: 'a', type: 'number' }] }).success).toBe(false);
  });
});

describe('row validation', () => {
  it('builds a zod schema from the registration: types, bounds, optional fields, time', () => {
    const schema = rowSchema(air, WITA);
    expect(schema.parse({ pm25: 12.5, aqi: '51', station: 'Pantai Losari', ok: 'ya', time: '2026-11-03 08:00' })).toEqual({
      timeMs: Date.parse('2026-11-03T00:00:00Z'),
      values: { pm25: 12.5, aqi: 51, station: 'Pantai Losari', ok: true },
    });
    expect(schema.parse({ pm25: '7', aqi: null, station: '' })).toEqual({ timeMs: null, values: { pm25: 7 } });
  });

  it('keeps the good rows and says why each bad one was refused', () => {
    const result = checkJsonRows(
      air,
      {
        rows: [
          { pm25: 10, time: '2026-11-03T08:00:00+08:00' },
          { pm25: -1 },
          { aqi: 2.5, station: 3 },
          { pm25: 'banyak', extra: 1 },
          'x',
          { pm25: 11, time: '2026-11-03T12:00:00+08:00' },
          { pm25: 12, time: '1900-01-01' },
        ],
      },
      WITA,
    );
    if ('error' in result) throw new Error(result.error);
    expect(result.rows.map((r) => r.at)).toEqual([1]);
    expect(result.rejected).toBe(6);
    expect(result.errors).toEqual([
      { row: 2, field: 'pm25', message: 'below the minimum 0 µg/m³' },
      { row: 3, field: 'pm25', message: 'missing: this field is required' },
      { row: 3, field: 'aqi', message: 'expected a whole number, e.g. 12' },
      { row: 3, field: 'station', message: 'expected text' },
      { row: 4, field: 'pm25', message: 'expected a number, e.g. 12.5' },
      { row: 4, field: 'extra', message: 'unknown field; this dataset has pm25, aqi, station, ok (and time)' },
      { row: 5, field: null, message: 'a row is an object of field values, e.g. {"pm25": 12.5}' },
      { row: 6, field: 'time', message: expect.stringMatching(/in the future/) },
      { row: 7, field: 'time', message: expect.stringMatching(/before the year 2000/) },
    ]);
    expect(checkJsonRows(air, { data: [] }, WITA)).toMatchObject({ error: expect.stringMatching(/JSON array of rows/) });
  });

  it('reads local times in the OPD zone and offsets as given', () => {
    expect(parseRowTime('2026-11-03T08:00:00+07:00', 'Asia/Makassar', NOW)).toEqual({ ms: Date.parse('2026-11-03T01:00:00Z') });
    expect(parseRowTime('2026-11-03', 'Asia/Jayapura', NOW)).toEqual({ ms: Date.parse('2026-11-02T15:00:00Z') });
    expect(parseRowTime('03/11/2026', 'Asia/Makassar', NOW)).toMatchObject({ error: expect.stringMatching(/not a time/) });
  });
});

describe('CSV rows', () => {
  it('reads a semicolon export with a BOM, decimal commas and a "waktu" column', () => {
    const csv = '\uFEFFWaktu;PM25;AQI;Station\r\n2026-11-03 08:00;12,5;51;"Losari; pantai"\r\n\r\n2026-11-03 09:00;abc;52;Losari\r\n2026-11-03 10:00;;53;\r\n';
    expect(detectDelimiter(csv)).toBe(';');
    const result = checkCsvRows(air, csv, WITA);
    if ('error' in result) throw new Error(result.error);
    expect(result.rows).toEqual([{ at: 2, timeMs: Date.parse('2026-11-03T00:00:00Z'), values: { pm25: 12.5, aqi: 51, station: 'Losari; pantai' } }]);
    expect(result.errors).toEqual([
      { line: 4, field: 'pm25', message: 'expected a number, e.g. 12.5' },
      { line: 5, field: 'pm25', message: 'missing: this field is required' },
    ]);
  });

  it('reads commas and tabs, refuses an unknown header once, and rows with extra cells', () => {
    const comma = checkCsvRows(air, 'pm25,station\n1.5,"A, B"\n2,C,extra\n', WITA);
    expect(comma).toMatchObject({ rows: [{ at: 2, values: { pm25: 1.5, station: 'A, B' } }], errors: [{ line: 3, field: null, message: '3 cells, the header has 2 columns' }] });
    expect(checkCsvRows(air, 'pm25\tok\n3\ttidak\n', WITA)).toMatchObject({ rows: [{ values: { pm25: 3, ok: false } }], errors: [] });
    const header = checkCsvRows(air, 'pm25;suhu\n1;2\n3;4\n', WITA);
    expect(header).toEqual({ rows: [], rejected: 2, errors: [{ line: 1, field: 'suhu', message: 'unknown column; this dataset has pm25, aqi, station, ok (and time)' }] });
    expect(checkCsvRows(air, '', WITA)).toEqual({ error: 'the file is empty: the first line names the fields' });
    // A comma file keeps "1,5" as text, which is not a number: no silent guess.
    expect(checkCsvRows(air, 'pm25,aqi\n"1,5",2\n', WITA)).toMatchObject({ errors: [{ line: 2, field: 'pm25' }] });
  });
});

describe('points', () => {
  it('one measurement per dataset, tagged opd and dataset; rows without time never collide', () => {
    const points = rowsToPoints(air, [
      { at: 1, timeMs: null, values: { pm25: 1 } },
      { at: 2, timeMs: null, values: { pm25: 2 } },
      { at: 3, timeMs: Date.parse('2026-11-03T00:00:00Z'), values: { pm25: 3, ok: true } },
    ], NOW);
    expect(points[0]).toEqual({ measurement: 'dataset_kualitas-udara', tags: { opd: 'dlh', dataset: 'kualitas-udara' }, fields: { pm25: 1 }, timestamp: `${NOW}000000` });
    expect(points[1]!.timestamp).toBe(`${NOW}000001`);
    expect(points[2]!.timestamp).toBe(`${Date.parse('2026-11-03T00:00:00Z')}000000`);
  });
});

describe('dataset routes with a recording sink', () => {
  const dirs: string[] = [];
  const stores: DatasetStore[] = [];
  afterEach(() => {
    vi.useRealTimers();
    for (const s of stores.splice(0)) s.close();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  function setup() {
    const dir = mkdtempSync(join(tmpdir(), 'pemda-datasets-'));
    dirs.push(dir);
    const store = new DatasetStore(join(dir, 'central.sqlite'));
    stores.push(store);
    const written: IPoint[][] = [];
    let failures = 0;
    const sink = {
      write: (points: IPoint[]) => {
        if (failures > 0 && failures--) return Promise.reject(new Error('connect ECONNREFUSED'));
        written.push(points);
        return Promise.resolve();
      },
    };
    const influx = { queryRaw: () => Promise.reject(new Error('not in unit tests')) };
    const events = new BridgeEvents();
    const told: DatasetEvent[] = [];
    events.on('dataset', (e) => told.push(e));
    const bridge = new DatasetBridge(store, sink, influx, { opds: () => [{ code: 'dlh', zone: 'Asia/Makassar' }] }, pino({ level: 'silent' }), () => NOW, events);
    const call = async (method: string, path: string, init: { body?: string; type?: string; authorization?: string; actor?: BridgesRequest['actor'] } = {}) =>
      (await datasetsRoute(bridge, {
        method,
        url: new URL(path, 'http://central'),
        actor: init.actor,
        authorization: init.authorization,
        contentType: init.type,
        body: () => Promise.resolve(init.body ?? ''),
      })) as { status: number; body: Record<string, unknown> & { error?: string }; headers?: Record<string, string> };
    return { bridge, store, written, call, events, told, failNext: () => (failures = 1) };
  }

  it('names the permission each route needs', () => {
    expect(datasetsPermission('POST', '/api/datasets/kualitas-udara/rows')).toBe('dataset-token');
    expect(datasetsPermission('GET', '/api/datasets')).toBe('view');
    expect(datasetsPermission('GET', '/api/datasets/x/latest')).toBe('view');
    expect(datasetsPermission('POST', '/api/datasets')).toBe('datasets.manage');
    expect(datasetsPermission('POST', '/api/datasets/x/token')).toBe('datasets.manage');
    expect(datasetsPermission('GET', '/api/complaints')).toBeUndefined();
  });

  it('registers, returns the token once, stores only its hash and checks it on push', async () => {
    const { call, written, store, failNext } = setup();
    const admin = { username: 'admin' };
    const json = (v: unknown) => ({ body: JSON.stringify(v), type: 'application/json', actor: admin });
    expect((await call('POST', '/api/datasets', json({ ...air, opd: 'bpbd' }))).body.error).toMatch(/no OPD bpbd/);
    const created = await call('POST', '/api/datasets', json(air));
    expect(created.status).toBe(201);
    const token = created.body.token as string;
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect((await call('POST', '/api/datasets', json(air))).status).toBe(409);
    expect(JSON.stringify(store.all())).not.toContain(token);

    const rows = (authorization: string | undefined, body: string, type = 'application/json') => call('POST', '/api/datasets/kualitas-udara/rows', { authorization, body, type });
    const none = await rows(undefined, '[]');
    expect(none.status).toBe(401);
    expect(none.headers?.['WWW-Authenticate']).toMatch(/Bearer/);
    expect((await rows(`Bearer ${'x'.repeat(43)}`, '[{"pm25":1}]')).status).toBe(401);
    expect((await call('POST', '/api/datasets/nope/rows', { authorization: `Bearer ${token}`, body: '[]', type: 'application/json' })).status).toBe(404);
    expect((await rows(`Bearer ${token}`, 'pm25\n1', 'application/xml')).status).toBe(415);
    expect((await rows(`Bearer ${token}`, '[]')).body.error).toBe('no rows in the request');

    const mixed = await rows(`Bearer ${token}`, JSON.stringify([{ pm25: 5, time: '2026-11-03T09:00:00+08:00' }, { pm25: 'x' }]));
    expect(mixed).toMatchObject({ status: 207, body: { accepted: 1, rejected: 1, errors: [{ row: 2, field: 'pm25' }], latestRowAt: '2026-11-03T01:00:00.000Z' } });
    expect(written.flat()).toHaveLength(1);
    expect((await rows(`Bearer ${token}`, 'pm25;aqi\n1;x\n', 'text/csv')).status).toBe(422);
    expect((await rows(`Bearer ${token}`, 'pm25\n2\n', 'text/csv')).status).toBe(200);

    failNext();
    expect((await rows(`Bearer ${token}`, '[{"pm25":3}]')).body.error).toMatch(/nothing was stored; send them again/);

    const listed = (await call('GET', '/api/datasets')).body.datasets as { rowsAccepted: number; rowsRejected: number; latestRowAt: string; stale: boolean }[];
    expect(listed[0]).toMatchObject({ rowsAccepted: 2, rowsRejected: 2, latestRowAt: new Date(NOW).toISOString(), stale: false });

    const rotated = await call('POST', '/api/datasets/kualitas-udara/token', { actor: admin });
    expect((await rows(`Bearer ${token}`, '[{"pm25":1}]')).status).toBe(401);
    expect((await rows(`Bearer ${rotated.body.token as string}`, '[{"pm25":1}]')).status).toBe(200);
  });

  it('takes the same rows over MQTT, token in the payload', async () => {
    const { bridge, call, written } = setup();
    const token = (await call('POST', '/api/datasets', { body: JSON.stringify(air), type: 'application/json', actor: { username: 'admin' } })).body.token as string;
    const topic = 'pemda/v1/$bridge/datasets/kualitas-udara/rows';
    expect(datasetSlugOfTopic(topic, 'pemda/v1')).toBe('kualitas-udara');
    expect(datasetSlugOfTopic('pemda/v1/gw-1/events', 'pemda/v1')).toBeUndefined();
    expect(await ingestMqttDatasetMessage(bridge, topic, Buffer.from(JSON.stringify({ token, rows: [{ pm25: 4 }] })), 'pemda/v1')).toMatchObject({ status: 200, body: { accepted: 1 } });
    expect(await ingestMqttDatasetMessage(bridge, topic, Buffer.from(JSON.stringify({ token, csv: 'pm25;aqi\n4,5;3' })), 'pemda/v1')).toMatchObject({ status: 200 });
    expect(await ingestMqttDatasetMessage(bridge, topic, Buffer.from(JSON.stringify({ token: 'wrong', rows: [] })), 'pemda/v1')).toMatchObject({ status: 401 });
    expect(written.flat().map((p) => p.fields)).toEqual([{ pm25: 4 }, { pm25: 4.5, aqi: 3 }]);
  });

  it('tells the event stream of pushes by HTTP, CSV and MQTT, one event per dataset per window', async () => {
    // Fake timers decide the windows: what is asserted is what was emitted, not how fast.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { bridge, call, told, events } = setup();
    const admin = { username: 'admin' };
    const token = (await call('POST', '/api/datasets', { body: JSON.stringify(air), type: 'application/json', actor: admin })).body.token as string;
    const water = DatasetRegistration.parse({ slug: 'tinggi-air', name: 'Tinggi Air', opd: 'dlh', fields: [{ name: 'level', type: 'number' }] });
    expect((await call('POST', '/api/datasets', { body: JSON.stringify(water), type: 'application/json', actor: admin })).status).toBe(201);
    vi.advanceTimersByTime(DATASET_COALESCE_MS);
    // Registered: no rows yet.
    expect(told).toEqual([
      { slug: 'kualitas-udara', rows: 0, latestAt: null },
      { slug: 'tinggi-air', rows: 0, latestAt: null },
    ]);

    const rows = (body: string, type = 'application/json') => call('POST', '/api/datasets/kualitas-udara/rows', { authorization: `Bearer ${token}`, body, type });
    // A push of 10 000 rows, then a burst of small pushes by every path, within one window.
    const many = Array.from({ length: 10_000 }, (_, i) => ({ pm25: i % 500, time: new Date(NOW - (10_000 - i) * 1000).toISOString() }));
    expect((await rows(JSON.stringify(many))).body).toMatchObject({ accepted: 10_000 });
    for (let i = 0; i < 20; i++) expect((await rows(JSON.stringify([{ pm25: i, time: '2026-11-03T09:00:00+08:00' }]))).status).toBe(200);
    expect((await rows('pm25;aqi\n4,5;3\n5;x\n', 'text/csv')).status).toBe(207);
    expect(await ingestMqttDatasetMessage(bridge, 'pemda/v1/$bridge/datasets/kualitas-udara/rows', Buffer.from(JSON.stringify({ token, rows: [{ pm25: 4 }, { pm25: 5 }] })), 'pemda/v1')).toMatchObject({ status: 200 });
    expect((await rows('[{"pm25":"x"}]')).status).toBe(422);
    // Refused before anything is stored: nothing to tell.
    expect((await rows(`[{"pm25":1}]`, 'application/json')).status).toBe(200);
    expect((await call('POST', '/api/datasets/kualitas-udara/rows', { authorization: `Bearer ${'x'.repeat(43)}`, body: '[{"pm25":1}]', type: 'application/json' })).status).toBe(401);
    expect(told).toHaveLength(2);
    vi.advanceTimersByTime(DATASET_COALESCE_MS);
    expect(told.slice(2)).toEqual([{ slug: 'kualitas-udara', rows: 10_000 + 20 + 1 + 2 + 1, latestAt: new Date(NOW).toISOString() }]);

    // The next window is another event; a window per dataset.
    expect(await ingestMqttDatasetMessage(bridge, 'pemda/v1/$bridge/datasets/kualitas-udara/rows', Buffer.from(JSON.stringify({ token, csv: 'pm25\n7' })), 'pemda/v1')).toMatchObject({ status: 200 });
    vi.advanceTimersByTime(DATASET_COALESCE_MS);
    expect(told.slice(3)).toEqual([{ slug: 'kualitas-udara', rows: 1, latestAt: new Date(NOW).toISOString() }]);
    for (const e of told) expect(Object.keys(e).sort()).toEqual(['latestAt', 'rows', 'slug']);

    // Stopped: what waits in a window is dropped, nothing is emitted afterwards.
    await rows('[{"pm25":8}]');
    events.close();
    vi.advanceTimersByTime(DATASET_COALESCE_MS * 4);
    expect(told).toHaveLength(4);
  });
});

/** Whether a `$7$` hash (Mosquitto 2's PBKDF2-SHA512 password-file form) is of `password`. */
function mosquittoHashOf(password: string, stored: string | null): boolean {
  const [, kind, iterations, salt, hash] = (stored ?? '').split('$');
  if (kind !== '7' || salt === undefined || hash === undefined) return false;
  return pbkdf2Sync(password, Buffer.from(salt, 'base64'), Number(iterations), 64, 'sha512').toString('base64') === hash;
}

describe('dataset tokens for an external Mosquitto', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const tempDb = () => {
    const dir = mkdtempSync(join(tmpdir(), 'pemda-datasets-mosq-'));
    dirs.push(dir);
    return join(dir, 'central.sqlite');
  };

  it('keeps a Mosquitto hash of the token issued at registration and at rotation, and only hashes', () => {
    const store = new DatasetStore(tempDb());
    try {
      expect(store.add(air, 'first-token', 'admin', NOW)).toBe(true);
      const [first] = store.mosquittoHashes();
      expect(first?.slug).toBe('kualitas-udara');
      expect(first?.hash).toMatch(/^\$7\$\d+\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
      expect(mosquittoHashOf('first-token', first!.hash)).toBe(true);
      expect(first?.hash).not.toContain('first-token');
      expect(store.setToken('kualitas-udara', 'second-token', NOW + 1)).toBe(true);
      expect(mosquittoHashOf('second-token', store.mosquittoHashes()[0]!.hash)).toBe(true);
      expect(mosquittoHashOf('first-token', store.mosquittoHashes()[0]!.hash)).toBe(false);
      expect(store.setToken('nope', 'x', NOW)).toBe(false);
      // The hashes never reach what the API lists.
      expect(JSON.stringify(store.all())).not.toMatch(/\$7\$/);
    } finally {
      store.close();
    }
  });

  it('opens a database made before the column existed: datasets and tokens keep working, a rotation makes them exportable', () => {
    const file = tempDb();
    const old = new Database(file);
    // The schema as released before the Mosquitto export.
    old.exec(`CREATE TABLE datasets (
      slug TEXT PRIMARY KEY, name TEXT NOT NULL, opd TEXT NOT NULL, fields TEXT NOT NULL, stale_after_s INTEGER,
      token_hash TEXT NOT NULL, token_set_at INTEGER NOT NULL, created_at INTEGER NOT NULL, created_by TEXT NOT NULL,
      latest_row_at INTEGER, last_push_at INTEGER, rows_accepted INTEGER NOT NULL DEFAULT 0, rows_rejected INTEGER NOT NULL DEFAULT 0
    )`);
    old.prepare('INSERT INTO datasets (slug, name, opd, fields, stale_after_s, token_hash, token_set_at, created_at, created_by, rows_accepted) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run('kualitas-udara', 'Kualitas Udara', 'dlh', JSON.stringify(air.fields), 3600, hashToken('old-token'), NOW, NOW, 'admin', 7);
    old.close();

    const store = new DatasetStore(file);
    try {
      expect(store.get('kualitas-udara')).toMatchObject({ name: 'Kualitas Udara', rowsAccepted: 7, staleAfterS: 3600 });
      expect(store.tokenMatches('kualitas-udara', 'old-token')).toBe(true);
      expect(store.mosquittoHashes()).toEqual([{ slug: 'kualitas-udara', hash: null }]);
      expect(datasetMosquittoFiles('pemda/v1', store.mosquittoHashes())).toEqual({ passwd: '', acl: '', exported: [], skipped: ['kualitas-udara'] });
      expect(store.add(DatasetRegistration.parse({ ...air, slug: 'baru' }), 'new-token', 'admin', NOW)).toBe(true);
      expect(store.setToken('kualitas-udara', 'rotated', NOW + 1)).toBe(true);
      expect(store.tokenMatches('kualitas-udara', 'old-token')).toBe(false);
    } finally {
      store.close();
    }
    // Opening it again (the migration ran once) changes nothing.
    const again = new DatasetStore(file);
    try {
      const hashes = again.mosquittoHashes();
      expect(hashes.map((h) => h.slug)).toEqual(['baru', 'kualitas-udara']);
      expect(mosquittoHashOf('rotated', hashes[1]!.hash)).toBe(true);
      expect(mosquittoHashOf('new-token', hashes[0]!.hash)).toBe(true);
    } finally {
      again.close();
    }
  });

  it('exports each dataset as user dataset.{slug} allowed to publish its rows topic only, and lists those it cannot export', () => {
    const gateways = mosquittoFiles('pemda/v1', { username: 'pemda-central', hash: '$7$101$c2FsdA==$aGFzaA==' }, []);
    const files = datasetMosquittoFiles('pemda/v1', [{ slug: 'kualitas-udara', hash: '$7$101$c2FsdA==$aGFzaA==' }, { slug: 'lama', hash: null }, { slug: 'tinggi-muka-air', hash: '$7$101$czI=$aDI=' }], gateways.acl);
    expect(files.passwd).toBe('dataset.kualitas-udara:$7$101$c2FsdA==$aGFzaA==\ndataset.tinggi-muka-air:$7$101$czI=$aDI=\n');
    expect(files.exported).toEqual(['kualitas-udara', 'tinggi-muka-air']);
    expect(files.skipped).toEqual(['lama']);
    // Every pattern (granted by Mosquitto to every user: the central's state, each gateway's
    // subtree) is denied to each dataset user.
    const denied = ['status', 'events', 'health', 'cmd/result', 'snapshot/+', 'ack', 'cmd'];
    expect(gateways.acl.match(/^pattern /gm)).toHaveLength(denied.length + 1);
    const sections = files.acl.split('\n\n').slice(1).map((s) => s.trim().split('\n'));
    expect(sections).toEqual(['kualitas-udara', 'tinggi-muka-air'].map((slug) => [
      `user dataset.${slug}`,
      `topic write pemda/v1/$bridge/datasets/${slug}/rows`,
      'topic deny pemda/v1/$central/state/#',
      ...denied.map((k) => `topic deny pemda/v1/dataset.${slug}/${k}`),
    ]));
    // The one topic the embedded broker lets this identity publish to, and the central reads.
    const embedded = new BrokerAcl({ auth: 'required', topicRoot: 'pemda/v1', centralPassword: 'x', gatewayHash: () => undefined }, pino({ level: 'silent' }));
    const principal = { role: 'dataset', slug: 'kualitas-udara' } as const;
    expect(embedded.checkPublish(principal, datasetRowsTopic('pemda/v1', 'kualitas-udara'), 100)).toBeUndefined();
    expect(embedded.checkPublish(principal, datasetRowsTopic('pemda/v1', 'tinggi-muka-air'), 100)).toBeDefined();
    expect(embedded.checkSubscribe(principal, datasetRowsTopic('pemda/v1', 'kualitas-udara'))).toBeDefined();
    expect(datasetSlugOfTopic(datasetRowsTopic('pemda/v1', 'kualitas-udara'), 'pemda/v1')).toBe('kualitas-udara');
    expect(files.acl).toContain(`topic write ${datasetRowsTopic('pemda/v1', 'kualitas-udara')}\n`);
  });
});
