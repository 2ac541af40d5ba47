import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../scripts/lib/ports.js';
import { Fleet } from './lib/fleet.js';
import { pollUntil, sleep } from './lib/proc.js';
import { percentile, type Row } from './lib/report.js';
import { countPunches, query, startCentral, startInflux, writeCentralConfig } from './lib/services.js';
import { ArrivalWatcher } from './lib/watch.js';
import { cpuSpan, waitQuiet } from './lib/cpu.js';

/**
 * Outbox drain: the central (and so its broker) is down while the terminals deliver
 * a backlog of P punches to G gateways' outboxes. Once the backlog is older than the
 * gateways' live window it is backlog proper (historical, rate-limited per gateway);
 * then the central starts. Reported: records/s drained, and the time until a new
 * live punch made during the drain is stored (it must not wait for the backlog).
 */
export interface DrainOptions {
  dir: string;
  gateways: number;
  punches: number;
  /** Gateway mqtt.liveWindowS: the default 60 in a full run, shorter in a quick one. */
  liveWindowS: number;
  /** Gateway mqtt.backlogRecordsPerSecond; undefined: the gateway default (500). */
  backlogRate: number | undefined;
}

const DEFAULT_BACKLOG_RATE = 500; // mqtt.backlogRecordsPerSecond default, per gateway

export async function benchDrain(o: DrainOptions): Promise<Row[]> {
  const dir = join(o.dir, 'drain');
  mkdirSync(dir, { recursive: true });
  const fleet = new Fleet(dir, o.gateways, 'gw-d');
  const influx = await startInflux(dir);
  const port = await freePort();
  const config = await writeCentralConfig({ dir, influxUrl: influx.url, gateways: fleet.gateways, brokerPort: port });
  console.log(`[bench] drain: ${o.gateways} gateways, central down; building a backlog of ${o.punches} punches`);
  const rate = o.backlogRate ?? DEFAULT_BACKLOG_RATE;
  await fleet.start(`mqtt://127.0.0.1:${port}`, { reconnectMs: 500, liveWindowS: o.liveWindowS, ...(o.backlogRate !== undefined && { backlogRecordsPerSecond: o.backlogRate }) });

  const acked0 = fleet.eventsAcked;
  const buildStart = performance.now();
  for (let i = 0; i < o.punches; i++) {
    fleet.sims[i % o.gateways]!.punch(`D${i}`);
    if (i % 200 === 199) await sleep(20); // about 10,000 punches/s offered
  }
  const inOutbox = await pollUntil(async () => fleet.eventsAcked - acked0, (n) => n >= o.punches, 120_000, 100);
  const buildS = (performance.now() - buildStart) / 1000;
  if (inOutbox < o.punches) throw new Error(`only ${inOutbox} of ${o.punches} punches reached the gateways in 120 s`);
  console.log(`[bench] drain: backlog in the outboxes after ${buildS.toFixed(1)} s; waiting ${o.liveWindowS + 1} s until it is older than the live window`);
  await sleep((o.liveWindowS + 1) * 1000);

  await waitQuiet('drain');
  const watcher = new ArrivalWatcher(influx, 'L', 100);
  const progress: { at: number; stored: number }[] = [];
  const spawnAt = Date.now();
  const central = await startCentral(config, dir);
  const readyAt = Date.now();
  const span = cpuSpan({ central: central.proc.pid });
  let allAt: number | undefined;
  let firstAt: number | undefined;
  const backlogAtLive = new Map<string, number>();
  watcher.onPoll = async (at) => {
    const stored = await countPunches(influx, '^D');
    progress.push({ at, stored });
    if (stored > 0) firstAt ??= at;
    if (stored >= o.punches) allAt ??= at;
  };
  watcher.start();
  // One live punch per gateway, made once the backlog is arriving (the drain is under way).
  await pollUntil(async () => progress[progress.length - 1]?.stored ?? 0, (n) => n > 0, 30_000, 50);
  const stored = await countPunches(influx, '^D');
  const liveAt = Date.now();
  fleet.sims.forEach((s, i) => {
    s.punch(`L${i}`);
    watcher.expect(`L${i}`);
    backlogAtLive.set(`L${i}`, o.punches - stored);
  });
  const cap = o.gateways * rate;
  const deadline = 60_000 + (o.punches / cap) * 3000;
  await pollUntil(async () => allAt !== undefined && watcher.missing === 0, (done) => done, deadline, 100);
  await watcher.settle(1000);
  const cpu = span();
  const final = await countPunches(influx, '^D');
  const historical = Number((await query(influx, `SELECT COUNT(employee) FROM punch WHERE employee =~ /^D/ AND historical = true`))[0]?.count ?? 0);

  const drainS = allAt === undefined ? null : (allAt - readyAt) / 1000;
  const live = [...watcher.latencies.values()];
  const liveMax = percentile(live, 100);
  const setup = `${o.punches} punches on ${o.gateways} gateways, live window ${o.liveWindowS} s`;
  const details = {
    gateways: o.gateways,
    punches: o.punches,
    liveWindowS: o.liveWindowS,
    backlogRecordsPerSecondPerGateway: rate,
    backlogBurstPerGateway: 'max(rate, mqtt.batchSize 200): the token bucket starts full',
    cpuCores: { central: cpu.named.central, allOurs: cpu.ours, otherLoad: cpu.others },
    liveMadeAfterReadyS: (liveAt - readyAt) / 1000,
    backlogBuildS: Math.round(buildS * 10) / 10,
    centralStartS: (readyAt - spawnAt) / 1000,
    firstStoredAfterReadyS: firstAt === undefined ? null : (firstAt - readyAt) / 1000,
    drainS,
    stored: final,
    storedAsHistorical: historical,
    livePunches: o.gateways,
    livePunchesSeen: live.length,
    liveLatencyMs: { p50: percentile(live, 50), max: liveMax },
    progress: progress.filter((_, i) => i % 5 === 0).map((p) => ({ s: (p.at - readyAt) / 1000, stored: p.stored })),
  };
  return [
    { bench: 'drain', name: 'backlog drained', value: drainS === null ? null : o.punches / drainS, unit: 'records/s', note: `${setup}; cap ${cap.toLocaleString('en-US')}/s (${rate}/s per gateway)`, details },
    { bench: 'drain', name: 'backlog drain time', value: drainS, unit: 's', note: `from "central ready"; stored ${final}/${o.punches}, ${historical} marked historical` },
    { bench: 'drain', name: 'live punch stored, p50', value: percentile(live, 50), unit: 'ms', note: `${live.length}/${o.gateways} live punches (1 per gateway) made ${((liveAt - readyAt) / 1000).toFixed(1)} s after "central ready", as the backlog arrived` },
    { bench: 'drain', name: 'live punch stored, max', value: liveMax, unit: 'ms', note: `backlog not yet stored then: ~${percentile([...backlogAtLive.values()], 50)} records` },
    { bench: 'drain', name: 'live max / drain time', value: liveMax === null || drainS === null ? null : liveMax / 1000 / drainS, unit: 'x', note: 'well below 1: live punches do not wait for the backlog' },
  ];
}
