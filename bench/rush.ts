import { join } from 'node:path';
import { mkdirSync, readdirSync } from 'node:fs';
import { freePort } from '../scripts/lib/ports.js';
import { Fleet } from './lib/fleet.js';
import { onCleanup, pollUntil, sleep } from './lib/proc.js';
import { percentile, type Row } from './lib/report.js';
import { DATABASE, countPunches, influxWriteDiff, influxWriteStats, startCentral, startInflux, writeCentralConfig } from './lib/services.js';
import { SnapshotSource, SOURCE_HEIGHT, SOURCE_WIDTH } from './lib/snapshot-source.js';
import { ArrivalWatcher } from './lib/watch.js';
import { cpuSpan, waitQuiet } from './lib/cpu.js';

/**
 * Morning rush: G gateways in gateway-host processes, each reading a simulated ZK
 * terminal over TCP and C simulated cameras (plain snapshot URL, see
 * lib/snapshot-source.ts) whose thumbnails travel the real snapshot path to the
 * central; P punches at uniformly random moments over S seconds on random terminals.
 * Latency is from the simulated punch to the punch being queryable in InfluxDB; loss
 * is checked by counting, for punches and for thumbnails. Central and gateways run
 * their defaults.
 */
export interface RushOptions {
  dir: string;
  gateways: number;
  punches: number;
  rushS: number;
  /** Cameras per gateway; 0: punches only. */
  cameras: number;
  cameraIntervalS: number;
  /** ZK reconcileIntervalS; undefined: the driver default (300). */
  reconcileS: number | undefined;
  /** Cameras as they come after every gateway started at once: grabbing in step, no spread. */
  inStep: boolean;
}

const POLL_MS = 200;

/** JPEG files under the central's snapshot directory. */
function countFiles(dir: string): number {
  let n = 0;
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    if (e.isDirectory()) n += countFiles(join(dir, e.name));
    else if (e.name.endsWith('.jpg')) n++;
  }
  return n;
}

export async function benchRush(o: RushOptions): Promise<Row[]> {
  const dir = join(o.dir, 'rush');
  mkdirSync(dir, { recursive: true });
  const fleet = new Fleet(dir, o.gateways, 'gw-r');
  const cameras = o.gateways * o.cameras;
  const hostCount = Math.ceil(o.gateways / fleet.perHost);
  console.log(`[bench] rush: starting influxd, central and ${o.gateways} gateways${cameras > 0 ? ` with ${cameras} cameras` : ''} in ${hostCount} host processes`);
  const source = new SnapshotSource(o.inStep ? 0 : o.cameraIntervalS);
  if (cameras > 0) {
    await source.start();
    onCleanup(() => source.stop());
  }
  const influx = await startInflux(dir);
  const port = await freePort();
  const central = await startCentral(await writeCentralConfig({ dir, influxUrl: influx.url, gateways: fleet.gateways, brokerPort: port }), dir);
  await fleet.start(`mqtt://127.0.0.1:${port}`, {
    cameras: o.cameras,
    source,
    cameraIntervalS: o.cameraIntervalS,
    ...(cameras > 0 && !o.inStep && { staggerS: o.cameraIntervalS }),
    ...(o.reconcileS !== undefined && { reconcileIntervalS: o.reconcileS }),
  });

  // Warm-up: a punch stored from every gateway, so each has its MQTT session and live
  // events. A punch made before the driver registered for live events waits in the
  // terminal's log for the next download (5 minutes by default): punch again on the
  // gateways still missing rather than wait for it.
  const warmStored = new Set<string>();
  const warmDeadline = Date.now() + 120_000;
  for (let round = 0; warmStored.size < o.gateways && Date.now() < warmDeadline; round++) {
    fleet.sims.forEach((s, i) => {
      if (!warmStored.has(fleet.gateways[i]!)) s.punch(`W${i}x${round}`);
    });
    await pollUntil(
      async () => {
        for (const row of await influx.query(DATABASE, `SELECT COUNT(employee) FROM punch WHERE employee =~ /^W/ GROUP BY gateway`)) warmStored.add(String(row.gateway));
        return warmStored.size;
      },
      (n) => n >= o.gateways,
      5000,
      250,
    );
  }
  if (warmStored.size < o.gateways) console.log(`[bench] rush: only ${warmStored.size}/${o.gateways} gateways stored a warm-up punch in 120 s; going on`);
  if (cameras > 0) {
    // Every camera answered once: from then on thumbnails arrive at a steady rate.
    const answered = await pollUntil(async () => source.camerasSeen, (n) => n >= cameras, 60_000 + o.cameraIntervalS * 1000, 250);
    if (answered < cameras) console.log(`[bench] rush: only ${answered}/${cameras} cameras answered; going on`);
  }

  await waitQuiet('rush');
  const watcher = new ArrivalWatcher(influx, 'R', POLL_MS);
  watcher.start();
  const times = Array.from({ length: o.punches }, () => Math.random() * o.rushS * 1000).sort((a, b) => a - b);
  console.log(`[bench] rush: ${o.punches} punches over ${o.rushS} s${cameras > 0 ? `, thumbnails from ${cameras} cameras every ${o.cameraIntervalS} s` : ''}`);
  const span = cpuSpan({ central: central.proc.pid, ...Object.fromEntries(fleet.hosts.map((h, k) => [`host${k}`, h.proc.pid])) });
  const served0 = source.stats.served;
  const writes0 = await influxWriteStats(influx);
  const t0 = Date.now();
  const begin = performance.now();
  let late = 0;
  for (let i = 0; i < o.punches; i++) {
    const wait = times[i]! - (performance.now() - begin);
    if (wait > 1) await sleep(wait);
    else if (wait < -100) late++;
    const employee = `R${i}`;
    fleet.sims[Math.floor(Math.random() * o.gateways)]!.punch(employee, new Date());
    watcher.expect(employee);
  }
  const rushWall = (performance.now() - begin) / 1000;
  const t1 = Date.now();
  const servedInRush = source.stats.served - served0;
  await watcher.settle(120_000);
  const cpu = span();
  const writes = influxWriteDiff(writes0, await influxWriteStats(influx));
  const hostCores = fleet.hosts.reduce((n, _, k) => n + (cpu.named[`host${k}`] ?? 0), 0);
  const stored = await countPunches(influx, '^R');

  // Thumbnails: once the cameras stop answering, every picture served must end up stored.
  let thumbs: Record<string, unknown> | undefined;
  const thumbRows: Row[] = [];
  if (cameras > 0) {
    source.closeShutter();
    const served = source.stats.served; // nothing is answered after the shutter closed
    const count = async () => Number((await influx.query(DATABASE, `SELECT COUNT(bytes) FROM "ops"."snapshot" WHERE kind = 'thumb'`))[0]?.count ?? 0);
    // A picture served before the shutter closed may still be on its way: thumbnail,
    // MQTT, the central's file and its InfluxDB write. Wait for both records of it.
    let files = 0;
    let rows = 0;
    await pollUntil(
      async () => {
        files = countFiles(join(dir, 'snapshots'));
        rows = await count();
        return Math.min(files, rows);
      },
      (n) => n >= served,
      30_000,
      500,
    );
    const window = await influx.query(DATABASE, `SELECT delay_ms, bytes FROM "ops"."snapshot" WHERE kind = 'thumb' AND time >= ${t0}000000 AND time < ${t1}000000`);
    const delays = window.map((r) => Number(r.delay_ms)).filter(Number.isFinite);
    const bytes = window.map((r) => Number(r.bytes)).filter(Number.isFinite);
    const meanBytes = bytes.length === 0 ? null : Math.round(bytes.reduce((a, b) => a + b, 0) / bytes.length);
    const lostThumbs = Math.max(0, served - Math.min(files, rows));
    thumbs = {
      cameras,
      perGateway: o.cameras,
      intervalS: o.cameraIntervalS,
      source: `${SOURCE_WIDTH}x${SOURCE_HEIGHT} JPEG (${source.meanSourceBytes} B mean) over plain HTTP; the gateway makes the 480x270 thumbnail`,
      phases: o.inStep ? 'in step: every gateway started at once, first answers not held (--in-step)' : `spread: host processes started over ${o.cameraIntervalS} s, first answers held 0-6 s (lib/snapshot-source.ts)`,
      servedAll: served,
      storedAll: rows,
      filesAtCentral: files,
      servedInRush,
      storedInRush: window.length,
      perSecondInRush: Math.round((window.length / rushWall) * 10) / 10,
      meanThumbBytes: meanBytes,
      delayMs: { p50: percentile(delays, 50), p95: percentile(delays, 95), p99: percentile(delays, 99), max: percentile(delays, 100) },
    };
    const setup = `${cameras} cameras (${o.cameras} per gateway) every ${o.cameraIntervalS} s${o.inStep ? ' IN STEP' : ''}, ${meanBytes ?? '?'} B thumbnails`;
    thumbRows.push(
      { bench: 'rush', name: 'thumbnails stored during the rush', value: window.length, unit: 'thumbnails', note: `${setup}; ${thumbs.perSecondInRush}/s, by capture time` },
      { bench: 'rush', name: 'thumbnail capture -> filed p50', value: percentile(delays, 50), unit: 'ms', note: 'ops.snapshot delay_ms: gateway capturedAt to the central filing it (thumbnail encode, MQTT, verify, write)' },
      { bench: 'rush', name: 'thumbnail capture -> filed p95', value: percentile(delays, 95), unit: 'ms' },
      { bench: 'rush', name: 'thumbnails lost', value: lostThumbs, unit: 'thumbnails', note: `served ${served} pictures, ops.snapshot has ${rows}, ${files} JPEG files at the central` },
    );
  }

  const lat = [...watcher.latencies.values()];
  const lost = o.punches - watcher.latencies.size;
  const setup = `${o.gateways} gateways (${fleet.hosts.length} hosts), ${o.punches} punches over ${o.rushS} s${cameras > 0 ? `, + ${cameras} cameras' thumbnails` : ', no cameras'}`;
  const details = {
    gateways: o.gateways,
    hostProcesses: fleet.hosts.length,
    gatewaysPerHost: fleet.perHost,
    punches: o.punches,
    rushS: o.rushS,
    zkReconcileIntervalS: o.reconcileS ?? 'driver default (300)',
    rushWallS: Math.round(rushWall * 10) / 10,
    punchesLateOver100ms: late,
    stored,
    seen: watcher.latencies.size,
    pollEveryMs: POLL_MS,
    pollQueryMs: { p50: percentile(watcher.pollMs, 50), p95: percentile(watcher.pollMs, 95), max: percentile(watcher.pollMs, 100) },
    influxWrites: writes,
    cpuCores: { central: cpu.named.central, gatewayHosts: Math.round(hostCores * 100) / 100, benchProcess: cpu.self, allOurs: cpu.ours, otherLoad: cpu.others },
    thumbnails: thumbs ?? null,
  };
  const ms = (p: number) => {
    const v = percentile(lat, p);
    return v === null ? null : Math.round(v);
  };
  return [
    { bench: 'rush', name: 'punch -> queryable p50', value: ms(50), unit: 'ms', note: setup, details },
    { bench: 'rush', name: 'punch -> queryable p95', value: ms(95), unit: 'ms', note: `InfluxDB polled every ${POLL_MS} ms (±${POLL_MS / 2} ms)` },
    { bench: 'rush', name: 'punch -> queryable p99', value: ms(99), unit: 'ms', note: `cores: central ${cpu.named.central ?? '?'}, gateway hosts ${details.cpuCores.gatewayHosts}, bench process ${cpu.self ?? '?'}, other load ${cpu.others ?? '?'}` },
    { bench: 'rush', name: 'punch -> queryable max', value: ms(100), unit: 'ms' },
    { bench: 'rush', name: 'punches lost', value: lost, unit: 'punches', note: `stored ${stored} of ${o.punches} (COUNT in InfluxDB)${stored > o.punches ? ' — more than produced!' : ''}` },
    ...thumbRows,
  ];
}
