import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Aedes } from 'aedes';
import { Outbox } from '../../edge/outbox.js';
import { EventRecord, Health } from '../../protocols/mqtt/payloads.js';
import { decodeSnapshot } from '../../protocols/snapshot/frame.js';
import { moduleOf, summarizeProfile, type CpuProfile } from '../../bench/lib/cpuprofile.js';
import { officeDay, writeBacklog } from '../../bench/lib/office-day.js';
import { RawMqttClient } from '../../bench/lib/mqtt-raw.js';
import { SnapshotSource } from '../../bench/lib/snapshot-source.js';

/** The benchmark's own building blocks, fast: what the smoke run would only show as wrong figures. */
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('cpuprofile summary', () => {
  // root -> main -> (work, idle); work -> parse (in a package)
  const profile: CpuProfile = {
    nodes: [
      { id: 1, callFrame: { functionName: '(root)', url: '', lineNumber: -1 }, children: [2, 5, 6] },
      { id: 2, callFrame: { functionName: 'onEvents', url: 'file:///repo/dist/central/ingest.js', lineNumber: 9 }, children: [3] },
      { id: 3, callFrame: { functionName: 'parse', url: 'file:///repo/node_modules/zod/v4/core/parse.js', lineNumber: 0 }, children: [4] },
      { id: 4, callFrame: { functionName: 'onEvents', url: 'file:///repo/dist/central/ingest.js', lineNumber: 9 }, children: [] },
      { id: 5, callFrame: { functionName: '(idle)', url: '', lineNumber: -1 }, children: [] },
      { id: 6, callFrame: { functionName: '(garbage collector)', url: '', lineNumber: -1 }, children: [] },
    ],
    startTime: 1000,
    endTime: 2000,
    // One sample every 100 ms, each lasting until the next: node 2 100 ms, 3 300, 4 100,
    // 5 (idle) 400, 6 (GC) 100; the last sample lasts 0.
    samples: [2, 3, 3, 3, 4, 5, 5, 5, 5, 6, 6],
    timeDeltas: [0, ...Array.from({ length: 10 }, () => 100_000)],
  };

  it('splits self time by function and module, counts idle apart, and recursion once inclusively', () => {
    const us = summarizeProfile(profile, { root: '/repo' });
    expect(us.busyMs).toBe(600);
    expect(us.idleMs).toBe(400);
    expect(us.modules.map((m) => [m.name, m.ms])).toEqual([
      ['zod', 300],
      ['ours: dist/central/ingest.js', 200],
      ['(garbage collector)', 100],
    ]);
    const onEvents = us.topInclusive.find((l) => l.name.startsWith('onEvents'));
    expect(onEvents?.ms).toBe(500); // 100 + 300 + 100, the recursive frame not twice
    expect(onEvents?.pct).toBeCloseTo(83.3, 1);
  });

  it('keeps to the window when samples fall inside it', () => {
    // Samples are stamped startTime + the deltas so far: samples 1-3 (node 3) only.
    const us = summarizeProfile(profile, { fromUs: 1000 + 100_000, toUs: 1000 + 300_000 });
    expect(us.samples).toBe(3);
    expect(us.modules).toEqual([{ name: 'zod', ms: 300, pct: 100 }]);
    expect(us.windowS).toBe(0.3);
    expect(us.busyShare).toBe(1);
  });

  it('names modules by package, Node area or our file', () => {
    expect(moduleOf('file:///x/node_modules/@scope/pkg/a.js', 'f')).toBe('@scope/pkg');
    expect(moduleOf('file:///x/node_modules/a/node_modules/b/c.js', 'f')).toBe('b');
    expect(moduleOf('node:internal/streams/readable', 'f')).toBe('node:streams');
    expect(moduleOf('node:net', 'f')).toBe('node:net');
    expect(moduleOf('', 'JSON.parse')).toBe('(V8 builtins and native)');
    expect(moduleOf('file:///repo/dist/edge/outbox.js', 'f', '/repo')).toBe('ours: dist/edge/outbox.js');
  });
});

describe('24 h office backlog', () => {
  const endMs = Date.parse('2026-11-26T03:00:00Z');
  const options = { employees: 200, cameras: ['cam-1', 'cam-2'], terminal: 'zk-0', zone: 'Asia/Makassar', employeePrefix: 'D0e', endMs, seed: 1 };

  it('has every record class, valid against the MQTT contract, spread over the 24 h', () => {
    const day = officeDay(options);
    const kinds = new Set(day.map((r) => r.record.kind));
    expect([...kinds].sort()).toEqual(['camera_motion', 'camera_status', 'punch', 'terminal_clock', 'terminal_status']);
    day.forEach(({ record }, i) => expect(() => EventRecord.parse({ ...record, seq: i + 1 })).not.toThrow());
    const times = day.map((r) => r.atMs);
    expect(Math.min(...times)).toBeGreaterThanOrEqual(endMs - 86_400_000);
    expect(Math.max(...times)).toBeLessThan(endMs);
    expect(Math.max(...times) - Math.min(...times)).toBeGreaterThan(20 * 3_600_000);
    const punches = day.filter((r) => r.record.kind === 'punch').length;
    expect(punches).toBeGreaterThan(200 * 1.8);
    expect(punches).toBeLessThan(200 * 2.6);
  });

  it('is committed in the past: all backlog to the gateway, with its latest-wins values', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pemda-bench-day-'));
    dirs.push(dir);
    const source = new SnapshotSource();
    await source.start();
    const thumbnail = await source.sampleThumbnail();
    await source.stop();
    const day = officeDay(options);
    const written = writeBacklog(dir, day, { cameras: options.cameras, thumbnail, endMs });
    expect(written.records).toBe(day.length);
    expect(written.latest).toBe(3);
    const outbox = new Outbox(dir);
    try {
      const liveSince = Date.now() - 60_000;
      expect(outbox.pendingSince(liveSince, 10)).toHaveLength(0);
      expect(outbox.pendingBefore(liveSince, 100_000)).toHaveLength(day.length);
      expect(outbox.stats().oldestAgeS).toBeGreaterThan(20 * 3600);
      const latest = outbox.takeLatest();
      expect(latest.map((l) => l.key)).toEqual(['health', 'snapshot:cam-1', 'snapshot:cam-2']);
      expect(() => Health.parse(JSON.parse(String(latest[0]!.body)))).not.toThrow();
      expect(decodeSnapshot(latest[1]!.body as Buffer).header).toMatchObject({ camera: 'cam-1', kind: 'thumb' });
    } finally {
      outbox.close();
    }
  });

  it('punches only, for the wire comparison', () => {
    const day = officeDay({ ...options, punchesOnly: true });
    expect(new Set(day.map((r) => r.record.kind))).toEqual(new Set(['punch']));
  });
});

describe('bare MQTT client', () => {
  let server: Server | undefined;
  let broker: Aedes | undefined;
  afterEach(async () => {
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    await new Promise<void>((r) => (broker ? broker.close(() => r()) : r()));
  });

  it('publishes at QoS 1 and receives what it subscribed to, PUBACKs both ways', async () => {
    broker = await Aedes.createBroker();
    server = createServer(broker.handle);
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as { port: number }).port;
    const sub = await RawMqttClient.connect(port, 'sub');
    await sub.subscribe('bench/+/m');
    const pub = await RawMqttClient.connect(port, 'pub');
    const got: string[] = [];
    const all = new Promise<void>((resolve) => {
      sub.onMessage = ({ topic, payload }) => {
        got.push(`${topic.toString()}=${payload.toString()}`);
        if (got.length === 3) resolve();
      };
    });
    const big = Buffer.alloc(200_000, 0x62); // a remaining length of three bytes
    for (const body of [Buffer.from('a'), Buffer.from('bc'), big]) {
      pub.publish(RawMqttClient.publishHeader('bench/7/m', body.length), body);
    }
    await all;
    expect(got.slice(0, 2)).toEqual(['bench/7/m=a', 'bench/7/m=bc']);
    expect(got[2]!.length).toBe('bench/7/m='.length + big.length);
    for (let i = 0; i < 50 && pub.pubacks < 3; i++) await new Promise((r) => setTimeout(r, 20));
    expect(pub.pubacks).toBe(3);
    await Promise.all([sub.close(), pub.close()]);
  });
});
