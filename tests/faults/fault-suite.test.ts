import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { stringify } from 'yaml';
import { ZkTerminalSim } from '../../sim/zk-terminal.js';
import { TcpProxy } from '../../sim/tcp-proxy.js';
import { formatNaive } from '../../protocols/zk/index.js';
import { TestSystem } from '../helpers/system.js';
import { NodeProcess, eventually } from '../helpers/proc.js';
import { prng } from '../../scripts/lib/prng.js';

/**
 * A compressed morning rush under faults. G gateways (in a few host processes)
 * read simulated ZK terminals; the broker link passes through a proxy the test
 * cuts. For each fault a rush of P punches runs with the fault injected in the
 * middle; then InfluxDB must hold every punch exactly once.
 *
 *   FAULT_GATEWAYS (50) FAULT_PUNCHES (5000 per fault) FAULT_RUSH_S (15)
 *   FAULT_SEED (random, printed) FAULT_ONLY (comma-separated fault names)
 */
const G = Number(process.env.FAULT_GATEWAYS ?? 50);
const P = Number(process.env.FAULT_PUNCHES ?? 5000);
const RUSH_MS = Number(process.env.FAULT_RUSH_S ?? 15) * 1000;
const SEED = Number(process.env.FAULT_SEED ?? Math.floor(Math.random() * 2 ** 31));
const PER_HOST = 10;
const ALL_FAULTS = ['gateway-sigkill', 'central-sigkill', 'influx-stop', 'link-cut', 'broker-restart'] as const;
type Fault = (typeof ALL_FAULTS)[number];
const FAULTS = (process.env.FAULT_ONLY?.split(',') ?? ALL_FAULTS) as Fault[];
const ZONES = ['Asia/Jakarta', 'Asia/Makassar', 'Asia/Jayapura'];

describe(`fault suite: ${G} gateways, ${P} punches per fault, seed ${SEED}`, () => {
  const random = prng(SEED);
  const gateways = Array.from({ length: G }, (_, i) => `gw-f${String(i).padStart(3, '0')}`);
  const system = new TestSystem([], gateways.map((gateway, i) => ({ gateway, opd: `opd${i % 10}`, zone: ZONES[i % 3]! })));
  const sims = gateways.map((_, i) => new ZkTerminalSim({ zone: ZONES[i % 3]!, clockOffsetMs: (i % 4) * 7000 }));
  let proxy: TcpProxy;
  const hosts: { files: string[]; proc: NodeProcess }[] = [];

  const startHost = async (k: number) => {
    const proc = NodeProcess.start(`host-${k}`, 'scripts/gateway-host.js', hosts[k]!.files);
    hosts[k]!.proc = proc;
    await proc.waitForLog((l) => l.msg === 'gateway host ready', 30_000, 'gateway host ready');
  };

  beforeAll(async () => {
    console.log(`fault suite seed ${SEED} (replay with FAULT_SEED=${SEED})`);
    await system.start();
    proxy = new TcpProxy(system.brokerPort);
    const proxyPort = await proxy.listen();
    const files = await Promise.all(
      gateways.map(async (gateway, i) => {
        const port = await sims[i]!.listenTcp(0);
        const file = join(system.dir, `${gateway}.yaml`);
        writeFileSync(
          file,
          stringify({
            gateway: { id: gateway, dataDir: `${gateway}-data` },
            mqtt: { url: `mqtt://127.0.0.1:${proxyPort}`, reconnectMs: 300, ackTimeoutMs: 2000, batchSize: 500, ...system.credentials(gateway) },
            health: { intervalS: 10 },
            terminals: [{ id: `zk-${i}`, driver: 'zk', host: '127.0.0.1', port, zone: ZONES[i % 3], reconcileIntervalS: 5, keepaliveS: 2, requestTimeoutMs: 2000, reconnectMinMs: 200, reconnectMaxMs: 1000 }],
            log: { level: 'warn' },
          }),
        );
        return file;
      }),
    );
    for (let k = 0; k * PER_HOST < G; k++) hosts.push({ files: files.slice(k * PER_HOST, (k + 1) * PER_HOST), proc: undefined as unknown as NodeProcess });
    await Promise.all(hosts.map((_, k) => startHost(k)));
    await eventually(() => sims.filter((s) => s.stats.connects === 0).length, (n) => n === 0, 60_000, 'every gateway connected to its terminal');
  }, 180_000);

  afterAll(async () => {
    await Promise.all(hosts.map((h) => h.proc?.kill('SIGTERM')));
    await proxy?.close();
    await Promise.all(sims.map((s) => s.close()));
    await system.stop();
  }, 120_000);

  async function inject(fault: Fault): Promise<void> {
    switch (fault) {
      case 'gateway-sigkill': {
        const k = Math.floor(random() * hosts.length);
        await hosts[k]!.proc.kill('SIGKILL');
        await sleep(2000);
        return startHost(k);
      }
      case 'central-sigkill':
        await system.central!.kill('SIGKILL');
        await sleep(2000);
        await system.startCentral();
        return;
      case 'influx-stop':
        await system.influx.stop();
        await sleep(5000);
        return system.influx.restart();
      case 'link-cut':
        proxy.cut();
        await sleep(5000);
        return proxy.restore();
      case 'broker-restart':
        await system.central!.kill('SIGTERM');
        await system.startCentral();
        return;
    }
  }

  FAULTS.forEach((fault, index) => {
    it(`loses and doubles no punch under ${fault}`, async () => {
      const prefix = `F${index}`;
      const produced = new Map<string, number>();
      const rush = async () => {
        const times = Array.from({ length: P }, () => random() * RUSH_MS).sort((a, b) => a - b);
        const started = Date.now();
        for (let i = 0; i < P; i++) {
          const wait = started + times[i]! - Date.now();
          if (wait > 0) await sleep(wait);
          const t = Math.floor(random() * G);
          const sim = sims[t]!;
          const employee = `${prefix}${String(i).padStart(5, '0')}`;
          // The record itself: a punch made while the driver has the terminal disabled is held, not yet in the log.
          const stored = sim.punch(employee, new Date(), { status: 0, verify: 1 });
          produced.set(`zk-${t}|${employee}|${formatNaive(stored.deviceTime).replace(' ', 'T')}`, 0);
        }
      };
      const faultAt = RUSH_MS * (0.3 + 0.3 * random());
      await Promise.all([rush(), sleep(faultAt).then(() => inject(fault))]);

      const query = () => system.influx.query('pemda', `SELECT terminal, employee, device_time FROM punch WHERE employee =~ /^${prefix}/`);
      const rows = await eventually(query, (r) => r.length >= P, 150_000, `${P} punches in InfluxDB after ${fault}`).catch(() => query());
      let duplicated = 0;
      let unexpected = 0;
      for (const r of rows) {
        const key = `${String(r.terminal)}|${String(r.employee)}|${String(r.device_time)}`;
        const seen = produced.get(key);
        if (seen === undefined) unexpected++;
        else {
          if (seen > 0) duplicated++;
          produced.set(key, seen + 1);
        }
      }
      const missing = [...produced.values()].filter((n) => n === 0).length;
      console.log(`punches (${fault}, seed ${SEED}): produced ${P}, stored ${rows.length}, missing ${missing}, duplicated ${duplicated}`);
      expect({ missing, duplicated, unexpected, stored: rows.length }).toEqual({ missing: 0, duplicated: 0, unexpected: 0, stored: P });
    }, 300_000);
  });
});
