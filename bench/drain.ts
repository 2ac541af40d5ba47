import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Influxd } from '../scripts/lib/influxd.js';
import { freePort } from '../scripts/lib/ports.js';
import { Fleet } from './lib/fleet.js';
import { MqttMeter, meterDiff, sumTallies, type MeterReading, type Tally } from './lib/mqtt-meter.js';
import { officeDay, writeBacklog, type BacklogWritten } from './lib/office-day.js';
import { onCleanup, pollUntil, sleep } from './lib/proc.js';
import { percentile, ratio, type Row } from './lib/report.js';
import { DATABASE, countPunches, startCentral, startInflux, writeCentralConfig, zoneOf } from './lib/services.js';
import { SnapshotSource } from './lib/snapshot-source.js';
import { ArrivalWatcher } from './lib/watch.js';
import { cpuSpan, waitQuiet } from './lib/cpu.js';

/**
 * Outbox drain after 24 hours offline. Each of G gateways holds a day of its office
 * (lib/office-day.ts: punches, terminal status and clock, camera status and motion,
 * the newest health report and thumbnail per camera), committed with timestamps
 * spread over the day before the gateway starts; the gateways then run (terminals,
 * cameras) with the central down, and the central starts. Measured: records/s
 * drained, when live punches flow again (made at "central ready" and while the
 * backlog arrives), the MQTT bytes of the drain through the byte-counting proxy,
 * and, on two more gateways with punch-only backlogs, the wire bytes per punch with
 * mqtt.batchSize 200 (the default) against 1.
 */
export interface DrainOptions {
  dir: string;
  gateways: number;
  /** Staff per office: about 2.2 punches each in the day. */
  employees: number;
  /** Cameras per gateway (status, motion and a kept thumbnail in the backlog; live thumbnails meanwhile). */
  cameras: number;
  cameraIntervalS: number;
  /** Gateway mqtt.backlogRecordsPerSecond; undefined: the gateway default (500). */
  backlogRate: number | undefined;
  /** Punch-only backlog of each wire-comparison gateway. */
  wirePunches: number;
  /** Longest the batchSize-1 gateway is measured (it drains at a few records/s). */
  wireUnbatchedS: number;
}

const DEFAULT_BACKLOG_RATE = 500; // mqtt.backlogRecordsPerSecond default, per gateway
const LIVE_WINDOW_S = 60; // mqtt.liveWindowS default
const EMPLOYEE_PREFIX = 'D';

/** Records of the classes the central writes to their own measurement, older than `beforeNs`. */
const STATUS_CLASSES = ['terminal_status', 'terminal_clock', 'camera_status', 'camera_motion'] as const;

/** Several COUNT statements in one request: one number per statement. */
async function counts(influx: Influxd, statements: string[]): Promise<number[]> {
  const params = new URLSearchParams({ db: DATABASE, q: statements.join('; ') });
  const res = await fetch(`${influx.url}/query?${params}`);
  const body = (await res.json()) as { results?: { series?: { values: unknown[][] }[]; error?: string }[]; error?: string };
  if (body.error) throw new Error(`InfluxQL: ${body.error}`);
  return statements.map((_, i) => Number(body.results?.[i]?.series?.[0]?.values[0]?.[1] ?? 0));
}

/** Backlog records stored, by class (status-like ones by event time: live ones are newer). */
async function storedBacklog(influx: Influxd, beforeNs: string): Promise<Record<string, number>> {
  const n = await counts(influx, [
    `SELECT COUNT(employee) FROM punch WHERE employee =~ /^${EMPLOYEE_PREFIX}/`,
    ...STATUS_CLASSES.map((c) => `SELECT COUNT(seq) FROM ${c} WHERE time < ${beforeNs}`),
  ]);
  return Object.fromEntries([['punch', n[0]!], ...STATUS_CLASSES.map((c, i) => [c, n[i + 1]!])]);
}

const total = (byClass: Record<string, number>) => Object.values(byClass).reduce((a, b) => a + b, 0);


/** MQTT bytes that carry records: events up, acks down, and the PUBACK of each. */
function recordWire(w: MeterReading): { bytes: number; packets: number; events: Tally; acks: Tally } {
  const events = sumTallies(w.packets.up, (k) => k.startsWith('publish ') && k.endsWith('/events'));
  const acks = sumTallies(w.packets.down, (k) => k.startsWith('publish ') && k.endsWith('/ack'));
  // MQTT 3.1.1 PUBACK: 2-byte fixed header + packet id.
  const pubacks = (events.packets + acks.packets) * 4;
  return { bytes: events.bytes + acks.bytes + pubacks, packets: 2 * (events.packets + acks.packets), events, acks };
}

/** Tallies by packet kind: every gateway's `…/gw-d012/snapshot/cam-3` counted as one `…/{gw}/snapshot/{camera}`. */
function byKind(packets: Record<string, Tally>): Record<string, Tally> {
  const out: Record<string, Tally> = {};
  for (const [key, t] of Object.entries(packets)) {
    const kind = key.replace(/^(publish [^/]+\/[^/]+)\/[^/$]+\/(snapshot\/)?[^/]+$/, (_, root: string, snap: string | undefined) => `${root}/{gw}/${snap ? 'snapshot/{camera}' : key.split('/').pop()!}`);
    const sum = (out[kind] ??= { packets: 0, bytes: 0, payloadBytes: 0 });
    sum.packets += t.packets;
    sum.bytes += t.bytes;
    sum.payloadBytes += t.payloadBytes;
  }
  return out;
}

const round = (v: number | null | undefined, digits = 1): number | null => (v == null || !Number.isFinite(v) ? null : Math.round(v * 10 ** digits) / 10 ** digits);

export async function benchDrain(o: DrainOptions): Promise<Row[]> {
  const dir = join(o.dir, 'drain');
  mkdirSync(dir, { recursive: true });
  const fleet = new Fleet(dir, o.gateways, 'gw-d');
  const wide = new Fleet(dir, 1, 'gw-w200-');
  const narrow = new Fleet(dir, 1, 'gw-w001-');
  const source = new SnapshotSource(o.cameraIntervalS);
  await source.start();
  onCleanup(() => source.stop());
  const influx = await startInflux(dir);
  const port = await freePort();
  const config = await writeCentralConfig({ dir, influxUrl: influx.url, gateways: [...fleet.gateways, ...wide.gateways, ...narrow.gateways], brokerPort: port });
  const rate = o.backlogRate ?? DEFAULT_BACKLOG_RATE;
  const cameraIds = Array.from({ length: o.cameras }, (_, k) => Fleet.cameraId(k));

  // ---- 24 h of backlog, committed with past timestamps (the clock shim) ----
  const endMs = Date.now() - 5 * 60_000;
  const thumbnail = await source.sampleThumbnail();
  const buildStart = performance.now();
  const written: BacklogWritten[] = fleet.gateways.map((_, i) =>
    writeBacklog(fleet.dataDir(i), officeDay({ employees: o.employees, cameras: cameraIds, terminal: Fleet.terminalId(i), zone: zoneOf(i), employeePrefix: `${EMPLOYEE_PREFIX}${i}e`, endMs, seed: 7000 + i }), { cameras: cameraIds, thumbnail, endMs }),
  );
  const wireBacklog = (f: Fleet, seed: number) =>
    writeBacklog(f.dataDir(0), officeDay({ employees: Math.ceil(o.wirePunches / 2.2), cameras: [], terminal: Fleet.terminalId(0), zone: zoneOf(0), employeePrefix: `P${seed}e`, endMs, seed, punchesOnly: true }), { cameras: [], endMs });
  const wideBacklog = wireBacklog(wide, 200);
  const narrowBacklog = wireBacklog(narrow, 1);
  const buildS = (performance.now() - buildStart) / 1000;
  const byClass: Record<string, number> = {};
  for (const w of written) for (const [k, n] of Object.entries(w.byClass)) byClass[k] = (byClass[k] ?? 0) + n;
  const backlog = total(byClass);
  const beforeNs = `${endMs}000000`;
  console.log(`[bench] drain: ${backlog.toLocaleString('en-US')} records of 24 h on ${o.gateways} gateways committed in ${buildS.toFixed(1)} s (${Object.entries(byClass).map(([k, n]) => `${k} ${n}`).join(', ')}); gateways start with the central down`);

  // ---- gateways run through the outage's end: terminals, cameras, the central down ----
  const meter = new MqttMeter(port);
  const meterPort = await meter.listen();
  onCleanup(() => meter.close());
  await fleet.start(`mqtt://127.0.0.1:${meterPort}`, {
    cameras: o.cameras,
    source,
    cameraIntervalS: o.cameraIntervalS,
    mqtt: { reconnectMs: 500, ...(o.backlogRate !== undefined && { backlogRecordsPerSecond: o.backlogRate }) },
  });
  const cameras = o.gateways * o.cameras;
  if (cameras > 0) await pollUntil(async () => source.camerasSeen, (n) => n >= cameras, 30_000 + o.cameraIntervalS * 1000, 250);

  await waitQuiet('drain');
  const watcher = new ArrivalWatcher(influx, 'L', 100);
  const progress: { at: number; stored: number }[] = [];
  const m0 = meter.read();
  const spawnAt = Date.now();
  const central = await startCentral(config, dir);
  const readyAt = Date.now();
  const span = cpuSpan({ central: central.proc.pid, ...Object.fromEntries(fleet.hosts.map((h, k) => [`host${k}`, h.proc.pid])) });
  // Wave A, at "central ready": the gateways have not even reconnected yet.
  fleet.sims.forEach((s, i) => {
    s.punch(`LA${i}`);
    watcher.expect(`LA${i}`);
  });
  let allAt: number | undefined;
  let firstAt: number | undefined;
  watcher.onPoll = async (at) => {
    if (allAt !== undefined) return;
    const stored = total(await storedBacklog(influx, beforeNs));
    progress.push({ at, stored });
    if (stored > 0) firstAt ??= at;
    if (stored >= backlog) allAt ??= at;
  };
  watcher.start();
  // Wave B, once the backlog is arriving (the drain is under way).
  await pollUntil(async () => progress.at(-1)?.stored ?? 0, (n) => n > 0, 60_000, 50);
  const storedAtB = progress.at(-1)?.stored ?? 0;
  const waveBAt = Date.now();
  fleet.sims.forEach((s, i) => {
    s.punch(`LB${i}`);
    watcher.expect(`LB${i}`);
  });
  const cap = o.gateways * rate;
  const deadline = 120_000 + (backlog / cap) * 3000;
  await pollUntil(async () => allAt !== undefined && watcher.missing === 0, (done) => done, deadline, 100);
  await watcher.settle(1000);
  const cpu = span();
  const m1 = meter.read();
  const final = await storedBacklog(influx, beforeNs);
  const historical = Number((await influx.query(DATABASE, `SELECT COUNT(employee) FROM punch WHERE employee =~ /^${EMPLOYEE_PREFIX}/ AND historical = true`))[0]?.count ?? 0);
  // Latest-wins classes: what each gateway kept until it was back (its birth reached
  // the central), captured or reported before that; a camera may grab once more
  // between "central ready" and its gateway's reconnect, and that one is kept too.
  const births = await influx.query(DATABASE, `SELECT FIRST(bd_seq) FROM gateway_status WHERE gateway =~ /^gw-d/ AND state = 'online' AND time >= ${readyAt}000000 GROUP BY gateway`);
  const kept = await counts(
    influx,
    births.flatMap((b) => [
      `SELECT COUNT(bytes) FROM "ops"."snapshot" WHERE gateway = '${String(b.gateway)}' AND time < ${String(b.time)}`,
      `SELECT COUNT(uptime_s) FROM "ops"."gateway_health" WHERE gateway = '${String(b.gateway)}' AND time < ${String(b.time)}`,
    ]),
  );
  const keptThumbs = kept.filter((_, i) => i % 2 === 0).reduce((a, b) => a + b, 0);
  const keptHealth = kept.filter((_, i) => i % 2 === 1).reduce((a, b) => a + b, 0);

  const drainS = allAt === undefined ? null : (allAt - readyAt) / 1000;
  const lat = (wave: string) => [...watcher.latencies].filter(([k]) => k.startsWith(wave)).map(([, v]) => v);
  const waveA = lat('LA');
  const waveB = lat('LB');
  const w = meterDiff(m0, m1);
  const wire = recordWire(w);
  const storedAll = total(final);

  // ---- wire bytes per punch: batchSize 200 against 1, punch-only backlogs ----
  const wireCompare = await compareBatching(dir, port, wide, narrow, wideBacklog, narrowBacklog, influx, o.wireUnbatchedS);

  const setup = `${o.gateways} gateways x 24 h (${o.employees} staff, ${o.cameras} cameras each): ${backlog.toLocaleString('en-US')} records`;
  const details = {
    gateways: o.gateways,
    employeesPerGateway: o.employees,
    camerasPerGateway: o.cameras,
    cameraIntervalS: o.cameraIntervalS,
    clockShim: 'records generated with event times over 24 h and committed with the Outbox class before the gateways start, in 10-minute groups (created_ms = end of group)',
    backlogByClass: byClass,
    backlogRecords: backlog,
    latestWinsKept: { health: o.gateways, thumbnails: cameras },
    outboxBytesPerGateway: { mean: Math.round(written.reduce((n, b) => n + b.outboxBytes, 0) / written.length), budget: 512 * 1024 * 1024 },
    backlogBuildS: round(buildS),
    liveWindowS: LIVE_WINDOW_S,
    backlogRecordsPerSecondPerGateway: rate,
    backlogBurstPerGateway: 'max(rate, mqtt.batchSize 200): the token bucket starts full',
    centralStartS: (readyAt - spawnAt) / 1000,
    firstStoredAfterReadyS: firstAt === undefined ? null : (firstAt - readyAt) / 1000,
    drainS,
    storedByClass: final,
    storedAsHistorical: historical,
    latestWinsDelivered: { thumbnails: keptThumbs, health: keptHealth },
    live: {
      waveA: { made: 'at central ready', seen: waveA.length, p50: percentile(waveA, 50), max: percentile(waveA, 100) },
      waveB: { made: `${(waveBAt - readyAt) / 1000} s after ready, ${storedAtB} backlog records stored then`, seen: waveB.length, p50: percentile(waveB, 50), max: percentile(waveB, 100) },
    },
    cpuCores: { central: cpu.named.central, gatewayHosts: round(fleet.hosts.reduce((n, _, k) => n + (cpu.named[`host${k}`] ?? 0), 0), 2), benchProcess: cpu.self, allOurs: cpu.ours, otherLoad: cpu.others },
    wire: {
      note: 'MQTT bytes through the proxy from just before the central started until the drain ended (TCP/IP headers excluded)',
      up: w.bytes.up,
      down: w.bytes.down,
      recordBytes: wire.bytes,
      eventsMessages: wire.events.packets,
      meanRecordsPerMessage: round(storedAll / Math.max(1, wire.events.packets)),
      packets: { up: byKind(w.packets.up), down: byKind(w.packets.down) },
    },
    wireCompare: wireCompare.details,
    progress: progress.filter((_, i) => i % 5 === 0).map((p) => ({ s: (p.at - readyAt) / 1000, stored: p.stored })),
  };
  const maxA = percentile(waveA, 100);
  const maxB = percentile(waveB, 100);
  return [
    { bench: 'drain', name: 'backlog drained (24 h, all classes)', value: drainS === null ? null : Math.round(backlog / drainS), unit: 'records/s', note: `${setup}; cap ${cap.toLocaleString('en-US')}/s (${rate}/s per gateway)`, details },
    { bench: 'drain', name: 'backlog drain time', value: drainS, unit: 's', note: `from "central ready"; stored ${storedAll}/${backlog} (${Object.entries(final).map(([k, n]) => `${k} ${n}/${byClass[k] ?? 0}`).join(', ')}); ${historical} punches marked historical` },
    { bench: 'drain', name: 'live punch made at central ready, stored max', value: maxA, unit: 'ms', note: `${waveA.length}/${o.gateways} (1 per gateway), p50 ${round(percentile(waveA, 50), 0) ?? '?'} ms; includes the gateways reconnecting (reconnectMs 500)` },
    { bench: 'drain', name: 'live punch stored, p50', value: percentile(waveB, 50), unit: 'ms', note: `${waveB.length}/${o.gateways} live punches made ${((waveBAt - readyAt) / 1000).toFixed(1)} s after "central ready", as the backlog arrived (${backlog - storedAtB} records not yet stored)` },
    { bench: 'drain', name: 'live punch stored, max', value: maxB, unit: 'ms' },
    { bench: 'drain', name: 'live max / drain time', value: maxB === null || drainS === null ? null : maxB / 1000 / drainS, unit: 'x', note: 'well below 1: live punches do not wait for the backlog' },
    { bench: 'drain', name: 'latest-wins kept and delivered', value: keptThumbs + keptHealth, unit: 'messages', note: `${keptThumbs} thumbnails (of ${cameras} cameras) and ${keptHealth} health reports (of ${o.gateways}) from before each gateway was back (${births.length} births)` },
    { bench: 'drain', name: 'wire bytes per record (24 h mix)', value: round(wire.bytes / Math.max(1, storedAll), 0), unit: 'B', note: `events + acks + PUBACKs, batchSize 200: ${wire.events.packets} events messages, ${round(storedAll / Math.max(1, wire.events.packets))} records each` },
    ...wireCompare.rows,
  ];
}

/**
 * Two single gateways with the same punch-only backlog, each behind its own counting
 * proxy, one with mqtt.batchSize 200 (the default) and one with 1. The unbatched one
 * needs a round trip and a central write per record, so it is measured for a while,
 * not to the end.
 */
async function compareBatching(dir: string, brokerPort: number, wide: Fleet, narrow: Fleet, wideBacklog: BacklogWritten, narrowBacklog: BacklogWritten, influx: Influxd, unbatchedS: number): Promise<{ rows: Row[]; details: Record<string, unknown> }> {
  const run = async (fleet: Fleet, batchSize: number, punches: number, prefix: string, limitS: number) => {
    const meter = new MqttMeter(brokerPort);
    const meterPort = await meter.listen();
    onCleanup(() => meter.close());
    const r0 = meter.read();
    const started = Date.now();
    await fleet.start(`mqtt://127.0.0.1:${meterPort}`, { mqtt: { batchSize } });
    await pollUntil(() => countPunches(influx, `^${prefix}`), (n) => n >= punches, limitS * 1000, 200);
    const s = (Date.now() - started) / 1000;
    // Stop, then count: a record published before the stop is stored (the central does
    // not need the gateway to write it), so bytes and records cover the same messages.
    await Promise.all(fleet.hosts.map((h) => h.stop()));
    await sleep(1000);
    const stored = await countPunches(influx, `^${prefix}`);
    const wire = recordWire(meterDiff(r0, meter.read()));
    return { batchSize, punches, stored, s: round(s), recordsPerS: round(stored / s), bytesPerPunch: round(wire.bytes / Math.max(1, stored), 0), packetsPerPunch: round(wire.packets / Math.max(1, stored), 2), eventsMessages: wire.events.packets, eventsBytes: wire.events.bytes, ackBytes: wire.acks.bytes };
  };
  console.log(`[bench] drain: wire bytes per punch, batchSize 200 (${wideBacklog.records} punches) then 1 (up to ${unbatchedS} s)`);
  const b200 = await run(wide, 200, wideBacklog.records, 'P200e', 120);
  const b1 = await run(narrow, 1, narrowBacklog.records, 'P1e', unbatchedS);
  const rows: Row[] = [
    { bench: 'drain', name: 'wire bytes per punch, batchSize 200', value: b200.bytesPerPunch, unit: 'B', note: `1 gateway, ${b200.stored}/${b200.punches} backlog punches in ${b200.s} s (${b200.recordsPerS}/s), ${b200.packetsPerPunch} MQTT packets per punch` },
    { bench: 'drain', name: 'wire bytes per punch, batchSize 1', value: b1.bytesPerPunch, unit: 'B', note: `1 gateway, ${b1.stored} punches in ${b1.s} s (${b1.recordsPerS}/s: one central write per record), ${b1.packetsPerPunch} MQTT packets per punch (+ ~52 B TCP/IP each)` },
    { bench: 'drain', name: 'wire bytes per punch 1/200', value: ratio(b1.bytesPerPunch, b200.bytesPerPunch), unit: 'x', note: 'MQTT bytes only; TCP/IP headers would widen it' },
  ];
  return { rows, details: { batch200: b200, batch1: b1 } };
}
