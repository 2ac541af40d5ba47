import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { CentralConfig } from '../../central/config.js';
import { Influxd } from '../../scripts/lib/influxd.js';
import { freePort } from '../../scripts/lib/ports.js';
import { Child, ROOT, onCleanup } from './proc.js';

export const DATABASE = 'pemda';
export const TOPIC_ROOT = 'pemda/v1';
const ZONES = ['Asia/Jakarta', 'Asia/Makassar', 'Asia/Jayapura'] as const;

/** Gateway i of a benchmark belongs to OPD i % 10 (ten offices' worth of tags). */
export const opdOf = (i: number): string => `opd${i % 10}`;
export const zoneOf = (i: number): string => ZONES[i % ZONES.length]!;

/** A private influxd with an empty data directory; stopped at cleanup. */
export async function startInflux(dir: string): Promise<Influxd> {
  const influx = await Influxd.start(join(dir, 'influx'));
  onCleanup(() => influx.stop());
  await query(influx, `CREATE DATABASE ${DATABASE}`, 'POST');
  return influx;
}

/** Runs one InfluxQL statement (GET for SELECT, POST for the rest). */
export async function query(influx: Influxd, q: string, method: 'GET' | 'POST' = 'GET'): Promise<Record<string, unknown>[]> {
  if (method === 'GET') return influx.query(DATABASE, q);
  const res = await fetch(`${influx.url}/query`, { method: 'POST', body: new URLSearchParams({ q }) });
  if (!res.ok) throw new Error(`InfluxQL "${q}": HTTP ${res.status} ${await res.text()}`);
  return [];
}

export interface InfluxWriteStats {
  writeReq: number;
  writeReqDurationNs: number;
  pointsWrittenOK: number;
}

/** InfluxDB's own HTTP write counters (/debug/vars): how many writes and how long they took inside influxd. */
export async function influxWriteStats(influx: Influxd): Promise<InfluxWriteStats> {
  const vars = (await (await fetch(`${influx.url}/debug/vars`)).json()) as Record<string, { name?: string; values?: Record<string, number> }>;
  const httpd = Object.values(vars).find((v) => v?.name === 'httpd')?.values ?? {};
  return { writeReq: httpd.writeReq ?? 0, writeReqDurationNs: httpd.writeReqDurationNs ?? 0, pointsWrittenOK: httpd.pointsWrittenOK ?? 0 };
}

/** What happened between two readings: writes, points and the mean time influxd spent per write. */
export function influxWriteDiff(a: InfluxWriteStats, b: InfluxWriteStats): { writes: number; points: number; meanWriteMs: number | null } {
  const writes = b.writeReq - a.writeReq;
  return { writes, points: b.pointsWrittenOK - a.pointsWrittenOK, meanWriteMs: writes === 0 ? null : Math.round(((b.writeReqDurationNs - a.writeReqDurationNs) / writes / 1e6) * 10) / 10 };
}

/** COUNT(employee) of punches, optionally for employees matching a regex. */
export async function countPunches(influx: Influxd, employeeRegex?: string): Promise<number> {
  const where = employeeRegex === undefined ? '' : ` WHERE employee =~ /${employeeRegex}/`;
  const rows = await influx.query(DATABASE, `SELECT COUNT(employee) FROM punch${where}`);
  return Number(rows[0]?.count ?? 0);
}

/** Writes the registry seed: every gateway in its OPD, so the central accepts it. */
export function writeSeed(dir: string, gateways: string[]): string {
  const opds = new Map<string, string[]>();
  gateways.forEach((gw, i) => opds.set(opdOf(i), [...(opds.get(opdOf(i)) ?? []), gw]));
  const file = join(dir, 'registry.yaml');
  writeFileSync(file, stringify({ opds: [...opds].map(([code, gws]) => ({ code, name: `OPD ${code}`, zone: 'Asia/Jakarta', gateways: gws })) }));
  return file;
}

export interface CentralSetup {
  dir: string;
  influxUrl: string;
  gateways: string[];
  /** Embedded broker on this port, or an external broker at this URL. */
  brokerPort?: number;
  externalUrl?: string;
}

/**
 * Writes central.yaml (defaults for the writer: 5,000-point batches, 200 ms flush).
 * A central that has an HTTP API gets it on loopback and a free port, not 0.0.0.0:8080.
 */
export async function writeCentralConfig(s: CentralSetup): Promise<string> {
  mkdirSync(s.dir, { recursive: true });
  const http = 'http' in CentralConfig.shape ? { http: { host: '127.0.0.1', port: await freePort() } } : {};
  writeSeed(s.dir, s.gateways);
  const file = join(s.dir, 'central.yaml');
  writeFileSync(
    file,
    stringify({
      // Anonymous on loopback, like the Mosquitto peer: the load generators and the byte
      // meter connect without per-gateway passwords (a password costs one scrypt per
      // connect; per message the topic check is the same string compare either way).
      broker: s.externalUrl === undefined ? { host: '127.0.0.1', port: s.brokerPort, auth: 'off' } : { embedded: false },
      ...(s.externalUrl !== undefined && { mqtt: { url: s.externalUrl } }),
      ...http,
      influx: { url: s.influxUrl, database: DATABASE },
      registry: { db: 'central.sqlite', seed: 'registry.yaml' },
      log: { level: 'info' },
    }),
  );
  return file;
}

/**
 * Starts `node [NODE_ARGS] dist/central/main.js run --config FILE` and waits for
 * "central ready" (`nodeArgs`: e.g. --cpu-prof for the ingest profile).
 */
export async function startCentral(configFile: string, dir: string, nodeArgs: string[] = []): Promise<Child> {
  const central = Child.node('central', 'central/main.js', ['run', '--config', configFile], join(dir, 'central.log'), process.env, nodeArgs);
  await central.waitFor('central ready', 60_000);
  await central.waitFor('ingest subscribed', 30_000); // events published before this would find no subscriber
  return central;
}

export function mosquittoPath(): string | undefined {
  for (const p of ['/usr/sbin/mosquitto', '/usr/bin/mosquitto', '/usr/local/sbin/mosquitto']) if (existsSync(p)) return p;
  return undefined;
}

/** Debian's mosquitto with a generated config on a free loopback port. */
export async function startMosquitto(dir: string): Promise<{ url: string; child: Child }> {
  const bin = mosquittoPath();
  if (bin === undefined) throw new Error('mosquitto is not installed (bench/setup.sh installs it as root)');
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const conf = join(dir, 'mosquitto.conf');
  // As root mosquitto drops to its own user: the config must be world-readable (it is).
  writeFileSync(
    conf,
    [`listener ${port} 127.0.0.1`, 'allow_anonymous true', 'persistence false', 'log_dest stdout', 'log_type error', 'log_type warning', 'log_type notice', 'max_queued_messages 100000', ''].join('\n'),
  );
  const child = Child.start('mosquitto', bin, ['-c', conf], join(dir, 'mosquitto.log'));
  const url = `mqtt://127.0.0.1:${port}`;
  await waitForTcp(port, child);
  return { url, child };
}

export function nodeRedPath(): string | undefined {
  const p = join(ROOT, 'node_modules', 'node-red', 'red.js');
  return existsSync(p) ? p : undefined;
}

/**
 * Node-RED 4 with the flow kept in bench/nodered/ (mqtt in -> function -> influxdb
 * batch; a complete node publishes the ack once the write is done). Editor and HTTP
 * off: no port is opened besides its MQTT and InfluxDB client connections.
 */
export async function startNodeRed(dir: string, mqttUrl: string, influxUrl: string, gateways: string[]): Promise<Child> {
  const red = nodeRedPath();
  if (red === undefined) throw new Error('node-red is not installed (npm ci installs the devDependency)');
  const userDir = join(dir, 'nodered');
  mkdirSync(userDir, { recursive: true });
  copyFileSync(join(ROOT, 'bench', 'nodered', 'flows.json'), join(userDir, 'flows.json'));
  copyFileSync(join(ROOT, 'bench', 'nodered', 'settings.cjs'), join(userDir, 'settings.cjs'));
  const mqtt = new URL(mqttUrl);
  const influx = new URL(influxUrl);
  const env = {
    ...process.env,
    BENCH_MQTT_HOST: mqtt.hostname,
    BENCH_MQTT_PORT: mqtt.port,
    BENCH_INFLUX_HOST: influx.hostname,
    BENCH_INFLUX_PORT: influx.port,
    BENCH_INFLUX_DB: DATABASE,
    BENCH_TOPIC_ROOT: TOPIC_ROOT,
    BENCH_OPDS: JSON.stringify(Object.fromEntries(gateways.map((gw, i) => [gw, opdOf(i)]))),
  };
  const child = Child.start('node-red', process.execPath, [red, '--userDir', userDir, '--settings', join(userDir, 'settings.cjs'), join(userDir, 'flows.json')], join(dir, 'node-red.log'), { env });
  await child.waitFor('Started flows', 90_000);
  await child.waitFor('Connected to broker', 30_000);
  return child;
}

async function waitForTcp(port: number, child: Child, timeoutMs = 15_000): Promise<void> {
  const { connect } = await import('node:net');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (!child.running) throw new Error(`${child.name} exited before listening on ${port}\n${child.tail()}`);
    if (Date.now() > deadline) throw new Error(`${child.name}: not listening on ${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
