import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { advance, ComplaintStateError, NewComplaint, RECEIVED, routeFor, RoutingRules, type Progress } from '../../central/bridges/complaint.js';
import { complaintStats, percentile, spread } from '../../central/bridges/complaint-stats.js';
import { decodePhoto, PHOTO_MAX_BYTES } from '../../central/bridges/photo.js';
import { BridgeEvents, ComplaintStore, complaintsPermission, complaintsRoute, forwardBridgeEvents, type BridgesRequest, type ComplaintEvent, type ComplaintsSources } from '../../central/bridges/index.js';

const T0 = Date.parse('2026-11-02T01:00:00Z');
const MIN = 60_000;
const received: Progress = { ...RECEIVED, state: 'received' };

// The smallest valid JPEG and PNG headers are enough: the type is read from the first bytes.
const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(60, 7)]);
const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(60, 1)]);

describe('complaint state machine', () => {
  it('goes received -> routed -> acknowledged -> closed, keeping who and when', () => {
    const routed = advance(received, { action: 'assign', opd: 'dpupr' }, T0 + MIN, 'rule:jalan-rusak');
    expect(routed.next).toMatchObject({ state: 'routed', opd: 'dpupr', routedAt: T0 + MIN, routedBy: 'rule:jalan-rusak' });
    expect(routed.history.map((h) => h.action)).toEqual(['routed']);
    const acked = advance(routed.next, { action: 'ack', note: 'tim ke lokasi' }, T0 + 10 * MIN, 'admin.dpupr');
    expect(acked.next).toMatchObject({ state: 'acknowledged', acknowledgedAt: T0 + 10 * MIN, acknowledgedBy: 'admin.dpupr', ackNote: 'tim ke lokasi' });
    const closed = advance(acked.next, { action: 'close', note: 'lubang ditambal' }, T0 + 60 * MIN, 'admin.dpupr');
    expect(closed.next).toMatchObject({ state: 'closed', closedAt: T0 + 60 * MIN, closeNote: 'lubang ditambal', acknowledgedAt: T0 + 10 * MIN });
    expect(closed.history.map((h) => h.action)).toEqual(['closed']);
  });

  it('closing a routed complaint acknowledges it at the same moment', () => {
    const routed = advance(received, { action: 'assign', opd: 'dlh' }, T0, 'op').next;
    const { next, history } = advance(routed, { action: 'close', note: 'sampah diangkut' }, T0 + 5 * MIN, 'admin.dlh');
    expect(next).toMatchObject({ state: 'closed', acknowledgedAt: T0 + 5 * MIN, acknowledgedBy: 'admin.dlh', closedAt: T0 + 5 * MIN });
    expect(history.map((h) => h.action)).toEqual(['acknowledged', 'closed']);
    expect(history[0]!.note).toMatch(/implicit/);
  });

  it('refuses what the state does not allow', () => {
    expect(() => advance(received, { action: 'ack' }, T0, 'x')).toThrow(ComplaintStateError);
    expect(() => advance(received, { action: 'close', note: 'done' }, T0, 'x')).toThrow(/assign it to an OPD first/);
    const routed = advance(received, { action: 'assign', opd: 'dlh' }, T0, 'op').next;
    const closed = advance(routed, { action: 'close', note: 'ok' }, T0 + 1, 'a').next;
    for (const step of [{ action: 'ack' }, { action: 'close', note: 'again' }, { action: 'assign', opd: 'dpupr' }] as const) {
      expect(() => advance(closed, step, T0 + 2, 'a')).toThrow(/closed complaint does not change/);
    }
  });

  it('a second acknowledgement and an assignment to the same OPD change nothing', () => {
    const routed = advance(received, { action: 'assign', opd: 'dlh' }, T0, 'op').next;
    const acked = advance(routed, { action: 'ack' }, T0 + MIN, 'first').next;
    expect(advance(acked, { action: 'ack' }, T0 + 2 * MIN, 'second')).toEqual({ next: acked, history: [] });
    expect(advance(acked, { action: 'assign', opd: 'dlh' }, T0 + 2 * MIN, 'op')).toEqual({ next: acked, history: [] });
  });

  it('reassigning makes it routed again for the new OPD, without the old acknowledgement', () => {
    const acked = advance(advance(received, { action: 'assign', opd: 'dlh' }, T0, 'op').next, { action: 'ack' }, T0 + MIN, 'admin.dlh').next;
    const { next, history } = advance(acked, { action: 'assign', opd: 'dpupr', note: 'bukan wewenang DLH' }, T0 + 2 * MIN, 'op');
    expect(next).toMatchObject({ state: 'routed', opd: 'dpupr', routedAt: T0 + 2 * MIN, acknowledgedAt: null, acknowledgedBy: null });
    expect(history).toEqual([{ action: 'reassigned', at: T0 + 2 * MIN, by: 'op', opd: 'dpupr', note: 'bukan wewenang DLH' }]);
  });
});

describe('routing rules', () => {
  const rules = RoutingRules.parse({ rules: [{ category: 'jalan-rusak', opd: 'dpupr' }, { category: '*', opd: 'setda' }, { category: 'Sampah', opd: 'dlh' }] }).rules;

  it('routes by category, then by the fallback', () => {
    expect(routeFor(rules, 'jalan-rusak')?.opd).toBe('dpupr');
    expect(routeFor(rules, 'sampah')?.opd).toBe('dlh');
    expect(routeFor(rules, 'banjir')?.opd).toBe('setda');
    expect(routeFor(rules.filter((r) => r.category !== '*'), 'banjir')).toBeUndefined();
  });

  it('refuses two rules for a category and bad OPD codes', () => {
    const twice = RoutingRules.safeParse({ rules: [{ category: 'sampah', opd: 'dlh' }, { category: 'SAMPAH', opd: 'dpupr' }] });
    expect(twice.success).toBe(false);
    expect(twice.error?.issues[0]).toMatchObject({ path: ['rules', 1, 'category'], message: expect.stringMatching(/two rules/) });
    expect(RoutingRules.safeParse({ rules: [{ category: 'sampah', opd: 'Dinas LH' }] }).success).toBe(false);
  });
});

describe('response-time maths', () => {
  it('interpolates percentiles between ranks (PERCENTILE.INC)', () => {
    expect(percentile([], 0.5)).toBeNull();
    expect(percentile([7], 0.9)).toBe(7);
    expect(percentile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(percentile([10, 20, 30, 40, 50], 0.9)).toBe(46);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9)).toBeCloseTo(9.1, 10);
    expect(spread([300, 60, 120])).toEqual({ count: 3, medianS: 120, p90S: 264 });
  });

  it('counts per OPD from received, leaving open ones out of the percentiles', () => {
    const stats = complaintStats([
      { opd: 'dlh', receivedAt: T0, acknowledgedAt: T0 + 10 * MIN, closedAt: T0 + 60 * MIN },
      { opd: 'dlh', receivedAt: T0, acknowledgedAt: T0 + 20 * MIN, closedAt: null },
      { opd: 'dlh', receivedAt: T0 + MIN, acknowledgedAt: null, closedAt: null },
      { opd: null, receivedAt: T0 + 2 * MIN, acknowledgedAt: null, closedAt: null },
      { opd: 'dpupr', receivedAt: T0, acknowledgedAt: T0 + 30 * MIN, closedAt: T0 + 30 * MIN },
    ]);
    expect(stats.map((s) => s.opd)).toEqual(['dlh', 'dpupr', null]);
    expect(stats[0]).toEqual({
      opd: 'dlh',
      received: 3,
      open: 2,
      oldestOpenSince: new Date(T0).toISOString(),
      acknowledge: { count: 2, medianS: 900, p90S: 1140 },
      close: { count: 1, medianS: 3600, p90S: 3600 },
    });
    expect(stats[2]).toMatchObject({ opd: null, received: 1, open: 1, acknowledge: { count: 0, medianS: null, p90S: null } });
  });
});

describe('complaint input', () => {
  it('needs a location or an address, and a known photo type within 2 MB', () => {
    expect(NewComplaint.safeParse({ category: 'sampah', text: 'menumpuk' }).error?.issues[0]?.message).toMatch(/location.*address/);
    expect(NewComplaint.parse({ category: ' Sampah ', text: ' menumpuk ', address: 'Jl. Merdeka 1' })).toMatchObject({ category: 'sampah', text: 'menumpuk' });
    expect(NewComplaint.safeParse({ category: 'sampah', text: 'x', location: { lat: -95, lon: 0 } }).success).toBe(false);
    expect(decodePhoto(JPEG.toString('base64'))).toMatchObject({ type: 'image/jpeg' });
    expect(decodePhoto(`data:image/png;base64,${PNG.toString('base64')}`)).toMatchObject({ type: 'image/png' });
    expect(decodePhoto(Buffer.from('GIF89a......').toString('base64'))).toEqual({ error: 'photo: not a JPEG or PNG picture' });
    expect(decodePhoto('not*base64')).toMatchObject({ error: expect.stringMatching(/not base64/) });
    const big = Buffer.concat([JPEG, Buffer.alloc(PHOTO_MAX_BYTES)]);
    expect(decodePhoto(big.toString('base64'))).toMatchObject({ error: expect.stringMatching(/at most 2097152/) });
  });
});

describe('complaint routes', () => {
  const dirs: string[] = [];
  const stores: ComplaintStore[] = [];
  afterEach(() => {
    for (const s of stores.splice(0)) s.close();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  function setup() {
    const dir = mkdtempSync(join(tmpdir(), 'pemda-complaints-'));
    dirs.push(dir);
    const store = new ComplaintStore(join(dir, 'central.sqlite'), join(dir, 'photos'));
    stores.push(store);
    let now = T0;
    const events = new BridgeEvents();
    const sources: ComplaintsSources = {
      store,
      registry: { opds: () => ['dlh', 'dpupr', 'setda'].map((code) => ({ code, zone: 'Asia/Makassar' })) },
      log: pino({ level: 'silent' }),
      clock: () => now,
      events,
    };
    // null: nobody authenticated (http.ts would have refused already; the route refuses too).
    const call = async (method: string, path: string, body?: unknown, actor: BridgesRequest['actor'] | null = { username: 'op' }) => {
      const reply = await complaintsRoute(sources, {
        method,
        url: new URL(path, 'http://central'),
        actor: actor ?? undefined,
        contentType: body === undefined ? undefined : 'application/json',
        body: () => Promise.resolve(JSON.stringify(body)),
      });
      return reply as { status: number; body: Record<string, unknown> & { error?: string }; type?: string };
    };
    return { dir, store, call, events, tick: (ms: number) => (now += ms) };
  }

  it('names the permission each route needs', () => {
    expect(complaintsPermission('POST', '/api/complaints')).toBe('complaints.submit');
    expect(complaintsPermission('GET', '/api/complaints')).toBe('complaints.handle');
    expect(complaintsPermission('POST', '/api/complaints/4/close')).toBe('complaints.handle');
    expect(complaintsPermission('PUT', '/api/complaints/routing')).toBe('registry.manage');
    expect(complaintsPermission('GET', '/api/complaints/routing')).toBe('complaints.handle');
    expect(complaintsPermission('GET', '/api/complaintsx')).toBeUndefined();
  });

  it('files, routes by rule, reassigns and refuses with clear 4xx answers', async () => {
    const { call, tick, dir } = setup();
    expect((await call('PUT', '/api/complaints/routing', { rules: [{ category: 'sampah', opd: 'nope' }] })).body.error).toMatch(/no such OPD.*sampah -> nope/);
    expect((await call('PUT', '/api/complaints/routing', { rules: [{ category: 'sampah', opd: 'dlh' }] })).status).toBe(200);

    const filed = await call('POST', '/api/complaints', { category: 'sampah', text: 'Sampah menumpuk', location: { lat: -5.14, lon: 119.42 }, photo: JPEG.toString('base64'), externalId: 'app-1' });
    expect(filed.status).toBe(201);
    expect(filed.body).toMatchObject({ state: 'routed', opd: 'dlh', routed: { by: 'rule:sampah' }, photo: '/api/complaints/1/photo', received: { by: 'op' } });
    expect((await call('POST', '/api/complaints', { category: 'sampah', text: 'Sampah menumpuk', address: 'x', externalId: 'app-1' })).status).toBe(200);
    const photo = await call('GET', '/api/complaints/1/photo');
    expect(photo.type).toBe('image/jpeg');
    expect(Buffer.compare(photo.body as unknown as Buffer, readFileSync(join(dir, 'photos', 'complaint-1.jpg')))).toBe(0);

    const unrouted = await call('POST', '/api/complaints', { category: 'banjir', text: 'Air masuk rumah', address: 'Jl. Sungai 3' });
    expect(unrouted.body).toMatchObject({ id: 2, state: 'received', opd: null, photo: null });
    expect((await call('POST', '/api/complaints/2/ack', {})).status).toBe(409);
    expect((await call('POST', '/api/complaints/2/assign', { opd: 'bpbd' })).body.error).toMatch(/no OPD bpbd/);
    tick(MIN);
    expect((await call('POST', '/api/complaints/2/assign', { opd: 'dpupr' })).body).toMatchObject({ state: 'routed', opd: 'dpupr' });
    expect((await call('POST', '/api/complaints/2/close', {})).status).toBe(400);
    expect((await call('POST', '/api/complaints/9/ack', {})).status).toBe(404);
    expect((await call('GET', '/api/complaints?state=bogus')).status).toBe(400);
    expect((await call('POST', '/api/complaints', { category: 'sampah', text: 'x', address: 'y', photo: 'R0lGODlh' })).body.error).toMatch(/JPEG or PNG/);
    expect((await call('GET', '/api/complaints/1', undefined, null)).status).toBe(401);

    // A user of one OPD sees and handles only its complaints.
    const dlh = { username: 'admin.dlh', opd: 'dlh' };
    expect((await call('GET', '/api/complaints/2', undefined, dlh)).status).toBe(403);
    expect((await call('POST', '/api/complaints/1/assign', { opd: 'dpupr' }, dlh)).status).toBe(403);
    const listed = await call('GET', '/api/complaints?state=all', undefined, dlh);
    expect((listed.body.complaints as { id: number }[]).map((c) => c.id)).toEqual([1]);
    expect((await call('POST', '/api/complaints/1/ack', undefined, dlh)).body).toMatchObject({ state: 'acknowledged', acknowledged: { by: 'admin.dlh', note: null } });

    const one = await call('GET', '/api/complaints/2');
    expect((one.body.history as { action: string }[]).map((h) => h.action)).toEqual(['received', 'routed']);
  });

  it('a user of one OPD reaches no other OPD\'s complaint by any route, and may not route', async () => {
    const { call, tick } = setup();
    await call('PUT', '/api/complaints/routing', { rules: [{ category: 'sampah', opd: 'dlh' }, { category: 'jalan', opd: 'dpupr' }] });
    const ours = (await call('POST', '/api/complaints', { category: 'sampah', text: 'Sampah', address: 'Pasar', photo: JPEG.toString('base64') })).body.id as number;
    const theirs = (await call('POST', '/api/complaints', { category: 'jalan', text: 'Lubang', address: 'Jl. A', photo: PNG.toString('base64') })).body.id as number;
    const unrouted = (await call('POST', '/api/complaints', { category: 'banjir', text: 'Banjir', address: 'Jl. B' })).body.id as number;
    const dlh = { username: 'staf.dlh', opd: 'dlh' };

    for (const id of [theirs, unrouted]) {
      expect((await call('GET', `/api/complaints/${id}`, undefined, dlh)).status).toBe(403);
      expect((await call('GET', `/api/complaints/${id}/photo`, undefined, dlh)).status).toBe(403);
      expect((await call('POST', `/api/complaints/${id}/ack`, {}, dlh)).status).toBe(403);
      expect((await call('POST', `/api/complaints/${id}/close`, { note: 'selesai' }, dlh)).status).toBe(403);
      expect((await call('POST', `/api/complaints/${id}/assign`, { opd: 'dlh' }, dlh)).status).toBe(403);
    }
    // Not even its own complaint may it send elsewhere: routing is the command room's.
    expect((await call('POST', `/api/complaints/${ours}/assign`, { opd: 'dpupr' }, dlh)).body.error).toMatch(/reassigning is for the command room/);
    expect((await call('PUT', '/api/complaints/routing', { rules: [] }, dlh)).status).toBe(403);
    expect((await call('GET', '/api/complaints?state=all&opd=dpupr', undefined, dlh)).status).toBe(403);
    expect((await call('GET', '/api/complaints/stats?opd=dpupr', undefined, dlh)).status).toBe(403);
    const listed = await call('GET', '/api/complaints?state=all', undefined, dlh);
    expect((listed.body.complaints as { id: number }[]).map((c) => c.id)).toEqual([ours]);
    expect((await call('GET', `/api/complaints/${ours}/photo`, undefined, dlh)).type).toBe('image/jpeg');
    expect((await call('GET', `/api/complaints/${theirs}`)).body).toMatchObject({ state: 'routed', acknowledged: null });

    tick(12 * MIN);
    expect((await call('POST', `/api/complaints/${ours}/ack`, { note: 'tim berangkat' }, dlh)).body).toMatchObject({ state: 'acknowledged', acknowledged: { by: 'staf.dlh' } });
    tick(48 * MIN);
    expect((await call('POST', `/api/complaints/${ours}/close`, { note: 'sampah diangkut' }, dlh)).body).toMatchObject({ state: 'closed', closed: { by: 'staf.dlh' } });
    const stats = await call('GET', '/api/complaints/stats', undefined, dlh);
    expect(stats.body.opds).toEqual([{ opd: 'dlh', received: 1, open: 0, oldestOpenSince: null, acknowledge: { count: 1, medianS: 720, p90S: 720 }, close: { count: 1, medianS: 3600, p90S: 3600 } }]);
  });

  it('an OPD user cannot close a complaint the command room reassigned while the request was arriving', async () => {
    const { store, call } = setup();
    await call('PUT', '/api/complaints/routing', { rules: [{ category: 'sampah', opd: 'dlh' }] });
    const id = (await call('POST', '/api/complaints', { category: 'sampah', text: 'Sampah', address: 'Pasar' })).body.id as number;
    const sources = { store, registry: { opds: () => ['dlh', 'dpupr'].map((code) => ({ code, zone: 'Asia/Makassar' })) }, log: pino({ level: 'silent' }), clock: () => T0 };
    const reply = await complaintsRoute(sources, {
      method: 'POST',
      url: new URL(`http://central/api/complaints/${id}/close`),
      actor: { username: 'staf.dlh', opd: 'dlh' },
      contentType: 'application/json',
      // The operator's reassignment lands between the scope check and the body's end.
      body: () => {
        store.apply(id, { action: 'assign', opd: 'dpupr' }, 'op', T0);
        return Promise.resolve(JSON.stringify({ note: 'selesai' }));
      },
    });
    expect(reply).toMatchObject({ status: 403, body: { error: expect.stringMatching(/not assigned to dlh \(any more\)/) } });
    expect(store.get(id)).toMatchObject({ state: 'routed', opd: 'dpupr' });
  });

  it('tells the event stream of each complaint filed or changed: id, state and OPD only', async () => {
    const { call, events } = setup();
    const told: ComplaintEvent[] = [];
    const sse: string[] = [];
    events.on('complaint', (e) => told.push(e));
    const unforward = forwardBridgeEvents(events, (name, body) => sse.push(`${name} ${JSON.stringify(body)}`));
    await call('PUT', '/api/complaints/routing', { rules: [{ category: 'sampah', opd: 'dlh' }] });
    expect(told).toEqual([]);

    const secret = { category: 'sampah', text: 'Rahasia: nomor HP pelapor 0812-3456', address: 'Jl. Rahasia 9', location: { lat: -5.14, lon: 119.42 }, photo: JPEG.toString('base64'), externalId: 'app-7' };
    expect((await call('POST', '/api/complaints', secret)).status).toBe(201);
    // The sender repeating itself files nothing, so nothing is told.
    expect((await call('POST', '/api/complaints', secret)).status).toBe(200);
    expect((await call('POST', '/api/complaints', { category: 'banjir', text: 'Air masuk', address: 'x' })).status).toBe(201);
    await call('POST', '/api/complaints/2/ack', {}); // 409: no OPD yet
    await call('POST', '/api/complaints/2/assign', { opd: 'dpupr', note: 'catatan internal' });
    await call('POST', '/api/complaints/2/assign', { opd: 'dpupr' }); // the same OPD: no change
    await call('POST', '/api/complaints/2/assign', { opd: 'setda' });
    await call('POST', '/api/complaints/2/ack', { note: 'diterima' });
    await call('POST', '/api/complaints/2/ack', {}); // a second acknowledgement keeps the first
    await call('POST', '/api/complaints/2/close', { note: 'selesai' });
    expect(told).toEqual([
      { id: 1, state: 'routed', opd: 'dlh' },
      { id: 2, state: 'received', opd: null },
      { id: 2, state: 'routed', opd: 'dpupr' },
      { id: 2, state: 'routed', opd: 'setda' },
      { id: 2, state: 'acknowledged', opd: 'setda' },
      { id: 2, state: 'closed', opd: 'setda' },
    ]);
    for (const e of told) expect(Object.keys(e).sort()).toEqual(['id', 'opd', 'state']);
    expect(sse[0]).toBe('complaint {"id":1,"state":"routed","opd":"dlh"}');
    expect(sse.join('\n')).not.toMatch(/Rahasia|0812|catatan|diterima|selesai|photo|"op"|"by"|"text"/);

    unforward();
    await call('POST', '/api/complaints', { category: 'sampah', text: 'lagi', address: 'y' });
    expect(told).toHaveLength(7);
    expect(sse).toHaveLength(6);
    events.close();
  });
});
