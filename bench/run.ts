#!/usr/bin/env node
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { benchIngest } from './ingest.js';
import { benchRush } from './rush.js';
import { benchDrain } from './drain.js';
import { benchReport } from './report-month.js';
import { benchFootprint } from './footprint.js';
import { benchBroker } from './broker.js';
import { cleanupAll } from './lib/proc.js';
import { machine, table, writeResults, type Row } from './lib/report.js';
import { writePartialResults } from './lib/partial-results.js';
import { quietWaitedS } from './lib/cpu.js';

const USAGE = `npm run bench [-- OPTIONS]      (or: node dist/bench/run.js OPTIONS after npm run build)

Benchmarks on 127.0.0.1, each with its own influxd, central, brokers and gateways. Prints
a table of figures and ratios measured in this run and writes it as JSON to
bench/results/<date>-<cores>c-<mem>g.json (…-quick.json for --quick; a run with --only
writes …-<only>.json and leaves the full result alone).

  --quick                 smoke run of about 3 minutes, tiny sizes (also BENCH_QUICK=1)
  --only LIST             ingest,rush,drain,broker,footprint,report (default: all)
  --ingest-s S            measured seconds per ingest variant (60; quick 10)
  --ingest-gateways N     load gateways publishing events (20; quick 10)
  --batch N               records per events batch (500)
  --ingest-variants LIST  ingest: which of a,b,c,d to run (default: all)
  --profile               ingest: run variant a once more with the central under
                          node --cpu-prof; the .cpuprofile goes to reports/bench/ and its
                          summary (top functions and modules) into the results
  --gateways G            morning rush: gateways (500; quick 10)
  --punches P             morning rush: punches (10000; quick 500)
  --rush-s S              morning rush: seconds the punches are spread over (60; quick 10)
  --cameras C             morning rush: simulated cameras per gateway, 0 for none (5; quick 2)
  --camera-s S            morning rush and drain: the simulated cameras' intervalS
                          (30; quick 5; the footprint's is --camera-interval-s)
  --reconcile-s S         morning rush: ZK reconcileIntervalS (the driver default, 300)
  --in-step               morning rush: cameras grabbing in step, as after every gateway
                          started at once (default: phases spread over the interval)
  --drain-gateways G      outbox drain: gateways with 24 h of backlog (50; quick 2)
  --drain-employees E     outbox drain: staff per office, ~2.2 punches each (400; quick 50)
  --drain-cameras C       outbox drain: cameras per gateway (5; quick 2)
  --backlog-rate R        outbox drain: gateway mqtt.backlogRecordsPerSecond (gateway default 500)
  --wire-punches P        outbox drain: punch backlog of the batchSize 200 vs 1 gateways (2000; quick 200)
  --wire-unbatched-s S    outbox drain: longest the batchSize 1 gateway is measured (20; quick 5)
  --broker-connections N  broker: publisher connections (500; quick 50)
  --broker-s S            broker: measured seconds per broker and message size (15; quick 3)
  --footprint-s S         gateway footprint: measured seconds (300; quick 40)
  --camera-interval-s S   gateway footprint: camera intervalS (10; quick 5)
  --keep                  keep the run directory (logs, data) instead of deleting it
  --no-write              print only, write no JSON`;

const BENCHES = ['ingest', 'rush', 'drain', 'broker', 'footprint', 'report'];

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: process.env.BENCH_QUICK === '1' },
    only: { type: 'string', default: BENCHES.join(',') },
    'ingest-s': { type: 'string' },
    'ingest-gateways': { type: 'string' },
    batch: { type: 'string', default: '500' },
    profile: { type: 'boolean', default: false },
    'ingest-variants': { type: 'string', default: 'a,b,c,d' },
    gateways: { type: 'string' },
    punches: { type: 'string' },
    'rush-s': { type: 'string' },
    cameras: { type: 'string' },
    'camera-s': { type: 'string' },
    'reconcile-s': { type: 'string' },
    'in-step': { type: 'boolean', default: false },
    'drain-gateways': { type: 'string' },
    'drain-employees': { type: 'string' },
    'drain-cameras': { type: 'string' },
    'backlog-rate': { type: 'string' },
    'wire-punches': { type: 'string' },
    'wire-unbatched-s': { type: 'string' },
    'broker-connections': { type: 'string' },
    'broker-s': { type: 'string' },
    'footprint-s': { type: 'string' },
    'camera-interval-s': { type: 'string' },
    keep: { type: 'boolean', default: false },
    'no-write': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const quick = values.quick;
const num = (name: string, raw: string | undefined, full: number, small: number, min = 1, max = 1_000_000): number => {
  const n = raw === undefined ? (quick ? small : full) : Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    console.error(`bench: --${name} must be an integer in ${min}..${max}\n\n${USAGE}`);
    process.exit(2);
  }
  return n;
};
const only = new Set(values.only.split(','));
for (const b of only) if (!BENCHES.includes(b)) (console.error(`bench: unknown benchmark "${b}"`), process.exit(2));
for (const v of values['ingest-variants'].split(',')) if (!['a', 'b', 'c', 'd'].includes(v)) (console.error(`bench: unknown ingest variant "${v}" (a, b, c, d)`), process.exit(2));

const m = machine();
const tag = `${new Date().toISOString().slice(0, 10)}-${m.cores}c-${m.memGiB}g${quick ? '-quick' : ''}`;
const cameraS = num('camera-s', values['camera-s'], 30, 5, 1, 3600);
const params = {
  ingest: {
    measureS: num('ingest-s', values['ingest-s'], 60, 10, 1, 600),
    warmupS: quick ? 2 : 5,
    gateways: num('ingest-gateways', values['ingest-gateways'], 20, 10, 1, 200),
    batch: num('batch', values.batch, 500, 500, 1, 1000),
    variants: values['ingest-variants'].split(','),
    profileTo: values.profile ? `reports/bench/${tag}-central-ingest.cpuprofile` : undefined,
  },
  rush: {
    gateways: num('gateways', values.gateways, 500, 10, 1, 2000),
    punches: num('punches', values.punches, 10_000, 500, 1, 200_000),
    rushS: num('rush-s', values['rush-s'], 60, 10, 1, 600),
    cameras: num('cameras', values.cameras, 5, 2, 0, 64),
    cameraIntervalS: cameraS,
    reconcileS: values['reconcile-s'] === undefined ? undefined : num('reconcile-s', values['reconcile-s'], 300, 300, 1, 86_400),
    inStep: values['in-step'],
  },
  drain: {
    gateways: num('drain-gateways', values['drain-gateways'], 50, 2, 1, 500),
    employees: num('drain-employees', values['drain-employees'], 400, 50, 1, 100_000),
    cameras: num('drain-cameras', values['drain-cameras'], 5, 2, 0, 64),
    cameraIntervalS: cameraS,
    backlogRate: values['backlog-rate'] === undefined ? undefined : num('backlog-rate', values['backlog-rate'], 500, 500, 1, 100_000),
    wirePunches: num('wire-punches', values['wire-punches'], 2000, 200, 10, 100_000),
    wireUnbatchedS: num('wire-unbatched-s', values['wire-unbatched-s'], 20, 5, 1, 3600),
  },
  broker: { connections: num('broker-connections', values['broker-connections'], 500, 50, 1, 5000), measureS: num('broker-s', values['broker-s'], 15, 3, 1, 600), warmupS: quick ? 1 : 3 },
  // Health every 60 s (the gateway default) in a full run; a quick run would see none.
  footprint: { measureS: num('footprint-s', values['footprint-s'], 300, 40, 5, 3600), intervalS: num('camera-interval-s', values['camera-interval-s'], 10, 5, 1, 3600), healthIntervalS: quick ? 10 : 60 },
};
/** Benchmarks of this run in the usual order; a subset when --only leaves some out. */
const selected = BENCHES.filter((b) => only.has(b));
const partial = selected.length < BENCHES.length;

const dir = mkdtempSync(join(tmpdir(), 'pemda-bench-'));
let interrupted = false;
const onSignal = (signal: string) => {
  if (interrupted) return;
  interrupted = true;
  console.error(`\n[bench] ${signal}: stopping everything it started`);
  void cleanupAll().finally(() => {
    if (!values.keep) rmSync(dir, { recursive: true, force: true });
    process.exit(130);
  });
};
process.on('SIGINT', () => onSignal('SIGINT'));
process.on('SIGTERM', () => onSignal('SIGTERM'));

console.log(`[bench] ${quick ? 'quick' : 'full'} run on ${m.cores} cores, ${m.memGiB} GiB, node ${m.node}; run dir ${dir}`);
const started = Date.now();
const rows: Row[] = [];
const failed: string[] = [];
/** Wall seconds per benchmark: what to leave out when a run must be shorter. */
const sectionS: Record<string, number> = {};
async function section(name: string, run: () => Promise<Row[]>): Promise<void> {
  if (!only.has(name) || interrupted) return;
  const began = Date.now();
  try {
    rows.push(...(await run()));
  } catch (err) {
    failed.push(name);
    const message = (err as Error).message;
    console.error(`[bench] ${name} failed: ${message}`);
    rows.push({ bench: name, name: 'did not finish', value: null, unit: '', note: `failed: ${message.split('\n')[0]!}` });
  } finally {
    await cleanupAll();
    sectionS[name] = Math.round((Date.now() - began) / 1000);
    console.log(`[bench] ${name}: ${sectionS[name]} s`);
  }
}

try {
  await section('ingest', () => benchIngest({ dir, ...params.ingest }));
  await section('rush', () => benchRush({ dir, ...params.rush }));
  await section('drain', () => benchDrain({ dir, ...params.drain }));
  await section('broker', () => benchBroker({ dir, ...params.broker }));
  await section('footprint', () => benchFootprint({ dir, ...params.footprint }));
  await section('report', () => benchReport({ employees: quick ? 500 : 5000 }));
} finally {
  await cleanupAll();
  if (failed.length === 0 && rows.some((r) => r.note?.startsWith('failed'))) failed.push('an ingest variant');
  if (values.keep || failed.length > 0) console.log(`[bench] logs and data kept in ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
}
const durationS = Math.round((Date.now() - started) / 1000);
console.log(`\n${table(rows)}\n\n[bench] ${durationS} s in all, ${quietWaitedS()} s of it waiting for a quiet machine (${Object.entries(sectionS).map(([k, v]) => `${k} ${v} s`).join(', ')})${failed.length > 0 ? `; failed: ${failed.join(', ')}` : ''}`);
if (!values['no-write']) {
  const usedParams = Object.fromEntries(Object.entries(params).filter(([k]) => only.has(k)));
  const file = partial ? writePartialResults(m, rows, { durationS, quietWaitS: quietWaitedS(), sectionS, only: selected, params: usedParams }, quick, selected) : writeResults(m, rows, { durationS, quietWaitS: quietWaitedS(), sectionS, params }, quick);
  console.log(`[bench] results: ${file}`);
}
process.exit(failed.length > 0 ? 1 : 0);
