import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
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

/** One office per Indonesian time zone and terminal kind the gateway supports. */
const OFFICES = [
  { gateway: 'gw-dinkes', opd: 'dinkes', name: 'Dinas Kesehatan', zone: 'Asia/Jakarta', kind: 'line' },
  { gateway: 'gw-bpkad', opd: 'bpkad', name: 'Badan Pengelolaan Keuangan dan Aset Daerah', zone: 'Asia/Makassar', kind: 'zk' },
  { gateway: 'gw-dukcapil', opd: 'dukcapil', name: 'Dinas Kependudukan dan Pencatatan Sipil', zone: 'Asia/Jayapura', kind: 'adms' },
  { gateway: 'gw-disdik', opd: 'disdik', name: 'Dinas Pendidikan', zone: 'Asia/Jakarta', kind: 'r30x' },
] as const;
type Office = (typeof OFFICES)[number];

const children: ChildProcess[] = [];
const ptys: PtyPair[] = [];
let influx: Influxd | undefined;
let central: ChildProcess | undefined;

/** A central admin command run to completion (gateway passwords, users); its output. */
function centralCli(args: string[], input?: string): string {
  const r = spawnSync(process.execPath, [join(ROOT, 'dist', 'central', 'main.js'), ...args, '--config', join(RUN, 'central.yaml')], { encoding: 'utf8', ...(input !== undefined && { input }) });
  if (r.status !== 0) throw new Error(`pemda-central ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

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
  const httpPort = (await portFree(8080)) ? 8080 : await freePort();

  writeFileSync(join(RUN, 'registry.yaml'), stringify({ opds: OFFICES.map((o) => ({ code: o.opd, name: o.name, zone: o.zone, gateways: [o.gateway] })) }));
  writeFileSync(
    join(RUN, 'central.yaml'),
    stringify({
      broker: { host: '127.0.0.1', port: brokerPort, auth: 'required' },
      http: { host: '127.0.0.1', port: httpPort },
      influx: { url: influx.url, database: DB },
      registry: { db: 'central.sqlite', seed: 'registry.yaml' },
    }),
  );
  // As on a real installation: every gateway with its own password, users made by the CLI.
  const gatewayPasswords = new Map(OFFICES.map((o) => [o.gateway, centralCli(['gateway-password', '--gateway', o.gateway]).trim().split('\n').at(-1)!]));
  const users = [
    { username: 'admin', role: 'admin' },
    { username: 'operator', role: 'operator' },
  ].map((u) => ({ ...u, password: randomBytes(9).toString('base64url') }));
  for (const u of users) {
    // A demo re-run keeps its database: set the password again instead of adding.
    const listed = centralCli(['user', 'list']);
    const verb = new RegExp(`^\\s*${u.username}\\b`, 'm').test(listed) ? ['user', 'passwd'] : ['user', 'add', '--role', u.role];
    centralCli([...verb, '--username', u.username, '--password-stdin'], `${u.password}\n`);
  }
  central = node('central', 'central/main.js', ['run', '--config', join(RUN, 'central.yaml')]);

  for (const [i, office] of OFFICES.entries()) {
    const prefix = String(i + 1);
    const { terminal, extra, startSim } = await prepareTerminal(office, prefix);
    writeFileSync(
      join(RUN, `${office.gateway}.yaml`),
      stringify({
        gateway: { id: office.gateway, dataDir: `${office.gateway}-data` },
        mqtt: { url: `mqtt://127.0.0.1:${brokerPort}`, username: office.gateway, password: gatewayPasswords.get(office.gateway) },
        health: { intervalS: 15 },
        terminals: [terminal],
        ...extra,
      }),
    );
    node(office.gateway, 'edge/main.js', ['run', '--config', join(RUN, `${office.gateway}.yaml`)]);
    startSim();
  }

  const q = `SELECT opd, gateway, terminal, employee, device_time, zone FROM punch ORDER BY time DESC LIMIT 10`;
  console.log(`
Demo running: 4 offices (WIB, WITA, WIT) with a line terminal, a ZK terminal, an ADMS push terminal and an R30x module punching into a central on mqtt://127.0.0.1:${brokerPort}
InfluxDB: ${influx.url}, database "${DB}". Latest punches:
  curl -sG '${influx.url}/query' --data-urlencode 'db=${DB}' --data-urlencode "q=${q}"
Command room (video wall, attendance, office health, alerts): http://127.0.0.1:${httpPort}/
  log in as ${users.map((u) => `${u.username} / ${u.password}`).join(' or ')} (new passwords every run)
Camera frames (after login): http://127.0.0.1:${httpPort}/api/cameras
Counts per office are printed every 15 s. Files and logs: ${RUN}. Ctrl-C stops everything.
`);
  setInterval(() => void report(), 15_000).unref();
}

/** The terminal config of an office and the simulator that plays its device. */
async function prepareTerminal(office: Office, prefix: string): Promise<{ terminal: Record<string, unknown>; extra: Record<string, unknown>; startSim: () => void }> {
  const sim = (name: string, args: string[]) => () => void node(`sim-${office.opd}`, `sim/${name}.js`, args);
  switch (office.kind) {
    case 'line': {
      const pty = await PtyPair.open(join(RUN, `${office.gateway}.device`), join(RUN, `${office.gateway}.serial`));
      ptys.push(pty);
      // This office also has an ONVIF camera at its door: thumbnails every 15 s.
      const cameraPort = await freePort();
      const startTerminal = sim('line-terminal-main', ['--device', pty.devicePath, '--zone', office.zone, '--employee-prefix', prefix, '--mean-interval-ms', '2500']);
      const startCamera = () => void node('sim-camera', 'sim/onvif-camera-main.js', ['--port', String(cameraPort), '--user', 'admin', '--password', 'demo', '--name', 'Lobi Dinkes']);
      return {
        terminal: { id: 'lobby', driver: 'line-serial', port: pty.gatewayPath, zone: office.zone, format: { fields: ['employee', 'time', 'status', 'verify'] } },
        extra: { cameras: [{ id: 'lobi', name: 'Lobi Dinkes', onvif: { host: '127.0.0.1', port: cameraPort }, username: 'admin', password: 'demo', intervalS: 15 }] },
        startSim: () => {
          startTerminal();
          startCamera();
        },
      };
    }
    case 'zk': {
      const port = await freePort();
      // Its clock runs 95 s fast: the gateway measures the skew, corrects punches and raises the alarm.
      return {
        terminal: { id: 'x100c', driver: 'zk', host: '127.0.0.1', port, zone: office.zone, reconcileIntervalS: 60 },
        extra: {},
        startSim: sim('zk-terminal-main', ['--tcp-port', String(port), '--udp-port', 'off', '--zone', office.zone, '--records', '500', '--employee-prefix', prefix, '--mean-interval-ms', '3000', '--clock-offset-ms', '95000']),
      };
    }
    case 'adms': {
      const port = await freePort();
      return {
        terminal: { id: 'face-1', driver: 'adms', serialNumber: 'DEMO0000000003', zone: office.zone },
        extra: { adms: { host: '127.0.0.1', port } },
        startSim: sim('adms-terminal-main', ['--server', `http://127.0.0.1:${port}`, '--sn', 'DEMO0000000003', '--zone', office.zone, '--employee-prefix', prefix, '--mean-interval-ms', '3000']),
      };
    }
    case 'r30x': {
      const pty = await PtyPair.open(join(RUN, `${office.gateway}.device`), join(RUN, `${office.gateway}.serial`));
      ptys.push(pty);
      const employees = Object.fromEntries(Array.from({ length: 20 }, (_, p) => [String(p + 1), `${prefix}${String(p + 1).padStart(3, '0')}`]));
      return {
        terminal: { id: 'finger-1', driver: 'r30x', port: pty.gatewayPath, zone: office.zone, employees },
        extra: {},
        startSim: sim('r30x-module-main', ['--device', pty.devicePath, '--enrolled', '1-20', '--mean-interval-ms', '4000']),
      };
    }
  }
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

async function stopAll(procs: ChildProcess[]): Promise<void> {
  const running = procs.filter((c) => c.exitCode === null && c.signalCode === null);
  const exits = running.map((c) => new Promise((r) => c.once('exit', r)));
  for (const c of running) c.kill('SIGTERM');
  const timer = setTimeout(() => running.forEach((c) => c.kill('SIGKILL')), 10_000);
  await Promise.all(exits);
  clearTimeout(timer);
}

let stopping = false;
async function shutdown(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log('\n[demo] stopping: simulators, gateways, central, InfluxDB');
  // Devices and gateways first, then the central (it flushes to InfluxDB), then InfluxDB.
  await stopAll(children.filter((c) => c !== central));
  await stopAll(central ? [central] : []);
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
