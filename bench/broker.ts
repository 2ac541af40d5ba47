import { join } from 'node:path';
import { freePort } from '../scripts/lib/ports.js';
import { cpuSpan, waitQuiet, type CpuSpan } from './lib/cpu.js';
import { RawMqttClient } from './lib/mqtt-raw.js';
import { cleanupAll, cleanupMark, sleep, type Child } from './lib/proc.js';
import { percentile, ratio, type Row } from './lib/report.js';
import { mosquittoPath, startCentral, startInflux, startMosquitto, writeCentralConfig } from './lib/services.js';

/**
 * The brokers on their own, as context for ingest 1d (the central on Mosquitto vs on
 * its embedded aedes): N publisher connections and one subscriber (the central's
 * shape: many gateways, one aggregator), QoS 1 both ways, through
 *  - aedes as the central embeds it (a central with broker.auth off, so our
 *    connect/publish/subscribe hooks run), publishing outside the topic root so the
 *    central's own ingest sees nothing;
 *  - Mosquitto 2 (Debian's), with the same generated config as ingest 1c/1d.
 * Each publisher keeps `window` messages on their way until the subscriber has them
 * (closed loop end to end, so neither broker queues without bound), at two payload
 * sizes: a small message (a status or health payload) and an events batch of about
 * 500 punches. Measured: messages/s delivered, latency publish -> delivered, broker
 * CPU. Load comes from a bare MQTT client (lib/mqtt-raw.ts), not mqtt.js.
 */
export interface BrokerOptions {
  dir: string;
  connections: number;
  warmupS: number;
  measureS: number;
}

interface Size {
  name: string;
  bytes: number;
  window: number;
}

/** An events batch of 500 punches is about 150 KB of JSON. */
const SIZES: Size[] = [
  { name: 'small', bytes: 256, window: 4 },
  { name: 'batch', bytes: 150_000, window: 1 },
];
const PREFIX = 16; // publisher index u32, sequence u32, send time f64

interface SizeResult {
  size: string;
  payloadBytes: number;
  window: number;
  delivered: number;
  messagesPerS: number;
  mbPerS: number;
  latencyMs: { p50: number | null; p99: number | null };
  sent: number;
  lost: number;
  duplicates: number;
  cpu: CpuSpan;
}

interface BrokerResult {
  broker: string;
  connectS: number;
  sizes: SizeResult[];
  skipped?: string;
  error?: string;
}

async function runBroker(name: string, url: string, pid: number | undefined, o: BrokerOptions): Promise<Omit<BrokerResult, 'broker'>> {
  const port = Number(new URL(url).port);
  const subscriber = await RawMqttClient.connect(port, `bench-sub-${process.pid}`);
  await subscriber.subscribe('bench/+/m');
  const t0 = performance.now();
  const publishers: RawMqttClient[] = [];
  // In groups: a connect storm of 500 measures the accept queue, not the broker.
  for (let k = 0; k < o.connections; k += 50) {
    publishers.push(...(await Promise.all(Array.from({ length: Math.min(50, o.connections - k) }, (_, i) => RawMqttClient.connect(port, `bench-pub-${k + i}-${process.pid}`)))));
  }
  const connectS = (performance.now() - t0) / 1000;
  const sizes: SizeResult[] = [];
  for (const size of SIZES) {
    await waitQuiet(`broker ${name}`);
    const body = Buffer.alloc(size.bytes - PREFIX, 0x61);
    const headers = publishers.map((_, i) => RawMqttClient.publishHeader(`bench/${i}/m`, size.bytes));
    const seq = new Uint32Array(publishers.length);
    const expected = new Uint32Array(publishers.length);
    let running = true;
    let measuring = false;
    let sent = 0;
    let delivered = 0;
    let duplicates = 0;
    const latencies: number[] = [];
    const send = (i: number) => {
      const prefix = Buffer.allocUnsafe(PREFIX);
      prefix.writeUInt32BE(i, 0);
      prefix.writeUInt32BE(seq[i]!++, 4);
      prefix.writeDoubleBE(performance.now(), 8);
      publishers[i]!.publish(Buffer.from(headers[i]!), prefix, body);
      sent++;
    };
    subscriber.onMessage = ({ payload }) => {
      const i = payload.readUInt32BE(0);
      const s = payload.readUInt32BE(4);
      if (s < expected[i]!) {
        duplicates++;
        return;
      }
      expected[i] = s + 1;
      if (measuring) {
        delivered++;
        if ((delivered & 15) === 0) latencies.push(performance.now() - payload.readDoubleBE(8));
      }
      if (running) send(i);
    };
    publishers.forEach((_, i) => {
      for (let k = 0; k < size.window; k++) send(i);
    });
    await sleep(o.warmupS * 1000);
    const span = cpuSpan({ broker: pid });
    measuring = true;
    const m0 = performance.now();
    await sleep(o.measureS * 1000);
    measuring = false;
    const seconds = (performance.now() - m0) / 1000;
    const cpu = span();
    running = false;
    // What is on its way arrives; anything that does not was lost.
    const arrived = () => expected.reduce((n, e) => n + e, 0);
    for (let waited = 0; arrived() < sent && waited < 10_000; waited += 100) await sleep(100);
    subscriber.onMessage = undefined;
    sizes.push({
      size: size.name,
      payloadBytes: size.bytes,
      window: size.window,
      delivered,
      messagesPerS: Math.round(delivered / seconds),
      mbPerS: Math.round(((delivered * size.bytes) / seconds / 1e6) * 10) / 10,
      latencyMs: { p50: round(percentile(latencies, 50)), p99: round(percentile(latencies, 99)) },
      sent,
      lost: sent - arrived(),
      duplicates,
      cpu,
    });
  }
  await Promise.all([subscriber, ...publishers].map((c) => c.close()));
  return { connectS: Math.round(connectS * 10) / 10, sizes };
}

const round = (v: number | null): number | null => (v === null ? null : Math.round(v * 10) / 10);

async function variant(name: string, start: () => Promise<{ url: string; child: Child } | { skipped: string }>, o: BrokerOptions): Promise<BrokerResult> {
  const mark = cleanupMark();
  process.stdout.write(`[bench] broker: ${name}, ${o.connections} publishers + 1 subscriber ... `);
  try {
    const started = await start();
    if ('skipped' in started) {
      console.log(`skipped (${started.skipped})`);
      return { broker: name, connectS: 0, sizes: [], skipped: started.skipped };
    }
    const r = await runBroker(name, started.url, started.child.proc.pid, o);
    console.log(r.sizes.map((s) => `${s.size} ${s.messagesPerS} msg/s`).join(', '));
    return { broker: name, ...r };
  } catch (err) {
    const message = (err as Error).message.split('\n')[0]!;
    console.log(`FAILED: ${message}`);
    return { broker: name, connectS: 0, sizes: [], error: message };
  } finally {
    await cleanupAll(mark);
  }
}

export async function benchBroker(o: BrokerOptions): Promise<Row[]> {
  const aedes = await variant(
    'aedes (embedded in the central)',
    async () => {
      const dir = join(o.dir, 'broker-aedes');
      const influx = await startInflux(dir);
      const port = await freePort();
      const central = await startCentral(await writeCentralConfig({ dir, influxUrl: influx.url, gateways: ['gw-bench000'], brokerPort: port }), dir);
      return { url: `mqtt://127.0.0.1:${port}`, child: central };
    },
    o,
  );
  const mosquitto = await variant(
    'Mosquitto',
    async () => {
      if (mosquittoPath() === undefined) return { skipped: 'mosquitto not installed' };
      return startMosquitto(join(o.dir, 'broker-mosquitto'));
    },
    o,
  );
  const rows: Row[] = [];
  const setup = `${o.connections} publishers + 1 subscriber, QoS 1, ${o.measureS} s after ${o.warmupS} s`;
  for (const size of SIZES) {
    const a = aedes.sizes.find((s) => s.size === size.name);
    const m = mosquitto.sizes.find((s) => s.size === size.name);
    const label = size.name === 'small' ? `${size.bytes} B messages` : `${Math.round(size.bytes / 1000)} KB messages (an events batch)`;
    const note = (r: BrokerResult, s: SizeResult | undefined) =>
      r.skipped ? `skipped: ${r.skipped}` : r.error ? `failed: ${r.error}` : s ? `${s.mbPerS} MB/s, latency p50 ${s.latencyMs.p50} ms p99 ${s.latencyMs.p99} ms, lost ${s.lost}, dup ${s.duplicates}; cores: broker ${s.cpu.named.broker ?? '?'}, load generator ${s.cpu.self ?? '?'}, other load ${s.cpu.others ?? '?'}` : '';
    rows.push(
      { bench: 'broker', name: `aedes, ${label}`, value: a?.messagesPerS ?? null, unit: 'msg/s', note: `${setup}, window ${size.window} per publisher; ${note(aedes, a)}`, ...(size === SIZES[0] && { details: { aedes, mosquitto } }) },
      { bench: 'broker', name: `Mosquitto, ${label}`, value: m?.messagesPerS ?? null, unit: 'msg/s', note: note(mosquitto, m) },
      { bench: 'broker', name: `Mosquitto/aedes, ${label}`, value: ratio(m?.messagesPerS, a?.messagesPerS), unit: 'x' },
    );
  }
  return rows;
}
