import { afterEach, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { z } from 'zod';
import { LiveState } from '../../central/live-state.js';
import { Registry } from '../../central/registry.js';
import { RegistrySeed } from '../../central/config.js';
import { AlertEngine, AlertError, AlertsConfig, type Alert, type AlertSources } from '../../central/alerts/index.js';
import type { EventRecord, Health } from '../../protocols/mqtt/payloads.js';

// LiveState stamps births and records with `new Date()`; only Date is faked, so the
// rules see one consistent clock while real timers still run.

const log = pino({ level: 'silent' });
const S = 1000;
/** Thursday 26 Nov 2026, 08:00 WITA / 07:00 WIB: before the no-punches check. */
const T0 = Date.parse('2026-11-26T00:00:00.000Z');
const iso = (ms: number): string => new Date(ms).toISOString();

type OpdSeed = z.input<typeof RegistrySeed>['opds'];
const DINKES = { code: 'dinkes', name: 'Dinas Kesehatan', zone: 'Asia/Makassar', gateways: ['gw-dinkes'] };
const BAPPEDA = { code: 'bappeda', name: 'Bappeda', zone: 'Asia/Jakarta', gateways: ['gw-bappeda'] };

interface Fixture {
  file: string;
  registry: Registry;
  live: LiveState;
  engine: AlertEngine;
  events: { event: string; alert: Alert }[];
  /** A central restart: a new engine on the same file, an empty LiveState. */
  restart(extra?: Partial<AlertSources>): Promise<void>;
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  vi.useRealTimers();
});

function now(ms: number): number {
  vi.setSystemTime(ms);
  return ms;
}

function fixture(opds: OpdSeed = [DINKES], config: z.input<typeof AlertsConfig> = {}, options: { changeDelayMs?: number } = {}): Fixture {
  vi.useFakeTimers({ toFake: ['Date'] });
  now(T0);
  const dir = mkdtempSync(join(tmpdir(), 'pemda-alerts-'));
  const file = join(dir, 'central.sqlite');
  const registry = new Registry(file);
  registry.seed(RegistrySeed.parse({ opds }));
  const cfg = AlertsConfig.parse(config);
  const make = (live: LiveState, extra: Partial<AlertSources> = {}) => {
    const engine = new AlertEngine(file, cfg, { live, registry, ...extra }, log, options);
    for (const event of ['raised', 'cleared', 'acknowledged'] as const) engine.on(event, (alert) => f.events.push({ event, alert }));
    return engine;
  };
  const live = new LiveState();
  const f: Fixture = {
    file,
    registry,
    live,
    engine: undefined as unknown as AlertEngine,
    events: [],
    async restart(extra) {
      await f.engine.stop();
      f.live = new LiveState();
      f.engine = make(f.live, extra);
    },
  };
  f.engine = make(live);
  cleanups.push(async () => {
    await f.engine.stop();
    registry.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return f;
}

let seq = 0;
type NewRecord = EventRecord extends infer R ? (R extends EventRecord ? Omit<R, 'seq'> : never) : never;
const records = (live: LiveState, gw: string, opd: string, ...rs: NewRecord[]) => live.onRecords(gw, opd, rs.map((r) => ({ ...r, seq: ++seq }) as EventRecord));

function health(over: Partial<Health> = {}): Health {
  return {
    v: 1,
    at: iso(Date.now()),
    uptimeS: 3600,
    cpu: { load1: 0.2, cores: 4 },
    memory: { rssBytes: 50e6, freeBytes: 1e9, totalBytes: 2e9 },
    disk: { freeBytes: 50e9, totalBytes: 100e9 },
    outbox: { depth: 0, oldestAgeS: null, lastAckedSeq: 0, bytes: 0, budgetBytes: 1e9, budget: 'ok', droppedHealth: 0 },
    ...over,
  };
}
const birth = (live: LiveState, gw: string, opd: string) =>
  live.onStatus(gw, opd, { v: 1, state: 'online', bdSeq: 1, version: '1.0.0', configHash: '0'.repeat(64), startedAt: iso(Date.now()), ackedSeq: 0, clockOffsetMs: null, terminals: [], cameras: [] });
const death = (live: LiveState, gw: string, opd: string) => live.onStatus(gw, opd, { v: 1, state: 'offline', bdSeq: 1 });
const online = (live: LiveState, gw: string, opd: string, over: Partial<Health> = {}) => {
  birth(live, gw, opd);
  live.onHealth(gw, opd, health(over));
};
const summary = (alerts: readonly Alert[]) => alerts.map((a) => `${a.kind} ${a.gateway ?? a.opd}${a.device ? `/${a.device}` : ''}`);
const camHealth = (id: string, state: 'online' | 'offline' | 'auth-failed' | 'stale' | 'unknown') => ({ id, state, latencyMs: 120, thumbBytes: 15_000, source: 'snapshot-uri' as const });
const frame = (camera: string, capturedAt: number) =>
  ({ camera, capturedAt: iso(capturedAt), kind: 'thumb', bytes: 15_000, width: 480, height: 270, sha256: '0'.repeat(64), source: 'snapshot-uri' }) as const;

describe('alert rules', () => {
  it('gives a gateway not heard of since start the offline threshold before raising, then clears when it reports', () => {
    const f = fixture([DINKES, BAPPEDA]);
    expect(f.engine.evaluate(T0 + 120 * S).raised).toEqual([]);
    const { raised } = f.engine.evaluate(T0 + 121 * S);
    expect(summary(raised)).toEqual(['gateway-offline gw-bappeda', 'gateway-offline gw-dinkes']);
    expect(raised[1]).toMatchObject({ severity: 'critical', opd: 'dinkes', device: null, raisedAt: iso(T0 + 121 * S), acknowledgedAt: null, acknowledgedBy: null, clearedAt: null });
    expect(raised[1]!.message.id).toBe('Gateway gw-dinkes (Dinas Kesehatan) belum mengirim data sejak server pusat menyala 2 menit lalu');
    expect(raised[1]!.message.en).toBe('Gateway gw-dinkes (Dinas Kesehatan) has sent nothing since the central started 2 min ago');

    now(T0 + 130 * S);
    online(f.live, 'gw-dinkes', 'dinkes');
    const { cleared } = f.engine.evaluate(T0 + 130 * S);
    expect(cleared.map((a) => [a.id, a.clearedAt])).toEqual([[raised[1]!.id, iso(T0 + 130 * S)]]);
    expect(summary(f.engine.open())).toEqual(['gateway-offline gw-bappeda']);
    expect(f.events.map((e) => `${e.event} ${e.alert.gateway}`)).toEqual(['raised gw-bappeda', 'raised gw-dinkes', 'cleared gw-dinkes']);
  });

  it('raises gateway-offline on the Last Will at once, once while open, and a relapse is a new alert', () => {
    const f = fixture();
    death(f.live, 'gw-dinkes', 'dinkes');
    const [first] = f.engine.evaluate(T0 + S).raised;
    expect(first?.message.en).toBe('Gateway gw-dinkes (Dinas Kesehatan) offline since 26-11 08:00 WITA');
    expect(f.engine.evaluate(T0 + 2 * S).raised).toEqual([]);
    expect(f.engine.open()).toHaveLength(1);

    now(T0 + 60 * S);
    online(f.live, 'gw-dinkes', 'dinkes');
    expect(f.engine.evaluate(T0 + 60 * S).cleared.map((a) => a.id)).toEqual([first!.id]);
    now(T0 + 90 * S);
    death(f.live, 'gw-dinkes', 'dinkes');
    const [second] = f.engine.evaluate(T0 + 90 * S).raised;
    expect(second!.id).not.toBe(first!.id);
    expect(f.engine.recent(10).map((a) => [a.id, a.clearedAt])).toEqual([
      [second!.id, null],
      [first!.id, iso(T0 + 60 * S)],
    ]);
    expect(f.engine.get(first!.id)?.clearedAt).toBe(iso(T0 + 60 * S));
  });

  it('raises gateway-offline when an online gateway is silent for longer than the threshold', () => {
    const f = fixture([DINKES, BAPPEDA]);
    online(f.live, 'gw-dinkes', 'dinkes');
    online(f.live, 'gw-bappeda', 'bappeda');
    now(T0 + 100 * S);
    f.live.onHealth('gw-bappeda', 'bappeda', health());
    expect(f.engine.evaluate(T0 + 120 * S).raised).toEqual([]);
    const { raised } = f.engine.evaluate(T0 + 121 * S);
    expect(summary(raised)).toEqual(['gateway-offline gw-dinkes']);
    expect(raised[0]!.message.id).toBe('Gateway gw-dinkes (Dinas Kesehatan) tidak mengirim data selama 2 menit');
  });

  it('judges silence by when reports arrive, not by the gateway clock', () => {
    const f = fixture();
    birth(f.live, 'gw-dinkes', 'dinkes');
    // The gateway clock is 10 min slow: every report looks old when it arrives.
    for (let t = 0; t <= 600; t += 60) {
      now(T0 + t * S);
      f.live.onHealth('gw-dinkes', 'dinkes', health({ at: iso(Date.now() - 600 * S) }));
    }
    expect(f.engine.evaluate(T0 + 600 * S).raised).toEqual([]);
    expect(summary(f.engine.evaluate(T0 + 721 * S).raised)).toEqual(['gateway-offline gw-dinkes']);
  });

  it('raises data-stale when an online gateway sends records but no health, and clears on a fresh report', () => {
    const f = fixture([DINKES, BAPPEDA]);
    online(f.live, 'gw-dinkes', 'dinkes');
    birth(f.live, 'gw-bappeda', 'bappeda');
    for (let t = 60; t <= 300; t += 60) {
      now(T0 + t * S);
      records(f.live, 'gw-dinkes', 'dinkes', { kind: 'terminal_status', terminal: 't1', state: 'online', at: iso(Date.now()) });
      records(f.live, 'gw-bappeda', 'bappeda', { kind: 'terminal_status', terminal: 't1', state: 'online', at: iso(Date.now()) });
    }
    expect(f.engine.evaluate(T0 + 300 * S).raised).toEqual([]);
    const { raised } = f.engine.evaluate(T0 + 301 * S);
    expect(summary(raised)).toEqual(['data-stale gw-bappeda', 'data-stale gw-dinkes']);
    expect(raised.every((a) => a.severity === 'warning')).toBe(true);
    expect(raised[0]!.message.en).toBe('Gateway gw-bappeda (Bappeda) is online but sent no health report in 5 min');
    expect(raised[1]!.message.en).toBe('Health data of gateway gw-dinkes (Dinas Kesehatan) is stale: last report 5 min ago');

    now(T0 + 310 * S);
    f.live.onHealth('gw-dinkes', 'dinkes', health());
    expect(summary(f.engine.evaluate(T0 + 310 * S).cleared)).toEqual(['data-stale gw-dinkes']);
  });

  it('raises camera-offline from a camera state or an old frame, and clears on the newer word', () => {
    const f = fixture();
    online(f.live, 'gw-dinkes', 'dinkes', { cameras: [camHealth('cam1', 'online')] });
    f.live.onSnapshot('gw-dinkes', 'dinkes', frame('cam1', T0));
    now(T0 + 10 * S);
    records(f.live, 'gw-dinkes', 'dinkes', { kind: 'camera_status', camera: 'cam1', state: 'auth-failed', reason: 'HTTP 401 from the snapshot URI', at: iso(T0 + 10 * S) });
    const [authFailed] = f.engine.evaluate(T0 + 10 * S).raised;
    expect(authFailed).toMatchObject({ kind: 'camera-offline', severity: 'warning', gateway: 'gw-dinkes', device: 'cam1' });
    expect(authFailed!.message.id).toBe('Kamera cam1 (gateway gw-dinkes, Dinas Kesehatan) gagal login (periksa kata sandi dan jam kamera): HTTP 401 from the snapshot URI');

    // A later health report says the camera works again: it is newer than the status record.
    now(T0 + 70 * S);
    f.live.onHealth('gw-dinkes', 'dinkes', health({ cameras: [camHealth('cam1', 'online')] }));
    expect(f.engine.evaluate(T0 + 70 * S).cleared.map((a) => a.id)).toEqual([authFailed!.id]);

    // Online by every report, but the newest frame is from T0.
    now(T0 + 301 * S);
    f.live.onHealth('gw-dinkes', 'dinkes', health({ cameras: [camHealth('cam1', 'online')] }));
    const [old] = f.engine.evaluate(T0 + 301 * S).raised;
    expect(old!.message.en).toBe('Camera cam1 (gateway gw-dinkes, Dinas Kesehatan): newest picture is 5 min old');
    f.live.onSnapshot('gw-dinkes', 'dinkes', frame('cam1', T0 + 300 * S));
    expect(f.engine.evaluate(T0 + 301 * S).cleared.map((a) => a.id)).toEqual([old!.id]);

    // Health alone can report a camera down (no status record since this central started).
    now(T0 + 360 * S);
    f.live.onHealth('gw-dinkes', 'dinkes', health({ cameras: [camHealth('cam1', 'online'), camHealth('cam2', 'offline')] }));
    expect(summary(f.engine.evaluate(T0 + 360 * S).raised)).toEqual(['camera-offline gw-dinkes/cam2']);

    // cam2 taken out of the gateway config: the next health no longer lists it.
    now(T0 + 420 * S);
    f.live.onHealth('gw-dinkes', 'dinkes', health({ cameras: [camHealth('cam1', 'online')] }));
    expect(summary(f.engine.evaluate(T0 + 420 * S).cleared)).toEqual(['camera-offline gw-dinkes/cam2']);
  });

  it('raises terminal-offline and clock-skew per terminal, and clears them', () => {
    const f = fixture();
    online(f.live, 'gw-dinkes', 'dinkes');
    records(
      f.live,
      'gw-dinkes',
      'dinkes',
      { kind: 'terminal_status', terminal: 't1', state: 'offline', reason: 'no answer on /dev/ttyUSB0', at: iso(T0) },
      { kind: 'terminal_clock', terminal: 't2', skewMs: 125_000, alarm: true, at: iso(T0) },
    );
    const { raised } = f.engine.evaluate(T0 + S);
    expect(summary(raised)).toEqual(['terminal-offline gw-dinkes/t1', 'clock-skew gw-dinkes/t2']);
    expect(raised.map((a) => a.severity)).toEqual(['critical', 'warning']);
    expect(raised[0]!.message.id).toBe('Mesin absensi t1 (gateway gw-dinkes, Dinas Kesehatan) offline: no answer on /dev/ttyUSB0');
    expect(raised[1]!.message).toEqual({
      id: 'Jam mesin absensi t2 (gateway gw-dinkes, Dinas Kesehatan) lebih cepat 2 menit',
      en: 'Clock of attendance terminal t2 (gateway gw-dinkes, Dinas Kesehatan) is 2 min fast',
    });
    records(
      f.live,
      'gw-dinkes',
      'dinkes',
      { kind: 'terminal_status', terminal: 't1', state: 'online', at: iso(T0 + 2 * S) },
      { kind: 'terminal_clock', terminal: 't2', skewMs: 40, alarm: false, synced: true, at: iso(T0 + 2 * S) },
    );
    expect(summary(f.engine.evaluate(T0 + 3 * S).cleared)).toEqual(['terminal-offline gw-dinkes/t1', 'clock-skew gw-dinkes/t2']);
  });

  it('raises nothing for a backlog status older than the live one (a restart\'s "offline" sent after the reconnect\'s "online")', () => {
    const f = fixture();
    online(f.live, 'gw-dinkes', 'dinkes');
    // Live records go before the backlog: the reconnect's states first, the shutdown's later.
    records(
      f.live,
      'gw-dinkes',
      'dinkes',
      { kind: 'terminal_status', terminal: 't1', state: 'online', at: iso(T0) },
      { kind: 'camera_status', camera: 'lobi', state: 'online', at: iso(T0) },
    );
    records(
      f.live,
      'gw-dinkes',
      'dinkes',
      { kind: 'terminal_status', terminal: 't1', state: 'offline', reason: 'connection closed by the terminal or the network', at: iso(T0 - 3600 * S) },
      { kind: 'camera_status', camera: 'lobi', state: 'offline', reason: 'timeout', at: iso(T0 - 3600 * S) },
    );
    expect(summary(f.engine.evaluate(T0 + S).raised)).toEqual([]);
    const gw = f.live.snapshot().gateways.find((g) => g.gateway === 'gw-dinkes')!;
    expect(gw.terminals.t1).toMatchObject({ state: 'online', at: iso(T0) });
    expect(gw.terminals.t1).not.toHaveProperty('reason');
    expect(gw.cameras.lobi).toMatchObject({ state: 'online', at: iso(T0) });
    // A newer word still counts, and brings its own reason.
    records(f.live, 'gw-dinkes', 'dinkes', { kind: 'terminal_status', terminal: 't1', state: 'offline', reason: 'no answer', at: iso(T0 + S) });
    expect(summary(f.engine.evaluate(T0 + 2 * S).raised)).toEqual(['terminal-offline gw-dinkes/t1']);
  });

  it('raises disk-full on a low disk or an outbox near its budget, once while either lasts', () => {
    const f = fixture();
    online(f.live, 'gw-dinkes', 'dinkes', { disk: { freeBytes: 5e9, totalBytes: 100e9 } });
    const [low] = f.engine.evaluate(T0).raised;
    expect(low!.message.en).toBe('Disk of gateway gw-dinkes (Dinas Kesehatan) nearly full: 5.0 % disk free');
    f.live.onHealth('gw-dinkes', 'dinkes', health({ outbox: { ...health().outbox, budget: 'near' } }));
    expect(f.engine.evaluate(T0 + S)).toEqual({ raised: [], cleared: [] });
    f.live.onHealth('gw-dinkes', 'dinkes', health());
    expect(f.engine.evaluate(T0 + 2 * S).cleared.map((a) => a.id)).toEqual([low!.id]);
    f.live.onHealth('gw-dinkes', 'dinkes', health({ disk: null, outbox: { ...health().outbox, budget: 'over' } }));
    const [over] = f.engine.evaluate(T0 + 3 * S).raised;
    expect(over!.message.id).toContain('antrean data melebihi batas');
    expect(over!.id).not.toBe(low!.id);
  });

  it('neither raises nor clears device alerts while their gateway is offline', () => {
    const f = fixture();
    online(f.live, 'gw-dinkes', 'dinkes');
    records(f.live, 'gw-dinkes', 'dinkes', { kind: 'camera_status', camera: 'cam1', state: 'offline', at: iso(T0) });
    expect(summary(f.engine.evaluate(T0).raised)).toEqual(['camera-offline gw-dinkes/cam1']);
    death(f.live, 'gw-dinkes', 'dinkes');
    // Last known states say nothing now: the old frame must not raise, the camera alert must not clear.
    f.live.onSnapshot('gw-dinkes', 'dinkes', frame('cam2', T0 - 3600 * S));
    expect(f.engine.evaluate(T0 + 10 * S)).toMatchObject({ cleared: [], raised: [{ kind: 'gateway-offline' }] });
    expect(summary(f.engine.open())).toEqual(['camera-offline gw-dinkes/cam1', 'gateway-offline gw-dinkes']);
  });
});

describe('acknowledgement and history', () => {
  it('records who acknowledged and when, once, and reports response times per office', () => {
    const f = fixture([DINKES, BAPPEDA]);
    death(f.live, 'gw-dinkes', 'dinkes');
    death(f.live, 'gw-bappeda', 'bappeda');
    const [bappeda, dinkes] = f.engine.evaluate(T0).raised;
    const acked = f.engine.acknowledge(dinkes!.id, 'Sri Lestari', T0 + 90 * S);
    expect(acked).toMatchObject({ id: dinkes!.id, acknowledgedBy: 'Sri Lestari', acknowledgedAt: iso(T0 + 90 * S), clearedAt: null });
    expect(f.engine.acknowledge(dinkes!.id, 'Budi', T0 + 200 * S)).toEqual(acked);
    expect(f.events.filter((e) => e.event === 'acknowledged').map((e) => e.alert)).toEqual([acked]);
    expect(f.engine.acknowledge(9999, 'Sri Lestari')).toBeUndefined();
    expect(() => f.engine.acknowledge(bappeda!.id, '   ')).toThrow(AlertError);

    // A cleared alert can still be acknowledged; its response time counts.
    now(T0 + 300 * S);
    online(f.live, 'gw-bappeda', 'bappeda');
    f.engine.evaluate(T0 + 300 * S);
    f.engine.acknowledge(bappeda!.id, 'Andi', T0 + 330 * S);
    now(T0 + 400 * S);
    online(f.live, 'gw-dinkes', 'dinkes');
    f.engine.evaluate(T0 + 400 * S);
    now(T0 + 500 * S);
    f.live.onHealth('gw-bappeda', 'bappeda', health());
    death(f.live, 'gw-dinkes', 'dinkes');
    const [again] = f.engine.evaluate(T0 + 500 * S).raised;

    expect(f.engine.responseTimes('dinkes', T0, T0 + 3600 * S).map((r) => [r.id, r.seconds, r.acknowledgedAt])).toEqual([
      [dinkes!.id, 90, iso(T0 + 90 * S)],
      [again!.id, null, null],
    ]);
    expect(f.engine.responseTimes('dinkes', T0 + S, T0 + 3600 * S).map((r) => r.id)).toEqual([again!.id]);
    expect(f.engine.responseTimes('bappeda', T0, T0 + 3600 * S)).toMatchObject([{ id: bappeda!.id, seconds: 330, kind: 'gateway-offline', severity: 'critical' }]);
  });

  it('keeps open alerts open across a restart and holds what the new central does not know yet', async () => {
    const f = fixture([DINKES, BAPPEDA]);
    death(f.live, 'gw-dinkes', 'dinkes');
    online(f.live, 'gw-bappeda', 'bappeda');
    records(f.live, 'gw-bappeda', 'bappeda', { kind: 'terminal_status', terminal: 't1', state: 'error', reason: 'memory full', at: iso(T0) });
    const before = f.engine.evaluate(T0).raised;
    expect(summary(before)).toEqual(['terminal-offline gw-bappeda/t1', 'gateway-offline gw-dinkes']);
    f.engine.acknowledge(before[1]!.id, 'Sri Lestari', T0 + 30 * S);

    now(T0 + 60 * S);
    await f.restart();
    expect(f.engine.open().map((a) => [a.id, a.acknowledgedBy])).toEqual([
      [before[0]!.id, null],
      [before[1]!.id, 'Sri Lestari'],
    ]);
    // In the grace period nothing is known: nothing changes.
    expect(f.engine.evaluate(T0 + 90 * S)).toEqual({ raised: [], cleared: [] });
    // Bappeda is back but has not said anything about t1 yet; dinkes stays silent past the grace.
    now(T0 + 150 * S);
    online(f.live, 'gw-bappeda', 'bappeda');
    expect(f.engine.evaluate(T0 + 190 * S)).toEqual({ raised: [], cleared: [] });
    records(f.live, 'gw-bappeda', 'bappeda', { kind: 'terminal_status', terminal: 't1', state: 'online', at: iso(T0 + 150 * S) });
    expect(f.engine.evaluate(T0 + 190 * S).cleared.map((a) => a.id)).toEqual([before[0]!.id]);
    expect(f.engine.open().map((a) => a.id)).toEqual([before[1]!.id]);
  });

  it('evaluates soon after a live change, once per burst', async () => {
    const f = fixture([DINKES], { evaluateEveryS: 3600 }, { changeDelayMs: 20 });
    const evaluate = vi.spyOn(f.engine, 'evaluate');
    f.engine.start();
    expect(evaluate).toHaveBeenCalledTimes(1);
    const raised = new Promise<Alert>((resolve) => f.engine.once('raised', resolve));
    online(f.live, 'gw-dinkes', 'dinkes');
    for (let i = 0; i < 50; i++) records(f.live, 'gw-dinkes', 'dinkes', { kind: 'terminal_status', terminal: 't1', state: i === 49 ? 'offline' : 'online', at: iso(T0) });
    expect((await raised).device).toBe('t1');
    expect(evaluate).toHaveBeenCalledTimes(2);
  });
});

describe('no punches this morning', () => {
  const DISHUB = { code: 'dishub', name: 'Dinas Perhubungan', zone: 'Asia/Makassar', gateways: ['gw-dishub'] };
  const OFFICES = [DINKES, BAPPEDA, DISHUB];
  const at = (utc: string) => now(Date.parse(utc));
  const punch = (live: LiveState, office: { code: string; zone: string; gateways: string[] }, deviceTime: string) =>
    records(live, office.gateways[0]!, office.code, {
      kind: 'punch',
      terminal: 't1',
      employee: '1',
      time: iso(Date.now()),
      deviceTime,
      zone: office.zone,
      skewMs: null,
      receivedAt: iso(Date.now()),
    });
  const allOnline = (live: LiveState) => OFFICES.forEach((o) => online(live, o.gateways[0]!, o.code));

  it('raises at an office that usually has punches, after the check time in its own zone, from counts kept across restarts', async () => {
    const f = fixture(OFFICES);
    // Mon-Wed each ran on a fresh central: the history lives only in SQLite.
    for (const day of ['2026-11-23', '2026-11-24', '2026-11-25']) {
      at(`${day}T02:00:00Z`);
      await f.restart();
      punch(f.live, DINKES, `${day}T07:31:00`);
      punch(f.live, BAPPEDA, `${day}T07:45:00`);
      if (day !== '2026-11-23') punch(f.live, DISHUB, `${day}T07:50:00`);
      f.engine.evaluate();
    }

    // Thursday, a public holiday for this engine: nothing.
    at('2026-11-26T01:01:00Z');
    await f.restart({ isHoliday: (_opd, date) => date === '2026-11-26' });
    allOnline(f.live);
    expect(f.engine.evaluate().raised).toEqual([]);

    at('2026-11-26T00:59:00Z');
    await f.restart();
    allOnline(f.live);
    expect(f.engine.evaluate().raised).toEqual([]);
    // 09:01 WITA is 08:01 WIB: Makassar is checked, Jakarta not yet; dishub had punches on only 2 of 5 days.
    at('2026-11-26T01:01:00Z');
    allOnline(f.live);
    const [dinkes, ...rest] = f.engine.evaluate().raised;
    expect(rest).toEqual([]);
    expect(dinkes).toMatchObject({ kind: 'no-punches', severity: 'critical', opd: 'dinkes', gateway: null, device: null });
    expect(dinkes!.message).toEqual({
      id: 'Belum ada absensi hari ini di Dinas Kesehatan sampai pukul 09:01 WITA (biasanya ada: 3 dari 5 hari kerja terakhir)',
      en: 'No punches today at Dinas Kesehatan by 09:01 WITA (usually there are: 3 of the last 5 working days)',
    });

    at('2026-11-26T02:01:00Z');
    allOnline(f.live);
    expect(f.engine.evaluate().raised.map((a) => [a.opd, a.message.en.includes('by 09:01 WIB')])).toEqual([['bappeda', true]]);
    punch(f.live, DINKES, '2026-11-26T10:02:00');
    expect(f.engine.evaluate().cleared.map((a) => a.id)).toEqual([dinkes!.id]);

    // Saturday is no working day: the open alert clears, nothing is raised.
    at('2026-11-28T03:00:00Z');
    allOnline(f.live);
    expect(summary(f.engine.evaluate().cleared)).toEqual(['no-punches bappeda']);
    expect(f.engine.open()).toEqual([]);
  });

  it('does not judge an office whose gateways are all unreachable', async () => {
    const f = fixture([DINKES]);
    for (const day of ['2026-11-23', '2026-11-24', '2026-11-25']) {
      at(`${day}T02:00:00Z`);
      punch(f.live, DINKES, `${day}T07:31:00`);
      f.engine.evaluate();
    }
    at('2026-11-26T01:00:00Z');
    await f.restart();
    death(f.live, 'gw-dinkes', 'dinkes');
    expect(summary(f.engine.evaluate(Date.parse('2026-11-26T01:30:00Z')).raised)).toEqual(['gateway-offline gw-dinkes']);
  });
});
