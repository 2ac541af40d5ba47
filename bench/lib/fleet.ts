import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { ZkTerminalSim } from '../../sim/zk-terminal.js';
import { Child, onCleanup, pollUntil } from './proc.js';
import { zoneOf } from './services.js';

/** Gateways per gateway-host process, as in the fault suite. */
export const PER_HOST = 10;

/**
 * Real gateways (in `gateway-host` processes, PER_HOST each) reading simulated ZK
 * terminals that run in the benchmark process, one terminal per gateway. Gateway
 * settings are the defaults except for what `mqtt` overrides.
 */
export class Fleet {
  readonly sims: ZkTerminalSim[];
  readonly gateways: string[];
  readonly hosts: Child[] = [];

  constructor(
    private readonly dir: string,
    count: number,
    prefix: string,
  ) {
    this.gateways = Array.from({ length: count }, (_, i) => `${prefix}${String(i).padStart(3, '0')}`);
    this.sims = this.gateways.map((_, i) => new ZkTerminalSim({ zone: zoneOf(i) }));
    onCleanup(() => Promise.all(this.sims.map((s) => s.close())).then(() => undefined));
  }

  /** Starts the terminals and the host processes; waits until every gateway talks to its terminal. */
  async start(brokerUrl: string, mqtt: Record<string, unknown> = {}): Promise<void> {
    const files = await Promise.all(
      this.gateways.map(async (gateway, i) => {
        const port = await this.sims[i]!.listenTcp(0);
        const file = join(this.dir, `${gateway}.yaml`);
        writeFileSync(
          file,
          stringify({
            gateway: { id: gateway, dataDir: `${gateway}-data` },
            mqtt: { url: brokerUrl, ...mqtt },
            // A log download every 30 s catches a punch made before live events were registered.
            terminals: [{ id: `zk-${i}`, driver: 'zk', host: '127.0.0.1', port, zone: zoneOf(i), reconcileIntervalS: 30 }],
            log: { level: 'warn' },
          }),
        );
        return file;
      }),
    );
    for (let k = 0; k * PER_HOST < files.length; k++) {
      this.hosts.push(Child.node(`gateway-host-${k}`, 'scripts/gateway-host.js', files.slice(k * PER_HOST, (k + 1) * PER_HOST), join(this.dir, `gateway-host-${k}.log`)));
    }
    await Promise.all(this.hosts.map((h) => h.waitFor('gateway host ready', 60_000)));
    const unconnected = await pollUntil(async () => this.sims.filter((s) => s.stats.connects === 0).length, (n) => n === 0, 60_000);
    if (unconnected > 0) throw new Error(`${unconnected} gateways never connected to their terminal`);
  }

  /** Realtime punch events the gateways have acknowledged (each is in an outbox by then). */
  get eventsAcked(): number {
    return this.sims.reduce((n, s) => n + s.stats.eventsAcked, 0);
  }
}
