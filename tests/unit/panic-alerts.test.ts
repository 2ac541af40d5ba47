import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import { pino } from 'pino';
import { LiveState } from '../../central/live-state.js';
import { Registry } from '../../central/registry.js';
import { RegistrySeed } from '../../central/config.js';
import { AlertEngine, AlertsConfig, type Alert } from '../../central/alerts/index.js';
import { recordToPoint } from '../../central/points.js';
import { Outbox } from '../../edge/outbox.js';
import { EventsBatch, type PanicRecord } from '../../protocols/mqtt/payloads.js';
import { decodeJson, PayloadError } from '../../protocols/mqtt/decode.js';

/** The central's side of a panic: contract, InfluxDB point, alert lifecycle; and the outbox's urgency. */

const log = pino({ level: 'silent' });
const dirs: string[] = [];
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'pemda-panic-'));
  dirs.push(d);
  return d;
}

const panicRecord = (over: Partial<PanicRecord> = {}): PanicRecord => ({
  seq: 41,
  kind: 'panic',
  eventId: randomUUID(),
  input: 'front-desk',
  via: 'modem-line',
  at: '2026-11-26T00:15:03.250Z', // 08:15:03 WITA
  cameras: ['lobby'],
  ...over,
});

describe('panic record in the v1 contract', () => {
  const topic = 'pemda/v1/gw-dinkes/events';
  const encode = (v: unknown) => Buffer.from(JSON.stringify(v));

  it('travels in an events batch beside the older kinds, and refuses what it does not know', () => {
    const punch = { seq: 40, kind: 'punch', terminal: 't1', employee: '7', time: '2026-11-26T00:00:00.000Z', deviceTime: '2026-11-26T08:00:00', zone: 'Asia/Makassar', skewMs: null, receivedAt: '2026-11-26T00:00:01.000Z' };
    const batch = decodeJson(EventsBatch, topic, encode({ v: 1, ackedSeq: 39, records: [punch, panicRecord({ source: 'Satpam', lat: -5.1, lon: 119.4 })] }));
    expect(batch.records.map((r) => r.kind)).toEqual(['punch', 'panic']);
    const bad = (r: unknown) => () => decodeJson(EventsBatch, topic, encode({ v: 1, ackedSeq: 0, records: [r] }));
    expect(bad({ ...panicRecord(), opd: 'dinkes' })).toThrow(PayloadError);
    expect(bad({ ...panicRecord(), eventId: 'not-a-uuid' })).toThrow(/records\[0\]\.eventId/);
    expect(bad({ ...panicRecord(), via: 'pigeon' })).toThrow(/records\[0\]\.via/);
  });

  it('becomes a point in measurement panic tagged by opd, gateway and input, the same key on every resend', () => {
    const r = panicRecord({ source: 'ALARM ZONE 01 PANIC', lat: -5.1, lon: 119.4 });
    const point = recordToPoint(r, { opd: 'dinkes', gateway: 'gw-dinkes' });
    expect(point).toMatchObject({ measurement: 'panic', tags: { opd: 'dinkes', gateway: 'gw-dinkes', input: 'front-desk' } });
    expect(point.fields).toMatchObject({ event_id: r.eventId, via: 'modem-line', cameras: 'lobby', source: 'ALARM ZONE 01 PANIC', note: '', lat: -5.1, lon: 119.4, seq: 41 });
    expect(recordToPoint(r, { opd: 'dinkes', gateway: 'gw-dinkes' }).timestamp).toBe(point.timestamp);
  });
});

describe('panic alerts', () => {
  function fixture(config: object = {}) {
    const dir = tempDir();
    const file = join(dir, 'central.sqlite');
    const registry = new Registry(file);
    registry.seed(RegistrySeed.parse({ opds: [{ code: 'dinkes', name: 'Dinas Kesehatan', zone: 'Asia/Makassar', gateways: ['gw-dinkes'] }] }));
    const events: { event: string; alert: Alert }[] = [];
    const make = (live: LiveState) => {
      const engine = new AlertEngine(file, AlertsConfig.parse(config), { live, registry }, log);
      for (const event of ['raised', 'cleared', 'acknowledged'] as const) engine.on(event, (alert) => events.push({ event, alert }));
      return engine;
    };
    const f = {
      live: new LiveState(),
      events,
      engine: undefined as unknown as AlertEngine,
      /** A central restart: a new engine on the same file, an empty live state. */
      async restart() {
        await f.engine.stop();
        f.live = new LiveState();
        f.engine = make(f.live);
      },
    };
    f.engine = make(f.live);
    cleanups.push(async () => {
      await f.engine.stop();
      registry.close();
    });
    return f;
  }

  it('raises a critical panic alert with office, local time, input and the nearest camera\'s frame URL', () => {
    const f = fixture();
    const record = panicRecord({ cameras: ['lobby', 'gate'] });
    expect(f.live.onPanic('gw-dinkes', 'dinkes', record)).toBe(true);
    const [alert] = f.engine.open();
    expect(alert).toMatchObject({ kind: 'panic', severity: 'critical', opd: 'dinkes', gateway: 'gw-dinkes', device: 'front-desk', acknowledgedAt: null, clearedAt: null });
    expect(alert!.message.id).toBe('DARURAT di Dinas Kesehatan: tombol panik front-desk ditekan pukul 26-11-2026 08:15:03 WITA (gateway gw-dinkes); kamera terdekat: lobby, gate');
    expect(alert!.message.en).toBe('EMERGENCY at Dinas Kesehatan: panic button front-desk pressed at 26-11-2026 08:15:03 WITA (gateway gw-dinkes); nearest camera: lobby, gate');
    expect(alert!.panic).toEqual({
      eventId: record.eventId,
      seq: 41,
      input: 'front-desk',
      via: 'modem-line',
      pressedAt: record.at,
      source: null,
      note: null,
      location: null,
      cameras: [
        { id: 'lobby', frameUrl: '/api/cameras/gw-dinkes/lobby/latest.jpg' },
        { id: 'gate', frameUrl: '/api/cameras/gw-dinkes/gate/latest.jpg' },
      ],
    });
    expect(f.events.map((e) => e.event)).toEqual(['raised']);
  });

  it('raises once per press however often the record is resent, even across a restart', async () => {
    const f = fixture();
    const record = panicRecord();
    f.live.onPanic('gw-dinkes', 'dinkes', record);
    f.live.onPanic('gw-dinkes', 'dinkes', record);
    await f.restart();
    f.live.onPanic('gw-dinkes', 'dinkes', record);
    expect(f.engine.recent().filter((a) => a.kind === 'panic')).toHaveLength(1);
    // A second press of the same button is a second alert, open beside the first.
    f.live.onPanic('gw-dinkes', 'dinkes', panicRecord({ seq: 42 }));
    expect(f.engine.open().filter((a) => a.kind === 'panic')).toHaveLength(2);
  });

  it('sorts first, is never cleared by the rules, and is cleared by its acknowledgement', () => {
    const f = fixture();
    f.live.onStatus('gw-dinkes', 'dinkes', { v: 1, state: 'offline', bdSeq: 3 });
    f.engine.evaluate();
    f.live.onPanic('gw-dinkes', 'dinkes', panicRecord({ via: 'http', input: 'phone-app', source: 'Satpam Budi', note: 'perampokan', lat: -5.14, lon: 119.43 }));
    const open = f.engine.open();
    expect(open.map((a) => a.kind)).toEqual(['panic', 'gateway-offline']);
    expect(open[0]!.message.en).toMatch(/^EMERGENCY at Dinas Kesehatan: emergency call from the phone app \(Satpam Budi\) at 26-11-2026 08:15:03 WITA .*; note: perampokan/);
    expect(open[0]!.panic?.location).toEqual({ lat: -5.14, lon: 119.43 });
    // The gateway is back and everything is fine: the device alert clears, the panic stays.
    f.live.onStatus('gw-dinkes', 'dinkes', { v: 1, state: 'online', bdSeq: 4, version: '1', configHash: '0'.repeat(64), startedAt: new Date().toISOString(), ackedSeq: 0, clockOffsetMs: null, terminals: [], cameras: [] });
    f.engine.evaluate();
    expect(f.engine.open().map((a) => a.kind)).toEqual(['panic']);
    const acked = f.engine.acknowledge(open[0]!.id, 'operator ani')!;
    expect(acked.acknowledgedBy).toBe('operator ani');
    expect(acked.clearedAt).toBe(acked.acknowledgedAt);
    expect(f.engine.open()).toEqual([]);
    expect(f.events.filter((e) => e.alert.kind === 'panic').map((e) => e.event)).toEqual(['raised', 'acknowledged', 'cleared']);
  });

  it('queues raised, acknowledged and cleared for the webhook in the same transaction', () => {
    const f = fixture({ webhook: { url: 'http://127.0.0.1:9/police-desk', retryBaseMs: 60_000, retryMaxMs: 60_000 } });
    f.live.onPanic('gw-dinkes', 'dinkes', panicRecord());
    expect(f.engine.pendingNotifications()).toBe(1);
    f.engine.acknowledge(f.engine.open()[0]!.id, 'ani');
    expect(f.engine.pendingNotifications()).toBe(3);
  });

  it('pushes only the kinds a webhook asks for: a police desk gets panics, not device alerts', () => {
    const f = fixture({ webhook: { url: 'http://127.0.0.1:9/police-desk', retryBaseMs: 60_000, retryMaxMs: 60_000, kinds: ['panic'] } });
    f.live.onStatus('gw-dinkes', 'dinkes', { v: 1, state: 'offline', bdSeq: 3 });
    f.engine.evaluate();
    expect(f.engine.open().map((a) => a.kind)).toEqual(['gateway-offline']);
    expect(f.engine.pendingNotifications()).toBe(0);
    f.live.onPanic('gw-dinkes', 'dinkes', panicRecord());
    expect(f.engine.pendingNotifications()).toBe(1);
  });

  it('takes no panic once stopped, so ingest does not ack it', async () => {
    const f = fixture();
    await f.engine.stop();
    expect(f.live.onPanic('gw-dinkes', 'dinkes', panicRecord())).toBe(false);
  });
});

describe('outbox urgency', () => {
  it('keeps a panic live whatever its age: ahead of the backlog, never rate-limited', () => {
    const outbox = new Outbox(tempDir());
    cleanups.push(() => outbox.close());
    const t0 = Date.parse('2026-11-26T00:00:00Z');
    const { seq: _seq, ...newPanic } = panicRecord();
    outbox.append({ kind: 'terminal_status', terminal: 't1', state: 'offline', at: '2026-11-26T00:00:00.000Z' }, t0);
    outbox.append(newPanic, t0 + 1);
    outbox.append({ kind: 'terminal_status', terminal: 't1', state: 'online', at: '2026-11-26T00:10:00.000Z' }, t0 + 600_000);
    const liveSince = t0 + 600_000 - 60_000;
    expect(outbox.pendingSince(liveSince, 10).map((p) => p.record.kind)).toEqual(['panic', 'terminal_status']);
    expect(outbox.pendingBefore(liveSince, 10).map((p) => p.record.seq)).toEqual([1]);
  });

  it('adds the urgency column to an outbox made by an earlier release', () => {
    const dir = tempDir();
    const old = new Database(join(dir, 'outbox.sqlite'));
    old.exec('CREATE TABLE records (seq INTEGER PRIMARY KEY AUTOINCREMENT, body TEXT NOT NULL, created_ms INTEGER NOT NULL)');
    old.prepare('INSERT INTO records (body, created_ms) VALUES (?, ?)').run(JSON.stringify({ kind: 'terminal_status', terminal: 't1', state: 'online', at: '2026-11-26T00:00:00.000Z' }), 1);
    old.close();
    const outbox = new Outbox(dir);
    cleanups.push(() => outbox.close());
    expect(outbox.pendingBefore(10, 10).map((p) => p.record.seq)).toEqual([1]);
    const { seq: _seq, ...newPanic } = panicRecord();
    expect(outbox.append(newPanic, 2)).toBe(2);
    expect(outbox.pendingSince(1_000_000, 10).map((p) => p.record.kind)).toEqual(['panic']);
  });
});
