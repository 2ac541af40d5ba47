import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { freePort } from '../scripts/lib/ports.js';
import { Fleet, PER_HOST } from './lib/fleet.js';
import { pollUntil, sleep } from './lib/proc.js';
import { percentile, type Row } from './lib/report.js';
import { countPunches, startCentral, startInflux, writeCentralConfig } from './lib/services.js';
import { ArrivalWatcher } from './lib/watch.js';
import { cpuSpan, waitQuiet } from './lib/cpu.js';

/**
 * Morning rush: G gateways in gateway-host processes, each reading a simulated ZK
 * terminal over TCP; P punches at uniformly random moments over S seconds on random
 * terminals. Latency is from the simulated punch to the punch being queryable in
 * InfluxDB; loss is checked by counting. Central and gateways run their defaults.
 */
export interface RushOptions {
  dir: string;
  gateways: number;
  punches: number;
  rushS: number;
}

const POLL_MS = 200;

export async function benchRush(o: RushOptions): Promise<Row[]> {
  const dir = join(o.dir, 'rush');
  mkdirSync(dir, { recursive: true });
  const fleet = new Fleet(dir, o.gateways, 'gw-r');
  console.log(`[bench] rush: starting influxd, central and ${o.gateways} gateways in ${Math.ceil(o.gateways / PER_HOST)} host processes`);
  const influx = await startInflux(dir);
  const port = await freePort();
  const central = await startCentral(await writeCentralConfig({ dir, influxUrl: influx.url, gateways: fleet.gateways, brokerPort: port }), dir);
  await fleet.start(`mqtt://127.0.0.1:${port}`);

  // Warm-up: one punch per terminal, all stored, so every gateway has its MQTT session and live events.
  fleet.sims.forEach((s, i) => s.punch(`W${i}`));
  const warm = await pollUntil(() => countPunches(influx, '^W'), (n) => n >= o.gateways, 90_000, 250);
  if (warm < o.gateways) console.log(`[bench] rush: only ${warm}/${o.gateways} warm-up punches stored after 90 s; going on`);

  await waitQuiet('rush');
  const watcher = new ArrivalWatcher(influx, 'R', POLL_MS);
  watcher.start();
  const times = Array.from({ length: o.punches }, () => Math.random() * o.rushS * 1000).sort((a, b) => a - b);
  console.log(`[bench] rush: ${o.punches} punches over ${o.rushS} s`);
  const span = cpuSpan({ central: central.proc.pid, ...Object.fromEntries(fleet.hosts.map((h, k) => [`host${k}`, h.proc.pid])) });
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
  await watcher.settle(120_000);
  const cpu = span();
  const hostCores = fleet.hosts.reduce((n, _, k) => n + (cpu.named[`host${k}`] ?? 0), 0);
  const stored = await countPunches(influx, '^R');

  const lat = [...watcher.latencies.values()];
  const lost = o.punches - watcher.latencies.size;
  const setup = `${o.gateways} gateways (${fleet.hosts.length} hosts), ${o.punches} punches over ${o.rushS} s`;
  const details = {
    gateways: o.gateways,
    hostProcesses: fleet.hosts.length,
    punches: o.punches,
    rushS: o.rushS,
    rushWallS: Math.round(rushWall * 10) / 10,
    punchesLateOver100ms: late,
    stored,
    seen: watcher.latencies.size,
    pollEveryMs: POLL_MS,
    pollQueryMs: { p50: percentile(watcher.pollMs, 50), p95: percentile(watcher.pollMs, 95) },
    cpuCores: { central: cpu.named.central, gatewayHosts: Math.round(hostCores * 100) / 100, allOurs: cpu.ours, otherLoad: cpu.others },
  };
  const ms = (p: number) => {
    const v = percentile(lat, p);
    return v === null ? null : Math.round(v);
  };
  return [
    { bench: 'rush', name: 'punch -> queryable p50', value: ms(50), unit: 'ms', note: setup, details },
    { bench: 'rush', name: 'punch -> queryable p95', value: ms(95), unit: 'ms', note: `InfluxDB polled every ${POLL_MS} ms (±${POLL_MS / 2} ms)` },
    { bench: 'rush', name: 'punch -> queryable p99', value: ms(99), unit: 'ms', note: `cores: central ${cpu.named.central ?? '?'}, gateway hosts ${details.cpuCores.gatewayHosts}, other load ${cpu.others ?? '?'}` },
    { bench: 'rush', name: 'punch -> queryable max', value: ms(100), unit: 'ms' },
    { bench: 'rush', name: 'punches lost', value: lost, unit: 'punches', note: `stored ${stored} of ${o.punches} (COUNT in InfluxDB)${stored > o.punches ? ' — more than produced!' : ''}` },
  ];
}
