import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../scripts/lib/ports.js';
import { RecordFactory, runLineLoad, runMqttLoad, type LoadResult } from './lib/load.js';
import { ROOT, cleanupAll, cleanupMark, type Child } from './lib/proc.js';
import { cpuSpan, descendantsNamed, waitQuiet, type CpuSpan } from './lib/cpu.js';
import { percentile, ratio, type Row } from './lib/report.js';
import { formatProfile, summarizeProfile, type CpuProfile, type ProfileSummary } from './lib/cpuprofile.js';
import { countPunches, mosquittoPath, nodeRedPath, startCentral, startInflux, startMosquitto, startNodeRed, writeCentralConfig } from './lib/services.js';

/**
 * Ingest throughput, MQTT -> InfluxDB, sustained: closed-loop load gateways (one
 * batch in flight each) against (a) the central with its embedded aedes broker,
 * (b) InfluxDB alone fed line protocol (the ceiling), (c) Node-RED 4 on Mosquitto,
 * (d) the central on Mosquitto. Every variant gets a fresh influxd and fresh processes.
 */
export interface IngestOptions {
  dir: string;
  gateways: number;
  batch: number;
  warmupS: number;
  measureS: number;
  /**
   * Also run variant a once more with the central under `node --cpu-prof`, and keep
   * the profile at this path, relative to the repository (a .cpuprofile for Chrome
   * DevTools or speedscope).
   */
  profileTo?: string | undefined;
  /** Which of a, b, c, d to run (all by default); the others are reported as skipped. */
  variants?: string[];
}

interface Outcome {
  result?: LoadResult;
  stored?: number;
  cpu?: CpuSpan;
  error?: string;
  skipped?: string;
}

function factories(o: IngestOptions): RecordFactory[] {
  // Punch times start an hour back: one shard, 100 punches per second per gateway.
  const base = Math.floor(Date.now() / 1000) - 3600;
  return Array.from({ length: o.gateways }, (_, i) => new RecordFactory(i, base));
}

/** Runs one variant with its own processes; stops them whatever happens. */
async function variant(name: string, run: () => Promise<Outcome>, selected = true): Promise<Outcome> {
  if (!selected) return { skipped: 'not selected (--ingest-variants)' };
  const mark = cleanupMark();
  process.stdout.write(`[bench] ingest: ${name} ... `);
  try {
    const outcome = await run();
    console.log(outcome.skipped ? `skipped (${outcome.skipped})` : `${Math.round(outcome.result!.eventsPerS)} events/s`);
    return outcome;
  } catch (err) {
    const message = (err as Error).message.split('\n')[0]!;
    console.log(`FAILED: ${message}`);
    return { error: message };
  } finally {
    await cleanupAll(mark);
  }
}

/** Runs the MQTT load and counts what InfluxDB holds afterwards; CPU of the named processes, ours and the machine's. */
async function measure(o: IngestOptions, url: string, procs: Record<string, Child>, count: () => Promise<number>, onLoad?: () => void): Promise<Outcome> {
  await waitQuiet('ingest');
  onLoad?.();
  const span = cpuSpan({ ...Object.fromEntries(Object.entries(procs).map(([k, c]) => [k, c.proc.pid])), influxd: descendantsNamed('influxd')[0] });
  const result = await runMqttLoad(url, factories(o), o.batch, o.warmupS * 1000, o.measureS * 1000);
  const cpu = span();
  return { result, stored: await count(), cpu };
}

export async function benchIngest(o: IngestOptions): Promise<Row[]> {
  const gatewayNames = factories(o).map((f) => f.gateway);
  const wanted = (key: string) => o.variants === undefined || o.variants.includes(key);

  const a = await variant('central, embedded aedes', async () => {
    const dir = join(o.dir, 'ingest-a');
    const influx = await startInflux(dir);
    const port = await freePort();
    const central = await startCentral(await writeCentralConfig({ dir, influxUrl: influx.url, gateways: gatewayNames, brokerPort: port }), dir);
    return measure(o, `mqtt://127.0.0.1:${port}`, { central }, () => countPunches(influx));
  }, wanted('a'));

  const b = await variant('InfluxDB line protocol ceiling', async () => {
    const influx = await startInflux(join(o.dir, 'ingest-b'));
    await waitQuiet('ingest');
    const span = cpuSpan({ influxd: descendantsNamed('influxd')[0] });
    const result = await runLineLoad(influx.url, factories(o), 5000, o.batch, 2, o.warmupS * 1000, o.measureS * 1000);
    const cpu = span();
    return { result, stored: await countPunches(influx), cpu };
  }, wanted('b'));

  const c = await variant('Node-RED 4 + Mosquitto', async () => {
    if (nodeRedPath() === undefined) return { skipped: 'node-red not installed' };
    if (mosquittoPath() === undefined) return { skipped: 'mosquitto not installed' };
    const dir = join(o.dir, 'ingest-c');
    const influx = await startInflux(dir);
    const broker = await startMosquitto(dir);
    const red = await startNodeRed(dir, broker.url, influx.url, gatewayNames);
    return measure(o, broker.url, { 'node-red': red, mosquitto: broker.child }, () => countPunches(influx));
  }, wanted('c'));

  const d = await variant('central + Mosquitto', async () => {
    if (mosquittoPath() === undefined) return { skipped: 'mosquitto not installed' };
    const dir = join(o.dir, 'ingest-d');
    const influx = await startInflux(dir);
    const broker = await startMosquitto(dir);
    const central = await startCentral(await writeCentralConfig({ dir, influxUrl: influx.url, gateways: gatewayNames, externalUrl: broker.url }), dir);
    return measure(o, broker.url, { central, mosquitto: broker.child }, () => countPunches(influx));
  }, wanted('d'));

  const profiled = o.profileTo === undefined ? undefined : await profileCentral(o, gatewayNames, o.profileTo);

  const setup = `${o.gateways} gateways x ${o.batch}-record batches, ${o.measureS} s after ${o.warmupS} s warm-up`;
  const row = (key: string, name: string, out: Outcome, note: string): Row => {
    const r = out.result;
    return {
      bench: 'ingest',
      name: `${key}. ${name}`,
      value: r ? Math.round(r.eventsPerS) : null,
      unit: 'events/s',
      note: out.skipped ? `skipped: ${out.skipped}` : out.error ? `failed: ${out.error}` : note,
      details: r && {
        measured: r.measured,
        sent: r.sent,
        storedInInflux: out.stored,
        measureS: r.measureS,
        resends: r.resends,
        writeOrBatchMs: { p50: percentile(r.batchMs, 50), p95: percentile(r.batchMs, 95), p99: percentile(r.batchMs, 99) },
        cpuCores: out.cpu,
      },
    };
  };
  const cpuNote = (out: Outcome) => {
    if (!out.cpu) return '';
    const { named, self, others } = out.cpu;
    const parts = Object.entries(named).map(([k, v]) => `${k} ${v ?? '?'}`);
    return `; cores: ${[...parts, `load generator ${self ?? '?'}`, `other load ${others ?? '?'}`].join(', ')}`;
  };
  const storedNote = (out: Outcome) => (out.result ? `; stored ${out.stored}/${out.result.sent} sent` : '');
  const rows: Row[] = [
    row('a', 'central (embedded aedes)', a, `${setup}${storedNote(a)}${cpuNote(a)}`),
    row('b', 'InfluxDB ceiling (line protocol)', b, `5,000-point POSTs, 2 in flight, same points, no MQTT${storedNote(b)}${cpuNote(b)}`),
    row('c', 'Node-RED 4 + Mosquitto (peer)', c, `mqtt in -> function -> influxdb batch, ack on complete${storedNote(c)}${cpuNote(c)}`),
    row('d', 'central + Mosquitto (external broker)', d, `${storedNote(d).slice(2)}${cpuNote(d)}`),
  ];
  const v = (out: Outcome) => out.result?.eventsPerS;
  /** CPU microseconds per event of the process doing the ingest: less sensitive to other load than events/s. */
  const usPerEvent = (out: Outcome, proc: string) => {
    const cores = out.cpu?.named[proc];
    const rate = v(out);
    return cores == null || !rate ? null : Math.round((cores * 1e6) / rate * 10) / 10;
  };
  const cpuA = usPerEvent(a, 'central');
  const cpuC = usPerEvent(c, 'node-red');
  const cpuD = usPerEvent(d, 'central');
  rows.push(
    { bench: 'ingest', name: 'a/b central vs ceiling', value: ratio(v(a), v(b)), unit: 'x' },
    { bench: 'ingest', name: 'a/c central vs Node-RED', value: ratio(v(a), v(c)), unit: 'x' },
    { bench: 'ingest', name: 'd/a Mosquitto vs aedes', value: ratio(v(d), v(a)), unit: 'x' },
    { bench: 'ingest', name: 'd/c central vs Node-RED, same broker', value: ratio(v(d), v(c)), unit: 'x' },
    { bench: 'ingest', name: 'CPU per event: central (a)', value: cpuA, unit: 'µs', note: 'central process CPU / events stored' },
    { bench: 'ingest', name: 'CPU per event: Node-RED (c)', value: cpuC, unit: 'µs', note: 'node-red process CPU / events stored' },
    { bench: 'ingest', name: 'CPU per event: central (d)', value: cpuD, unit: 'µs' },
    { bench: 'ingest', name: 'CPU per event c/a Node-RED vs central', value: ratio(cpuC, cpuA), unit: 'x', note: 'above 1: the central needs less CPU per event' },
  );
  if (profiled) rows.push(...profileRows(profiled, v(a)));
  return rows;
}

interface Profiled {
  outcome: Outcome;
  summary?: ProfileSummary;
  file?: string;
}

/**
 * Variant a again, with the central under `node --cpu-prof`. The profile is written
 * when the central exits (it stops cleanly on SIGTERM) and summarised over the
 * measured window only: V8 stamps samples with CLOCK_MONOTONIC, as process.hrtime here.
 */
async function profileCentral(o: IngestOptions, gatewayNames: string[], keepAt: string): Promise<Profiled> {
  const dir = join(o.dir, 'ingest-a-profiled');
  const profDir = join(dir, 'cpuprof');
  const window = { fromUs: 0, toUs: 0 };
  const outcome = await variant('central, embedded aedes, under --cpu-prof', async () => {
    const influx = await startInflux(dir);
    const port = await freePort();
    const central = await startCentral(await writeCentralConfig({ dir, influxUrl: influx.url, gateways: gatewayNames, brokerPort: port }), dir, ['--cpu-prof', `--cpu-prof-dir=${profDir}`, '--cpu-prof-name=central.cpuprofile']);
    const hrUs = () => Number(process.hrtime.bigint() / 1000n);
    const out = await measure(o, `mqtt://127.0.0.1:${port}`, { central }, () => countPunches(influx), () => (window.fromUs = hrUs() + o.warmupS * 1e6));
    window.toUs = hrUs();
    return out;
  });
  const written = join(profDir, 'central.cpuprofile');
  if (!existsSync(written)) return { outcome: { ...outcome, error: outcome.error ?? 'the central wrote no .cpuprofile' } };
  const profile = JSON.parse(readFileSync(written, 'utf8')) as CpuProfile;
  const summary = summarizeProfile(profile, { ...window, top: 20, root: ROOT });
  const target = join(ROOT, keepAt);
  mkdirSync(join(target, '..'), { recursive: true });
  copyFileSync(written, target);
  console.log(`[bench] ingest: central profile (${keepAt}):\n${formatProfile(summary)}`);
  return { outcome, summary, file: keepAt };
}

function profileRows(p: Profiled, unprofiled: number | undefined): Row[] {
  const r = p.outcome.result;
  const s = p.summary;
  const pct = (prefix: string) => (s?.modules ?? []).filter((m) => m.name.startsWith(prefix)).reduce((n, m) => n + m.pct, 0);
  const rows: Row[] = [
    {
      bench: 'ingest',
      name: 'a, profiled (--cpu-prof)',
      value: r ? Math.round(r.eventsPerS) : null,
      unit: 'events/s',
      note: p.outcome.error ? `failed: ${p.outcome.error}` : `${ratio(r?.eventsPerS, unprofiled)?.toFixed(2) ?? '?'} of a; profile ${p.file ?? '-'}`,
      ...(s && { details: { profileFile: p.file, profile: s } }),
    },
  ];
  if (s) {
    const top = s.modules.slice(0, 4).map((m) => `${m.name} ${m.pct} %`).join(', ');
    rows.push(
      { bench: 'ingest', name: 'central main thread busy (profiled)', value: s.busyShare, unit: 'cores', note: `${s.busyMs} ms in ${s.windowS} s; self time: ${top}` },
      { bench: 'ingest', name: 'central self time in our code', value: Math.round(pct('ours: ') * 10) / 10, unit: '%', note: `node core ${Math.round(pct('node:') * 10) / 10} %, GC ${Math.round(pct('(garbage collector)') * 10) / 10} %, V8 builtins ${Math.round(pct('(V8 builtins') * 10) / 10} %` },
    );
  }
  return rows;
}
