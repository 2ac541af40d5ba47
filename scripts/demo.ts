import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { Influxd } from './lib/influxd.js';
import { freePort } from './lib/ports.js';
import { PtyPair } from '../sim/pty-pair.js';

/**
 * `npm run demo`: a whole installation on this machine. A private influxd, the central
 * with its embedded broker, and three simulated offices (WIB, WITA, WIT), each a line
 * terminal on a socat pty read by a real gateway process. Ctrl-C stops everything.
 */
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const RUN = join(ROOT, '.run', 'demo');
const DB = 'pemda';

const OFFICES = [
  { gateway: 'gw-dinkes', opd: 'dinkes', name: 'Dinas Kesehatan', zone: 'Asia/Jakarta', prefix: '1' },
  { gateway: 'gw-bpkad', opd: 'bpkad', name: 'Badan Pengelolaan Keuangan dan Aset Daerah', zone: 'Asia/Makassar', prefix: '2' },
  { gateway: 'gw-dukcapil', opd: 'dukcapil', name: 'Dinas Kependudukan dan Pencatatan Sipil', zone: 'Asia/Jayapura', prefix: '3' },
];

const children: ChildProcess[] = [];
const ptys: PtyPair[] = [];
let influx: Influxd | undefined;

function node(name: string, script: string, args: string[]): ChildProcess {
  const child = spawn(process.execPath, [join(ROOT, 'dist', script), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const prefix = `[${name}] `.padEnd(16);
  const relay = (stream: NodeJS.ReadableStream | null, out: NodeJS.WriteStream) => {
    let buffer = '';
    stream?.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) if (line.trim()) out.write(prefix + summarize(line) + '\n');
    });
  };
  relay(child.stdout, process.stdout);
  relay(child.stderr, process.stderr);
  children.push(child);
  return child;
}

/** pino JSON is for machines; the demo shows a readable line. */
function summarize(line: string): string {
  try {
    const { level, time, msg, pid: _pid, hostname: _host, service: _s, ...rest } = JSON.parse(line) as Record<string, unknown>;
    const levels: Record<number, string> = { 20: 'debug', 30: 'info', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
    const extra = Object.entries(rest).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(' ');
    return `${new Date(Number(time)).toISOString().slice(11, 19)} ${levels[Number(level)] ?? level} ${msg} ${extra}`;
  } catch {
    return line;
  }
}

async function main(): Promise<void> {
  mkdirSync(RUN, { recursive: true });
  const influxPort = Number(process.env.PEMDA_DEMO_INFLUX_PORT ?? 8086);
  influx = await Influxd.start(join(RUN, 'influx'), { port: (await portFree(influxPort)) ? influxPort : await freePort() });
  const brokerPort = (await portFree(1883)) ? 1883 : await freePort();

  writeFileSync(join(RUN, 'registry.yaml'), stringify({ opds: OFFICES.map((o) => ({ code: o.opd, name: o.name, zone: o.zone, gateways: [o.gateway] })) }));
  writeFileSync(
    join(RUN, 'central.yaml'),
    stringify({ broker: { host: '127.0.0.1', port: brokerPort }, influx: { url: influx.url, database: DB }, registry: { db: 'central.sqlite', seed: 'registry.yaml' } }),
  );
  node('central', 'central/main.js', ['run', '--config', join(RUN, 'central.yaml')]);

  for (const office of OFFICES) {
    const pty = await PtyPair.open(join(RUN, `${office.gateway}.device`), join(RUN, `${office.gateway}.serial`));
    ptys.push(pty);
    writeFileSync(
      join(RUN, `${office.gateway}.yaml`),
      stringify({
        gateway: { id: office.gateway, dataDir: `${office.gateway}-data` },
        mqtt: { url: `mqtt://127.0.0.1:${brokerPort}` },
        health: { intervalS: 15 },
        terminals: [{ id: 'lobby', driver: 'line-serial', port: pty.gatewayPath, zone: office.zone, format: { fields: ['employee', 'time', 'status', 'verify'] } }],
      }),
    );
    node(office.gateway, 'edge/main.js', ['run', '--config', join(RUN, `${office.gateway}.yaml`)]);
    node(`sim-${office.opd}`, 'sim/line-terminal-main.js', ['--device', pty.devicePath, '--zone', office.zone, '--employee-prefix', office.prefix, '--mean-interval-ms', '2500']);
  }

  const q = `SELECT opd, gateway, terminal, employee, device_time, zone FROM punch ORDER BY time DESC LIMIT 10`;
  console.log(`
Demo running: 3 offices (WIB, WITA, WIT) punching into a central on mqtt://127.0.0.1:${brokerPort}
InfluxDB: ${influx.url}, database "${DB}". Latest punches:
  curl -sG '${influx.url}/query' --data-urlencode 'db=${DB}' --data-urlencode "q=${q}"
Counts per office are printed every 15 s. Files and logs: ${RUN}. Ctrl-C stops everything.
`);
  setInterval(() => void report(), 15_000).unref();
}

async function report(): Promise<void> {
  try {
    const rows = await influx!.query(DB, `SELECT COUNT(employee) FROM punch WHERE time > now() - 1h GROUP BY opd`);
    console.log(`[demo] punches in the last hour: ${rows.map((r) => `${String(r.opd)}=${String(r.count)}`).join(', ') || 'none yet'}`);
  } catch (err) {
    console.log(`[demo] cannot query InfluxDB: ${(err as Error).message}`);
  }
}

async function portFree(port: number): Promise<boolean> {
  const { createServer } = await import('node:net');
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

let stopping = false;
async function shutdown(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log('\n[demo] stopping: simulators, gateways, central, InfluxDB');
  const exits = children.filter((c) => c.exitCode === null && c.signalCode === null).map((c) => new Promise((r) => c.once('exit', r)));
  for (const c of children) c.kill('SIGTERM');
  const timer = setTimeout(() => children.forEach((c) => c.kill('SIGKILL')), 10_000);
  await Promise.all(exits);
  clearTimeout(timer);
  await Promise.all(ptys.map((p) => p.close()));
  await influx?.stop();
  console.log('[demo] stopped; nothing left running');
  process.exit(code);
}

process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));
main().catch((err: unknown) => {
  console.error(`[demo] failed: ${(err as Error).stack ?? String(err)}`);
  void shutdown(1);
});
