import { describe, expect, it } from 'vitest';
import type { ApiCamera, ApiGateway, ApiState } from '../../central/web/src/api-types.js';
import { STALE_AFTER_S, cameraTiles, cleanReason, formatDeviceTime, formatSkew, gatewayRows, wallPages, zoneAbbr } from '../../central/web/src/model.js';

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
