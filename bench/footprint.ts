import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { freePort } from '../scripts/lib/ports.js';
import { OnvifCameraSim } from '../sim/onvif-camera.js';
import { RtspTestServer } from '../sim/rtsp-server.js';
import { ZkTerminalSim } from '../sim/zk-terminal.js';
import { cpuSpan, waitQuiet } from './lib/cpu.js';
import { MqttMeter, meterDiff, sumTallies } from './lib/mqtt-meter.js';
import { Child, onCleanup, pollUntil, sleep } from './lib/proc.js';
import { ProcSampler, childrenOf, cpuTimes, processesMatching, statusKiB } from './lib/procfs.js';
import type { Row } from './lib/report.js';
import { DATABASE, countPunches, startCentral, startInflux, writeCentralConfig } from './lib/services.js';

/**
 * Gateway footprint with cameras: one gateway process (gateway-host, one config) with
 * 2 simulated ZK terminals over TCP (a punch every 2-6 s each) and 8 simulated ONVIF
 * cameras (1280x720, Digest-protected snapshot URI; 2 of them answer the snapshot URI
 * with 500 and are grabbed from a GStreamer RTSP stream through ffmpeg), publishing to
 * a central (embedded broker, private influxd) through a byte-counting TCP proxy.
 * Measured over the window after every camera delivered its first thumbnail: the
 * gateway's RSS (every second) and CPU, ffmpeg processes left behind, thumbnails
 * stored, bytes per thumbnail, MQTT bytes on the office uplink scaled to an hour, and
 * the snapshot budget figures the gateway reports in its health.
 */
export interface FootprintOptions {
  dir: string;
  /** Measured window, seconds. */
  measureS: number;
  /** Camera intervalS. */
  intervalS: number;
  /** Gateway health.intervalS (the default 60 in a full run). */
  healthIntervalS: number;
}

const GATEWAY = 'gw-fp000';
const CAMERAS = 8;
const RTSP_ONLY = 2;
const TERMINALS = 2;
const CREDS = { username: 'admin', password: 'rahasia-kamera' };
const WIDTH = 1280;
const HEIGHT = 720;
const THUMB_QUALITY = 65; // CameraConfig thumbnail.quality default
const CAMERA_TIMEOUT_MS = 10_000; // CameraConfig timeoutMs default; ffmpeg is killed 2 s after it

/** Why the ffmpeg path cannot run here, or undefined. */
function rtspUnavailable(): string | undefined {
  const ff = spawnSync('ffmpeg', ['-version'], { encoding: 'utf8', timeout: 10_000 });
  if (ff.error || ff.status !== 0) return 'ffmpeg is not installed';
  return RtspTestServer.unavailableReason();
}

/** Punches on each terminal at random intervals of 2-6 s until stop(). */
class Puncher {
  made = 0;
  private readonly timers = new Set<NodeJS.Timeout>();
  private running = true;

  constructor(private readonly sims: ZkTerminalSim[]) {
    sims.forEach((_, k) => this.next(k));
  }

  private next(k: number): void {
    if (!this.running) return;
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (!this.running) return;
      this.sims[k]!.punch(`F${k}n${this.made++}`);
      this.next(k);
    }, 2000 + Math.random() * 4000);
    this.timers.add(t);
  }

  stop(): void {
    this.running = false;
    for (const t of this.timers) clearTimeout(t);
  }
}

const round = (v: number | null | undefined, digits = 1): number | null => (v == null || !Number.isFinite(v) ? null : Math.round(v * 10 ** digits) / 10 ** digits);
const mib = (kib: number | null): number | null => (kib === null ? null : round(kib / 1024));
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);


export async function benchFootprint(o: FootprintOptions): Promise<Row[]> {
  const dir = join(o.dir, 'footprint');
  mkdirSync(dir, { recursive: true });
  const began = Date.now();
  const noRtsp = rtspUnavailable();
  if (noRtsp !== undefined) console.log(`[bench] footprint: the RTSP path cannot run here (${noRtsp}); all ${CAMERAS} cameras use the snapshot URI`);
  const rtspCount = noRtsp === undefined ? RTSP_ONLY : 0;
  console.log(`[bench] footprint: influxd, central, ${TERMINALS} ZK terminals, ${CAMERAS} cameras (${rtspCount} RTSP-only) and one gateway; ${o.measureS} s at intervalS ${o.intervalS}`);

  const startRtsp = async (i: number): Promise<RtspTestServer> => {
    const s = await RtspTestServer.start(0, '/stream', { title: `Kamera ${CAMERAS - rtspCount + i + 1}`, width: WIDTH, height: HEIGHT, fps: 10 });
    onCleanup(() => s.stop());
    return s;
  };
  const startCamera = async (i: number, rtsp: RtspTestServer | undefined): Promise<{ sim: OnvifCameraSim; port: number }> => {
    const sim = new OnvifCameraSim({ ...CREDS, name: `Kamera ${i + 1}`, width: WIDTH, height: HEIGHT, ...(rtsp && { rtspUrl: rtsp.url }) });
    if (rtsp) sim.faults.rtspOnly = true;
    const port = await sim.start(0);
    onCleanup(() => sim.stop());
    return { sim, port };
  };
  const terminals = Array.from({ length: TERMINALS }, () => new ZkTerminalSim({ zone: 'Asia/Jakarta' }));
  onCleanup(() => Promise.all(terminals.map((t) => t.close())).then(() => undefined));

  const [influx, rtsps, terminalPorts] = await Promise.all([
    startInflux(dir),
    Promise.all(Array.from({ length: rtspCount }, (_, i) => startRtsp(i))),
    Promise.all(terminals.map((t) => t.listenTcp(0))),
  ]);
  const cameras = await Promise.all(Array.from({ length: CAMERAS }, (_, i) => startCamera(i, rtsps[i - (CAMERAS - rtspCount)])));
  const brokerPort = await freePort();
  const central = await startCentral(await writeCentralConfig({ dir, influxUrl: influx.url, gateways: [GATEWAY], brokerPort }), dir);
  const meter = new MqttMeter(brokerPort);
  const meterPort = await meter.listen();
  onCleanup(() => meter.close());

  const cameraIds = cameras.map((_, i) => `cam-${i + 1}`);
  const configFile = join(dir, `${GATEWAY}.yaml`);
  writeFileSync(
    configFile,
    stringify({
      gateway: { id: GATEWAY, dataDir: `${GATEWAY}-data` },
      mqtt: { url: `mqtt://127.0.0.1:${meterPort}` },
      health: { intervalS: o.healthIntervalS },
      terminals: terminalPorts.map((port, i) => ({ id: `zk-${i}`, driver: 'zk', host: '127.0.0.1', port, zone: 'Asia/Jakarta' })),
      cameras: cameras.map((c, i) => ({ id: cameraIds[i], name: c.sim.name, onvif: { host: '127.0.0.1', port: c.port }, ...CREDS, intervalS: o.intervalS })),
      log: { level: 'warn' },
    }),
  );
  const setupS = round((Date.now() - began) / 1000);
  const gateway = Child.node('gateway', 'scripts/gateway-host.js', [configFile], join(dir, 'gateway.log'));
  const pid = gateway.proc.pid;
  if (pid === undefined) throw new Error(`gateway did not start\n${gateway.tail()}`);
  const sampler = new ProcSampler(pid, 'ffmpeg');
  sampler.start();
  onCleanup(() => sampler.stop());
  await gateway.waitFor('gateway host ready', 60_000);
  const unconnected = await pollUntil(async () => terminals.filter((t) => t.stats.connects === 0).length, (n) => n === 0, 30_000);
  if (unconnected > 0) throw new Error(`${unconnected} terminals never saw the gateway\n${gateway.tail()}`);
  const puncher = new Puncher(terminals);
  onCleanup(() => puncher.stop());

  // Warm-up: every camera has published a thumbnail (ONVIF resolved, first grab done), so the window sees steady state.
  const gatewayS = round((Date.now() - began) / 1000 - (setupS ?? 0));
  const warmStart = Date.now();
  const [warmed] = await Promise.all([
    pollUntil(
      async () => cameraIds.filter((id) => (meter.read().packets.up[`publish pemda/v1/${GATEWAY}/snapshot/${id}`]?.packets ?? 0) === 0),
      (missing) => missing.length === 0,
      Math.max(20_000, 3 * o.intervalS * 1000),
      250,
    ),
    waitQuiet('footprint'),
  ]);
  const warmS = round((Date.now() - warmStart) / 1000);
  if (warmed.length > 0) console.log(`[bench] footprint: no thumbnail yet from ${warmed.join(', ')} after ${warmS} s; measuring anyway`);

  // ---- the measured window ----
  const m0 = meter.read();
  const cpu0 = cpuTimes(pid);
  const made0 = puncher.made;
  const span = cpuSpan({ central: central.proc.pid });
  const t0 = Date.now();
  console.log(`[bench] footprint: measuring ${o.measureS} s`);
  await sleep(o.measureS * 1000);
  const t1 = Date.now();
  const cpu1 = cpuTimes(pid);
  const m1 = meter.read();
  const cpu = span();
  const made = puncher.made - made0;
  const rssEndKiB = statusKiB(pid, 'VmRSS');
  const hwmKiB = statusKiB(pid, 'VmHWM');
  const kidsAtEnd = (await childrenOf(pid)).filter((k) => k.comm === 'ffmpeg');
  sampler.stop();
  puncher.stop();
  const windowS = (t1 - t0) / 1000;

  // Stop the gateway: an ffmpeg it left running would outlive it (reparented), so look for ours afterwards.
  const rtspNeedles = rtsps.map((r) => new URL(r.url).host);
  await gateway.stop();
  await sleep(500);
  const orphans = rtspNeedles.length > 0 ? processesMatching('ffmpeg', rtspNeedles) : [];
  const killLimitS = (CAMERA_TIMEOUT_MS + 2000) / 1000;
  const stuck = kidsAtEnd.filter((k) => k.stat.startsWith('Z') || k.ageS > killLimitS);

  // ---- what the central stored ----
  await sleep(500); // the central's writer flushes every 200 ms
  const t0ns = `${t0}000000`;
  const t1ns = `${t1}000000`;
  // source is a field, not a tag: one query per source.
  const thumbs = await Promise.all(
    (['snapshot-uri', 'rtsp'] as const).map(async (source) => {
      const rows = await influx.query(
        DATABASE,
        `SELECT COUNT(bytes) AS n, MEAN(bytes) AS mean_bytes, MEAN(delay_ms) AS delay_ms FROM "ops"."snapshot" WHERE gateway = '${GATEWAY}' AND kind = 'thumb' AND source = '${source}' AND time >= ${t0ns} AND time < ${t1ns}`,
      );
      const row = rows[0] ?? {};
      return { source, n: num(row.n), mean_bytes: num(row.mean_bytes), delay_ms: num(row.delay_ms) };
    }),
  );
  const bySource = Object.fromEntries(thumbs.filter((r) => r.n !== null).map((r) => [r.source, { count: r.n ?? 0, meanBytes: round(r.mean_bytes, 0), meanDelayMs: round(r.delay_ms, 0) }]));
  const thumbCount = thumbs.reduce((n, r) => n + (r.n ?? 0), 0);
  const meanBytes = thumbCount === 0 ? null : thumbs.reduce((n, r) => n + (r.n ?? 0) * (r.mean_bytes ?? 0), 0) / thumbCount;
  const health = await influx.query(
    DATABASE,
    `SELECT snapshots_sent_kbps, snapshots_budget_kbps, snapshots_stretch, snapshots_quality, snapshots_dropped, rss_bytes FROM "ops"."gateway_health" WHERE gateway = '${GATEWAY}'`,
  );
  const lastHealth = health.at(-1);
  const stretches = health.map((h) => num(h.snapshots_stretch)).filter((v): v is number => v !== null);
  const stored = await countPunches(influx, '^F');
  const healthRss = num(lastHealth?.rss_bytes);

  // ---- wire bytes in the window ----
  const w = meterDiff(m0, m1);
  const root = `publish pemda/v1/${GATEWAY}/`;
  const snap = sumTallies(w.packets.up, (k) => k.startsWith(`${root}snapshot/`));
  const events = sumTallies(w.packets.up, (k) => k === `${root}events`);
  const acks = sumTallies(w.packets.down, (k) => k === `${root}ack`);
  const healthT = sumTallies(w.packets.up, (k) => k === `${root}health`);
  const totalBytes = w.bytes.up + w.bytes.down;
  const otherBytes = totalBytes - snap.bytes - events.bytes - acks.bytes - healthT.bytes;
  const perHour = (bytes: number) => (bytes / windowS) * 3600;
  const mb = (bytes: number) => round(perHour(bytes) / 1e6, 2);
  const kbps = (bytes: number) => round((bytes * 8) / windowS / 1000);
  const wirePerThumb = snap.packets === 0 ? null : snap.bytes / snap.packets;
  const payloadPerThumb = snap.packets === 0 ? null : snap.payloadBytes / snap.packets;
  const headerBytes = payloadPerThumb === null || meanBytes === null ? null : payloadPerThumb - meanBytes;

  const stretch = num(lastHealth?.snapshots_stretch) ?? 1;
  const expected = Math.round((CAMERAS * windowS) / (o.intervalS * Math.max(1, stretch)));
  const gwCores = cpu0 && cpu1 ? round((cpu1.self - cpu0.self) / windowS, 3) : null;
  const ffmpegCores = cpu0 && cpu1 ? round((cpu1.children - cpu0.children) / windowS, 3) : null;
  const left = stuck.length + orphans.length;
  const setup = `1 gateway, ${TERMINALS} ZK terminals, ${CAMERAS} cameras ${WIDTH}x${HEIGHT} (${rtspCount} RTSP-only) at intervalS ${o.intervalS}, ${round(windowS, 0)} s`;
  const details = {
    measureS: round(windowS),
    phasesS: { setup: setupS, gatewayStart: gatewayS, warmup: warmS, teardownToResults: round((Date.now() - t1) / 1000) },
    cameras: CAMERAS,
    rtspOnlyCameras: rtspCount,
    rtspUnavailable: noRtsp ?? null,
    terminals: TERMINALS,
    intervalS: o.intervalS,
    healthIntervalS: o.healthIntervalS,
    rssMiB: { max: mib(sampler.maxRssKiB), end: mib(rssEndKiB), vmHwm: mib(hwmKiB), samples: sampler.rssKiB.length, healthLast: healthRss === null ? null : round(healthRss / 2 ** 20) },
    cpuCores: { gateway: gwCores, ffmpegChildren: ffmpegCores, central: cpu.named.central, allOurs: cpu.ours, benchProcess: cpu.self, otherLoad: cpu.others },
    ffmpeg: { runningAtEnd: kidsAtEnd.length, stuckAtEnd: stuck.map((k) => ({ pid: k.pid, stat: k.stat, ageS: k.ageS })), orphansAfterStop: orphans, maxConcurrent: sampler.maxChildren, maxRssMiB: mib(sampler.maxChildrenRssKiB), seenBySampler: sampler.childrenSeen.size },
    thumbnails: { delivered: thumbCount, expectedIgnoringGrabTime: expected, bySource, meanJpegBytes: round(meanBytes, 0), mqttPayloadBytes: round(payloadPerThumb, 0), mqttPacketBytes: round(wirePerThumb, 0), publishedInWindow: snap.packets },
    punches: { madeInWindow: made, storedAll: stored, madeAll: puncher.made },
    wire: {
      windowBytes: { up: w.bytes.up, down: w.bytes.down },
      perHourMB: { total: mb(totalBytes), up: mb(w.bytes.up), down: mb(w.bytes.down), snapshots: mb(snap.bytes), events: mb(events.bytes), acks: mb(acks.bytes), health: mb(healthT.bytes), other: mb(otherBytes) },
      kbps: { total: kbps(totalBytes), up: kbps(w.bytes.up), snapshots: kbps(snap.bytes) },
      packets: w.packets,
    },
    health: {
      reports: health.length,
      last: lastHealth ?? null,
      maxStretch: stretches.length === 0 ? null : Math.max(...stretches),
    },
  };

  const sources = Object.entries(bySource)
    .map(([s, v]) => `${s} ${v.count} (${v.meanBytes ?? '?'} B)`)
    .join(', ');
  const sentKbps = num(lastHealth?.snapshots_sent_kbps);
  return [
    { bench: 'footprint', name: 'gateway RSS max', value: mib(sampler.maxRssKiB), unit: 'MiB', note: setup, details },
    { bench: 'footprint', name: 'gateway RSS at end', value: mib(rssEndKiB), unit: 'MiB', note: `VmRSS every second (${sampler.rssKiB.length} samples); ffmpeg children up to ${mib(sampler.maxChildrenRssKiB) ?? '?'} MiB more` },
    {
      bench: 'footprint',
      name: 'gateway CPU',
      value: gwCores,
      unit: 'cores',
      note: `utime+stime over the window; its ffmpeg children ${ffmpegCores ?? '?'}, central ${cpu.named.central ?? '?'}, bench process ${cpu.self ?? '?'}, other load ${cpu.others ?? '?'}`,
    },
    {
      bench: 'footprint',
      name: 'ffmpeg processes left',
      value: left,
      unit: 'processes',
      note: `at the end ${kidsAtEnd.length} running (${stuck.length} zombie or older than ${killLimitS} s), ${orphans.length} alive after the gateway stopped; up to ${sampler.maxChildren} at once`,
    },
    {
      bench: 'footprint',
      name: 'thumbnails delivered',
      value: thumbCount,
      unit: 'thumbnails',
      note: `ops.snapshot in the window: ${sources || 'none'}; ${expected} expected at stretch ${stretch} without grab time`,
    },
    { bench: 'footprint', name: 'bytes per thumbnail', value: round(meanBytes, 0), unit: 'B', note: `mean JPEG (ops.snapshot bytes), 480x270 at quality ${THUMB_QUALITY}; simulated pictures, flatter than a real scene` },
    {
      bench: 'footprint',
      name: 'MQTT message per thumbnail',
      value: round(payloadPerThumb, 0),
      unit: 'B',
      note: `JPEG + ${round(headerBytes, 0) ?? '?'} B PSNP header; ${round(wirePerThumb, 0) ?? '?'} B on the wire with topic and MQTT header`,
    },
    {
      bench: 'footprint',
      name: 'office wire bytes per hour',
      value: mb(totalBytes),
      unit: 'MB/h',
      note: `MQTT both ways, ${kbps(totalBytes) ?? '?'} kbit/s: thumbnails ${mb(snap.bytes)}, events ${mb(events.bytes)} + acks ${mb(acks.bytes)} (${made} punches), health ${mb(healthT.bytes)} (every ${o.healthIntervalS} s), other ${mb(otherBytes)}; no TCP/IP headers`,
    },
    { bench: 'footprint', name: 'thumbnails wire per hour', value: mb(snap.bytes), unit: 'MB/h', note: `${snap.packets} snapshot messages in ${round(windowS, 0)} s, ${kbps(snap.bytes) ?? '?'} kbit/s at the proxy` },
    {
      bench: 'footprint',
      name: 'snapshots_sent_kbps (health)',
      value: sentKbps,
      unit: 'kbit/s',
      note: `last of ${health.length} ops.gateway_health reports; budget ${num(lastHealth?.snapshots_budget_kbps) ?? '?'} kbit/s, quality ${num(lastHealth?.snapshots_quality) ?? '?'}, dropped ${num(lastHealth?.snapshots_dropped) ?? '?'}`,
    },
    { bench: 'footprint', name: 'snapshots_stretch (health)', value: num(lastHealth?.snapshots_stretch), unit: 'x', note: `last report; max ${details.health.maxStretch ?? '?'}` },
  ];
}
