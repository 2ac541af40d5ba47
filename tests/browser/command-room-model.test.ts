import { afterEach, describe, expect, it } from 'vitest';
import type { ApiAlert, ApiCamera, ApiGateway, ApiState } from '../../central/web/src/api-types.js';
import { AlertBook, alertText, bannerSummary } from '../../central/web/src/alerts-model.js';
import { fitProjection, placeLabels } from '../../central/web/src/geo.js';
import { savedLanguage, setLanguage, t } from '../../central/web/src/i18n.js';
import { en } from '../../central/web/src/lang-en.js';
import { id } from '../../central/web/src/lang-id.js';
import {
  STALE_AFTER_S,
  cameraTiles,
  cleanReason,
  formatDateTime,
  formatDeviceTime,
  formatSkew,
  formatTime,
  gatewayRows,
  officeDots,
  parseOpdDraft,
  wallPages,
  zoneAbbr,
} from '../../central/web/src/model.js';
import {
  choiceOf,
  dayStatus,
  draftFor,
  formatDuration,
  formatHour,
  formatPeriod,
  formatShare,
  mondayOf,
  performancePath,
  periodChoice,
  presencePath,
  reportErrorKey,
  shareSeverity,
} from '../../central/web/src/reports-model.js';

/** The command room's rules, without a browser: staleness, badges, problems first. */
const NOW = Date.parse('2026-11-26T01:00:00.000Z'); // 08:00 WIB

function gateway(id: string, opd: string, over: Partial<ApiGateway> = {}): ApiGateway {
  return { gateway: id, opd, state: 'online', since: null, version: '0.1.0', lastSeenAt: new Date(NOW - 5000).toISOString(), health: null, terminals: {}, cameras: {}, ...over };
}

function camera(gw: string, opd: string, id: string, ageS: number): ApiCamera {
  const capturedAt = new Date(NOW - ageS * 1000).toISOString();
  return { opd, gateway: gw, camera: id, capturedAt, ageS, kind: 'thumb', width: 480, height: 270, bytes: 20_000, url: `/api/cameras/${gw}/${id}/latest.jpg` };
}

function state(gateways: ApiGateway[], opds: ApiState['opds'] = []): ApiState {
  return { at: new Date(NOW).toISOString(), opds, gateways, recentPunches: [] };
}

describe('video wall tiles', () => {
  it(`marks a frame BASI only when older than ${STALE_AFTER_S} s`, () => {
    const s = state([gateway('gw-a', 'a')]);
    const tiles = cameraTiles(s, [camera('gw-a', 'a', 'fresh', STALE_AFTER_S), camera('gw-a', 'a', 'old', STALE_AFTER_S + 1)], NOW);
    expect(tiles.map((t) => [t.camera, t.badges, t.severity])).toEqual([
      ['fresh', [], 'ok'],
      ['old', ['stale'], 'warn'],
    ]);
    expect(tiles[0]!.frame!.src).toBe(`/api/cameras/gw-a/fresh/latest.jpg?v=${encodeURIComponent(tiles[0]!.frame!.capturedAt)}`);
  });

  it('shows the state the gateway reported, the gateway being offline, and cameras with no frame yet', () => {
    const s = state([
      gateway('gw-a', 'a', { cameras: { lobby: { state: 'offline', at: '', reason: 'rtsp://admin:secret@10.0.0.9/s failed' }, door: { state: 'auth-failed', at: '' }, yard: { state: 'stale', at: '' } } }),
      gateway('gw-b', 'b', { state: 'offline', cameras: { gate: { state: 'online', at: '' } } }),
    ]);
    const tiles = cameraTiles(s, [camera('gw-a', 'a', 'lobby', 3), camera('gw-b', 'b', 'gate', 400)], NOW);
    const byCamera = Object.fromEntries(tiles.map((t) => [t.camera, t]));
    expect(byCamera.lobby!.badges).toEqual(['offline']);
    expect(byCamera.lobby!.reason).toBe('rtsp://***@10.0.0.9/s failed');
    expect(byCamera.door!.badges).toEqual(['auth-failed', 'no-frame']);
    expect(byCamera.yard!.badges).toEqual(['frozen', 'no-frame']);
    expect(byCamera.gate!.badges).toEqual(['gateway-offline', 'stale']);
    expect(cameraTiles(s, [], NOW, 'b').map((t) => t.camera)).toEqual(['gate']);
  });

  it('pages 12 tiles at a time and groups each page by OPD', () => {
    const s = state([gateway('gw-a', 'a'), gateway('gw-b', 'b')], [
      { code: 'a', name: 'Dinas A', zone: 'Asia/Jakarta', gateways: ['gw-a'], employees: 1, punchesToday: 0 },
      { code: 'b', name: 'Badan B', zone: 'Asia/Jakarta', gateways: ['gw-b'], employees: 1, punchesToday: 0 },
    ]);
    const cams = [...Array.from({ length: 10 }, (_, i) => camera('gw-a', 'a', `a${String(i).padStart(2, '0')}`, 1)), ...Array.from({ length: 5 }, (_, i) => camera('gw-b', 'b', `b${i}`, 1))];
    const pages = wallPages(cameraTiles(s, cams, NOW));
    expect(pages.map((p) => p.map((g) => [g.opdName, g.tiles.length]))).toEqual([
      [['Badan B', 5], ['Dinas A', 7]],
      [['Dinas A', 3]],
    ]);
  });
});

describe('office health', () => {
  it('puts offline gateways first, then other problems, then healthy ones; lists never-seen gateways', () => {
    const s = state(
      [
        gateway('gw-ok', 'ok'),
        gateway('gw-clock', 'clock', { terminals: { x: { state: 'online', at: '', skewMs: 95_000, clockAlarm: true } } }),
        gateway('gw-down', 'down', { state: 'offline' }),
        gateway('gw-term', 'term', { terminals: { x: { state: 'error', at: '' } } }),
      ],
      [{ code: 'new', name: 'Baru', zone: 'Asia/Jayapura', gateways: ['gw-new'], employees: 0, punchesToday: 0 }],
    );
    const rows = gatewayRows(s, NOW);
    expect(rows.map((r) => [r.gateway, r.severity])).toEqual([
      ['gw-down', 'bad'],
      ['gw-term', 'bad'],
      ['gw-new', 'warn'],
      ['gw-clock', 'warn'],
      ['gw-ok', 'ok'],
    ]);
    expect(rows.find((r) => r.gateway === 'gw-clock')!.problems[0]).toMatchObject({ key: 'problem.clockAlarm', params: { id: 'x', skew: '+95 dtk' } });
  });
});

describe('formatting', () => {
  it('shows terminal times as the terminal did, with WIB/WITA/WIT', () => {
    expect(zoneAbbr('Asia/Makassar')).toBe('WITA');
    expect(formatDeviceTime('2026-11-26T07:58:09', 'Asia/Jakarta', NOW)).toBe('07.58.09 WIB');
    expect(formatDeviceTime('2026-11-25T16:00:00', 'Asia/Jayapura', NOW)).toMatch(/^25 Nov 16\.00\.00 WIT$/);
    expect(formatSkew(-190_000)).toBe('−3 mnt');
    expect(cleanReason('x'.repeat(300))!.length).toBe(160);
  });
});

describe('times in the viewer\'s zone', () => {
  afterEach(() => setLanguage('id'));

  it('carries the zone label, in the language\'s own style', () => {
    expect(formatTime(NOW, 'Asia/Jakarta')).toBe('08.00.00 WIB');
    expect(formatTime(NOW, 'Asia/Makassar')).toBe('09.00.00 WITA');
    expect(formatTime(NOW, 'Asia/Jayapura')).toBe('10.00.00 WIT');
    expect(formatDateTime(NOW - 86_400_000, NOW, 'Asia/Jakarta')).toBe('25 Nov 08.00.00 WIB');
    setLanguage('en');
    expect(formatTime(NOW, 'Asia/Makassar')).toBe('09:00:00 WITA');
    expect(formatSkew(95_000)).toBe('+95 s');
  });

  it('judges "today" in the viewer\'s zone, not UTC', () => {
    // 23:30 UTC on the 25th is already the 26th in Jakarta.
    const late = Date.parse('2026-11-25T23:30:00.000Z');
    expect(formatDateTime(late, NOW, 'Asia/Jakarta')).toBe('06.30.00 WIB');
  });
});

describe('languages', () => {
  it('has every text in English with the same placeholders', () => {
    const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    for (const key of Object.keys(id) as (keyof typeof id)[]) {
      expect(en[key], key).toBeTruthy();
      expect(placeholders(en[key]), key).toEqual(placeholders(id[key]));
    }
  });

  it('starts in Bahasa Indonesia unless English was chosen in this browser', () => {
    const store = (value: string | null) => ({ getItem: () => value });
    expect(savedLanguage(undefined)).toBe('id');
    expect(savedLanguage(store(null))).toBe('id');
    expect(savedLanguage(store('en'))).toBe('en');
    expect(savedLanguage(store('fr'))).toBe('id');
    expect(savedLanguage({ getItem: () => { throw new Error('storage disabled'); } })).toBe('id');
  });
});

function alert(id: number, over: Partial<ApiAlert> = {}): ApiAlert {
  return {
    id,
    kind: 'camera-offline',
    severity: 'warning',
    opd: 'a',
    gateway: 'gw-a',
    device: 'lobby',
    message: { id: `Kamera ${id} offline`, en: `Camera ${id} offline` },
    raisedAt: new Date(NOW - (100 - id) * 1000).toISOString(),
    acknowledgedAt: null,
    acknowledgedBy: null,
    clearedAt: null,
    ...over,
  };
}

describe('alerts', () => {
  it('banner: counts the unacknowledged ones and shows the newest critical one, else the newest', () => {
    expect(bannerSummary([])).toBeUndefined();
    expect(bannerSummary([alert(1), alert(2)])).toMatchObject({ count: 2, critical: false, top: { id: 2 } });
    expect(bannerSummary([alert(1, { severity: 'critical' }), alert(2), alert(3, { severity: 'critical' }), alert(4)])).toMatchObject({ count: 4, critical: true, top: { id: 3 } });
    expect(alertText(alert(5), 'en')).toBe('Camera 5 offline');
    expect(alertText(alert(5), 'id')).toBe('Kamera 5 offline');
  });

  it('keeps open alerts current from stream events, unacknowledged and critical first', () => {
    const book = new AlertBook();
    book.setOpen([alert(1), alert(2, { severity: 'critical' })], book.mark());
    expect(book.open().map((a) => a.id)).toEqual([2, 1]);
    expect(book.apply('alert-raised', alert(3))?.id).toBe(3); // new: the caller sounds a tone
    expect(book.apply('alert-raised', alert(3))).toBeUndefined(); // the same event twice: once
    book.apply('alert-acknowledged', alert(2, { severity: 'critical', acknowledgedAt: new Date(NOW).toISOString(), acknowledgedBy: 'budi' }));
    expect(book.open().map((a) => a.id)).toEqual([3, 1, 2]);
    expect(book.unacknowledged().map((a) => a.id)).toEqual([3, 1]);
    book.apply('alert-cleared', alert(1, { clearedAt: new Date(NOW).toISOString() }));
    expect(book.open().map((a) => a.id)).toEqual([3, 2]);
    expect(book.recent().map((a) => a.id)).toEqual([3, 2, 1]);
  });

  it('does not let a fetch that started before an event undo it', () => {
    const book = new AlertBook();
    const mark = book.mark();
    book.apply('alert-raised', alert(7));
    book.setOpen([alert(1)], mark); // answered without alert 7: it was raised meanwhile
    expect(book.open().map((a) => a.id).sort()).toEqual([1, 7]);
    book.setOpen([alert(1)], book.mark()); // a fetch after it is the truth
    expect(book.open().map((a) => a.id)).toEqual([1]);
  });
});

describe('office map', () => {
  const frame = { width: 1600, height: 380, pad: 40 };

  it('fits the offices into the frame with north up, east right and one scale for both axes', () => {
    const points = [
      { lat: -5.10, lon: 119.40 },
      { lat: -5.20, lon: 119.50 },
      { lat: -5.15, lon: 119.45 },
    ];
    const p = fitProjection(points, frame);
    const [nw, se, mid] = points.map((x) => p.project(x));
    expect(nw!.x).toBeLessThan(se!.x);
    expect(nw!.y).toBeLessThan(se!.y);
    expect(mid!.x).toBeCloseTo(800, 5);
    expect(mid!.y).toBeCloseTo(190, 5);
    // The tighter axis (latitude, 0.1 degree into 300 px) fills the frame within its padding.
    expect(se!.y - nw!.y).toBeCloseTo(300, 5);
    // Longitude is scaled by cos(latitude): 0.1 degree east is a little narrower than 0.1 degree north.
    expect((se!.x - nw!.x) / (se!.y - nw!.y)).toBeCloseTo(Math.cos((5.15 * Math.PI) / 180), 5);
    const eps = 1e-6;
    for (const q of [nw!, se!]) {
      expect(q.x).toBeGreaterThanOrEqual(frame.pad - eps);
      expect(q.x).toBeLessThanOrEqual(frame.width - frame.pad + eps);
      expect(q.y).toBeGreaterThanOrEqual(frame.pad - eps);
      expect(q.y).toBeLessThanOrEqual(frame.height - frame.pad + eps);
    }
  });

  it('puts a single office (or offices at one spot) in the middle', () => {
    const p = fitProjection([{ lat: -6.2, lon: 106.8 }], frame);
    expect(p.project({ lat: -6.2, lon: 106.8 })).toEqual({ x: 800, y: 190 });
  });

  it('places labels where they do not cover each other', () => {
    const requests = [
      { x: 400, y: 200, width: 100, height: 20 },
      { x: 400, y: 215, width: 100, height: 20 }, // just below: right of it is the first label, so it goes left
      { x: 1590, y: 100, width: 100, height: 20 }, // at the right edge: goes left
      { x: 800, y: 300, width: 100, height: 20 }, // alone: right of its dot
    ];
    expect(placeLabels(requests, frame, 9).map((p) => p.anchor)).toEqual(['start', 'end', 'end', 'start']);
  });

  it('colours each office by its worst gateway state and keeps offices without coordinates', () => {
    const s = state(
      [gateway('gw-a1', 'a'), gateway('gw-a2', 'a', { state: 'offline' }), gateway('gw-b', 'b')],
      [
        { code: 'a', name: 'Dinas A', zone: 'Asia/Jakarta', location: { lat: -6.2, lon: 106.8 }, gateways: ['gw-a1', 'gw-a2'], employees: 1, punchesToday: 0 },
        { code: 'b', name: 'Badan B', zone: 'Asia/Jakarta', location: null, gateways: ['gw-b'], employees: 1, punchesToday: 0 },
        { code: 'c', name: 'Camat C', zone: 'Asia/Jakarta', gateways: ['gw-c'], employees: 1, punchesToday: 0 },
        { code: 'd', name: 'Dinas D', zone: 'Asia/Jakarta', location: { lat: -6.3, lon: 106.9 }, gateways: [], employees: 1, punchesToday: 0 },
      ],
    );
    expect(officeDots(s, NOW).map((d) => [d.code, d.severity, d.online, d.total, d.location !== null])).toEqual([
      ['b', 'ok', 1, 1, false],
      ['c', 'warn', 0, 1, false], // registered, never connected
      ['a', 'bad', 1, 2, true],
      ['d', 'none', 0, 0, true],
    ]);
  });
});

describe('OPD form', () => {
  const draft = { code: 'dinkes', isNew: false, name: ' Dinas Kesehatan ', zone: 'Asia/Makassar', lat: '', lon: '' };

  it('sends what the central accepts, decimal commas included', () => {
    expect(parseOpdDraft(draft)).toEqual({ ok: true, code: 'dinkes', body: { name: 'Dinas Kesehatan', zone: 'Asia/Makassar', location: null } });
    expect(parseOpdDraft({ ...draft, lat: '-5,1477', lon: '119.4327' })).toMatchObject({ ok: true, body: { location: { lat: -5.1477, lon: 119.4327 } } });
  });

  it('names each mistake', () => {
    expect(parseOpdDraft({ ...draft, code: 'Dinas Kesehatan', name: ' ' })).toEqual({ ok: false, errors: ['admin.errCode', 'admin.errName'] });
    expect(parseOpdDraft({ ...draft, lat: '-5.1' })).toEqual({ ok: false, errors: ['admin.errPair'] });
    expect(parseOpdDraft({ ...draft, lat: '-95', lon: 'timur' })).toEqual({ ok: false, errors: ['admin.errLat', 'admin.errLon'] });
    expect(t('admin.errPair')).toBe('Isi lintang dan bujur, atau kosongkan keduanya.');
  });
});

describe('reports', () => {
  afterEach(() => setLanguage('id'));

  it('asks for the period the form says, a week by its Monday, and names a typo before asking', () => {
    expect(mondayOf('2026-11-26')).toBe('2026-11-23'); // Thursday
    expect(mondayOf('2026-11-23')).toBe('2026-11-23');
    expect(mondayOf('2026-11-29')).toBe('2026-11-23'); // Sunday ends the week
    expect(mondayOf('2026-03-01')).toBe('2026-02-23');
    const draft = draftFor('2026-11-26');
    expect(draft).toEqual({ kind: 'month', month: '2026-11', week: '2026-11-23', day: '2026-11-26' });
    expect(periodChoice(draft)).toEqual({ ok: true, choice: { param: 'month', value: '2026-11' } });
    expect(periodChoice({ ...draft, kind: 'week', week: '2026-11-27' })).toEqual({ ok: true, choice: { param: 'week', value: '2026-11-23' } });
    expect(periodChoice({ ...draft, kind: 'day' })).toEqual({ ok: true, choice: { param: 'day', value: '2026-11-26' } });
    expect(periodChoice({ ...draft, month: '2026-13' })).toEqual({ ok: false, error: 'rep.errMonth' });
    expect(periodChoice({ ...draft, kind: 'day', day: '2026-02-30' })).toEqual({ ok: false, error: 'rep.errDate' });
    expect(periodChoice({ ...draft, kind: 'week', week: '' })).toEqual({ ok: false, error: 'rep.errDate' });
  });

  it('builds the report addresses, downloads from the period the central answered with', () => {
    const choice = { param: 'month', value: '2026-11' } as const;
    expect(presencePath('dinkes', choice)).toBe('/api/reports/presence?opd=dinkes&month=2026-11');
    expect(presencePath('dinkes', choice, { detail: true })).toBe('/api/reports/presence?opd=dinkes&month=2026-11&detail=true');
    expect(presencePath('dinkes', { param: 'week', value: '2026-11-23' }, { format: 'xlsx' })).toBe('/api/reports/presence?opd=dinkes&week=2026-11-23&format=xlsx');
    expect(choiceOf({ kind: 'month', from: '2026-11-01', to: '2026-11-30', label: '2026-11' })).toEqual(choice);
    expect(choiceOf({ kind: 'week', from: '2026-11-23', to: '2026-11-29', label: '2026-W48' })).toEqual({ param: 'week', value: '2026-11-23' });
    expect(performancePath('2026-11', { sort: 'response' })).toBe('/api/reports/performance?month=2026-11&sort=response');
    expect(performancePath('2026-11', { opd: 'dinkes' })).toBe('/api/reports/performance?month=2026-11&opd=dinkes');
  });

  it('formats shares, durations and periods for id-ID and English', () => {
    expect(formatShare(0.875)).toBe('87,5%');
    expect(formatShare(1)).toBe('100%');
    expect(formatShare(null)).toBe('—');
    expect([0.95, 0.8, 0.2, null].map(shareSeverity)).toEqual(['ok', 'warn', 'bad', 'none']);
    expect(formatDuration(45)).toBe('45 dtk');
    expect(formatDuration(252.4)).toBe('4 mnt 12 dtk');
    expect(formatDuration(600)).toBe('10 mnt');
    expect(formatDuration(3900)).toBe('1 jam 5 mnt');
    expect(formatDuration(null)).toBe('—');
    expect(formatPeriod({ kind: 'month', from: '2026-11-01', to: '2026-11-30' })).toBe('November 2026');
    expect(formatPeriod({ kind: 'week', from: '2026-11-23', to: '2026-11-29' })).toBe('Minggu 23 Nov s.d. 29 Nov 2026');
    expect(formatHour('2026-11-01T00:00:00Z', 'Asia/Makassar')).toBe('1 Nov 08.00 WITA');
    setLanguage('en');
    expect(formatShare(0.875)).toBe('87.5%');
    expect(formatDuration(252)).toBe('4 min 12 s');
    expect(formatPeriod({ kind: 'day', from: '2026-11-26', to: '2026-11-26' })).toMatch(/^Thursday,? 26 November 2026$/); // the comma differs between ICU versions
    expect(formatPeriod({ kind: 'week', from: '2026-11-23', to: '2026-11-29' })).toBe('Week 23 Nov to 29 Nov 2026');
  });

  it('says what a day was, as the report files do', () => {
    const day = { date: '2026-11-26', kind: 'workday', future: false, pending: false, in: '07:50:00', out: '16:05:00', punches: 2, present: true, absent: false, lateMinutes: 0, earlyLeaveMinutes: 0, missingIn: false, missingOut: false, offDayPresence: false } as const;
    expect(dayStatus(day, true)).toEqual({ key: 'rep.st.present', severity: 'ok' });
    expect(dayStatus({ ...day, lateMinutes: 20 }, true)).toEqual({ key: 'rep.st.present', severity: 'warn' });
    expect(dayStatus({ ...day, present: false, absent: true, punches: 0 }, true)).toEqual({ key: 'rep.st.absent', severity: 'bad' });
    expect(dayStatus({ ...day, present: false, pending: true, punches: 0 }, true)).toEqual({ key: 'rep.st.notYet', severity: 'warn' });
    expect(dayStatus({ ...day, present: false, pending: true, punches: 0 }, false)).toBeNull();
    expect(dayStatus({ ...day, kind: 'holiday', present: false, offDayPresence: true }, true)?.key).toBe('rep.st.offDay');
    expect(dayStatus({ ...day, future: true }, true)?.key).toBe('rep.st.future');
  });

  it('turns every failure into a sentence that says what to do', () => {
    expect([0, 400, 403, 404, 500, 502, 503, 418].map((s) => reportErrorKey(s, false))).toEqual([
      'rep.err.network',
      'rep.err.400',
      'rep.err.403',
      'rep.err.404',
      'rep.err.500',
      'rep.err.502',
      'rep.err.503',
      'rep.err.other',
    ]);
    expect(reportErrorKey(0, true)).toBe('rep.err.timeout');
    expect(t('rep.err.503', { error: 'connect ECONNREFUSED' })).toMatch(/^InfluxDB tidak terjangkau: .*Rincian: connect ECONNREFUSED$/);
  });
});
