import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { stringify } from 'yaml';
import Database from 'better-sqlite3';
import { Influxd } from '../../scripts/lib/influxd.js';
import { freePort } from '../../scripts/lib/ports.js';
import { prng } from '../../scripts/lib/prng.js';
import { ZkTerminalSim } from '../../sim/zk-terminal.js';
import { formatNaive } from '../../protocols/zk/index.js';
import { NodeProcess, eventually } from '../helpers/proc.js';

/**
 * Growing past one machine: Mosquitto as the broker and two stateless aggregators
 * sharing ingest through `$share`. One aggregator is SIGKILLed in the middle of a
 * rush; every punch must still be in InfluxDB exactly once.
 */
const MOSQUITTO = ['/usr/sbin/mosquitto', '/usr/bin/mosquitto'].find(existsSync);
const G = 10;
const P = Number(process.env.FAULT_PUNCHES_SHARED ?? 2000);
const SEED = Number(process.env.FAULT_SEED ?? Math.floor(Math.random() * 2 ** 31));

describe.skipIf(!MOSQUITTO)(`two aggregators on Mosquitto, ${G} gateways, ${P} punches, seed ${SEED}`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'pemda-two-agg-'));
  const random = prng(SEED);
  const gateways = Array.from({ length: G }, (_, i) => `gw-s${i}`);
  const sims = gateways.map(() => new ZkTerminalSim({ zone: 'Asia/Makassar' }));
  let mosquitto: ChildProcess;
  let influx: Influxd;
  let brokerPort = 0;
  const aggregators = new Map<string, NodeProcess>();
  let host: NodeProcess;

  const startAggregator = async (instance: string) => {
    const file = join(dir, `central-${instance}.yaml`);
    writeFileSync(
      file,
      stringify({
        broker: { embedded: false },
        mqtt: { url: `mqtt://127.0.0.1:${brokerPort}`, instance, sharedGroup: 'ingest' },
        http: { host: '127.0.0.1', port: await freePort() },
        influx: { url: influx.url, database: 'pemda', flushIntervalMs: 50 },
        registry: { db: `registry-${instance}.sqlite`, seed: 'registry.yaml' }, // each its own: stateless aggregators
        snapshots: { dir: `snapshots-${instance}` },
      }),
    );
    const proc = NodeProcess.start(`central-${instance}`, 'central/main.js', ['run', '--config', file]);
    await proc.waitForLog((l) => l.msg === 'central ready', 30_000, 'central ready');
    aggregators.set(instance, proc);
  };

  beforeAll(async () => {
    brokerPort = await freePort();
    writeFileSync(join(dir, 'mosquitto.conf'), `listener ${brokerPort} 127.0.0.1\nallow_anonymous true\npersistence false\nmax_queued_messages 100000\n`);
    mosquitto = spawn(MOSQUITTO!, ['-c', join(dir, 'mosquitto.conf')], { stdio: 'ignore' });
    influx = await Influxd.start(join(dir, 'influx'));
    writeFileSync(join(dir, 'registry.yaml'), stringify({ opds: [{ code: 'shared', name: 'OPD Shared', zone: 'Asia/Makassar', gateways }] }));
    await startAggregator('a');
    await startAggregator('b');
    const files = await Promise.all(
      gateways.map(async (gw, i) => {
        const port = await sims[i]!.listenTcp(0);
        const file = join(dir, `${gw}.yaml`);
        writeFileSync(
          file,
          stringify({
            gateway: { id: gw, dataDir: `${gw}-data` },
            mqtt: { url: `mqtt://127.0.0.1:${brokerPort}`, reconnectMs: 300, ackTimeoutMs: 2000 },
            terminals: [{ id: `zk-${i}`, driver: 'zk', host: '127.0.0.1', port, zone: 'Asia/Makassar', reconcileIntervalS: 5, keepaliveS: 2, reconnectMinMs: 200, reconnectMaxMs: 1000 }],
            log: { level: 'warn' },
          }),
        );
        return file;
      }),
    );
    host = NodeProcess.start('host', 'scripts/gateway-host.js', files);
    await host.waitForLog((l) => l.msg === 'gateway host ready', 30_000, 'gateway host ready');
    await eventually(() => sims.filter((s) => s.stats.connects === 0).length, (n) => n === 0, 30_000, 'every gateway connected');
  }, 120_000);

  afterAll(async () => {
    await host?.kill('SIGTERM');
    for (const a of aggregators.values()) await a.kill('SIGTERM');
    await Promise.all(sims.map((s) => s.close()));
    mosquitto?.kill('SIGTERM');
    await influx?.stop();
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('loses and doubles nothing when one aggregator is SIGKILLed mid-rush', async () => {
    const produced = new Set<string>();
    const rushMs = 10_000;
    const times = Array.from({ length: P }, () => random() * rushMs).sort((a, b) => a - b);
    const started = Date.now();
    let killed = false;
    for (let i = 0; i < P; i++) {
      const wait = started + times[i]! - Date.now();
      if (wait > 0) await sleep(wait);
      if (!killed && times[i]! > rushMs / 2) {
        killed = true;
        await aggregators.get('a')!.kill('SIGKILL');
      }
      const t = Math.floor(random() * G);
      const employee = `S${String(i).padStart(5, '0')}`;
      const rec = sims[t]!.punch(employee, new Date()); // held while the terminal is disabled: not yet in records
      produced.add(`zk-${t}|${employee}|${formatNaive(rec.deviceTime).replace(' ', 'T')}`);
    }
    const query = () => influx.query('pemda', `SELECT terminal, employee, device_time FROM punch WHERE employee =~ /^S/`);
    const rows = await eventually(query, (r) => r.length >= P, 90_000, `${P} punches`).catch(() => query());
    const seen = new Map<string, number>();
    for (const r of rows) {
      const key = `${String(r.terminal)}|${String(r.employee)}|${String(r.device_time)}`;
      seen.set(key, (seen.get(key) ?? 0) + 1);
    }
    const missing = [...produced].filter((k) => !seen.has(k)).length;
    const duplicated = [...seen.values()].filter((n) => n > 1).length;
    // Both aggregators acked batches: the shared subscription really split the stream.
    const progress = (instance: string) => {
      const db = new Database(join(dir, `registry-${instance}.sqlite`), { readonly: true });
      try {
        return (db.prepare('SELECT COUNT(*) AS n FROM ingest_progress WHERE acked_seq > 0').get() as { n: number }).n;
      } finally {
        db.close();
      }
    };
    console.log(`punches (aggregator-sigkill, two aggregators on Mosquitto, seed ${SEED}): produced ${P}, stored ${rows.length}, missing ${missing}, duplicated ${duplicated}`);
    expect({ missing, duplicated, stored: rows.length }).toEqual({ missing: 0, duplicated: 0, stored: P });
    expect(progress('a')).toBeGreaterThan(0);
    expect(progress('b')).toBeGreaterThan(0);
  }, 180_000);
});
