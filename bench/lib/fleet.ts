import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { ZkTerminalSim } from '../../sim/zk-terminal.js';
import { Child, onCleanup, pollUntil, sleep } from './proc.js';
import { zoneOf } from './services.js';
import type { SnapshotSource } from './snapshot-source.js';

/** Gateways per gateway-host process up to 100 gateways, as in the fault suite. */
export const PER_HOST = 10;
/** Above 100 gateways the hosts grow instead: fifty node processes would mostly measure their own start-up. */
export const MAX_HOSTS = 10;

export interface FleetOptions {
  /** Simulated cameras per gateway (served by `source`); 0: none. */
  cameras?: number;
  source?: SnapshotSource;
  /** Camera intervalS (the camera default is 30). */
  cameraIntervalS?: number;
  /** Gateway health.intervalS; undefined: the default (60). */
  healthIntervalS?: number;
  /** ZK reconcileIntervalS (a whole-log download); undefined: the driver default (300). */
  reconcileIntervalS?: number;
  /**
   * Start the host processes spread over this many seconds (host k at k x S / hosts),
   * so their cameras' first grabs, and so all later ones, are not in step.
   */
  staggerS?: number;
  /** Written into every gateway's `mqtt` section. */
  mqtt?: Record<string, unknown>;
}

/**
 * Real gateways (in `gateway-host` processes, PER_HOST each, at most MAX_HOSTS
 * processes) reading simulated ZK terminals that run in the benchmark process, one
 * terminal per gateway, and optionally simulated cameras. Gateway settings are the
 * defaults except for what the options set.
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

  /** Gateways per host process for this fleet size. */
  get perHost(): number {
    return Math.max(PER_HOST, Math.ceil(this.gateways.length / MAX_HOSTS));
  }

  /** The terminal id of gateway i (the same in live punches and in a pre-built backlog). */
  static terminalId(i: number): string {
    return `zk-${i}`;
  }

  static cameraId(k: number): string {
    return `cam-${k + 1}`;
  }

  /** Where gateway i keeps its outbox (relative paths in its config resolve against `dir`). */
  dataDir(i: number): string {
    return join(this.dir, `${this.gateways[i]!}-data`);
  }

  /** Starts the terminals and the host processes; waits until every gateway talks to its terminal. */
  async start(brokerUrl: string, options: FleetOptions = {}): Promise<void> {
    const cameras = options.cameras ?? 0;
    if (cameras > 0 && options.source === undefined) throw new Error('cameras need a snapshot source');
    const files = await Promise.all(
      this.gateways.map(async (gateway, i) => {
        const port = await this.sims[i]!.listenTcp(0);
        const file = join(this.dir, `${gateway}.yaml`);
        writeFileSync(
          file,
          stringify({
            gateway: { id: gateway, dataDir: `${gateway}-data` },
            mqtt: { url: brokerUrl, ...options.mqtt },
            ...(options.healthIntervalS !== undefined && { health: { intervalS: options.healthIntervalS } }),
            terminals: [{ id: Fleet.terminalId(i), driver: 'zk', host: '127.0.0.1', port, zone: zoneOf(i), ...(options.reconcileIntervalS !== undefined && { reconcileIntervalS: options.reconcileIntervalS }) }],
            cameras: Array.from({ length: cameras }, (_, k) => ({
              id: Fleet.cameraId(k),
              snapshotUrl: options.source!.url(gateway, Fleet.cameraId(k)),
              ...(options.cameraIntervalS !== undefined && { intervalS: options.cameraIntervalS }),
            })),
            log: { level: 'warn' },
          }),
        );
        return file;
      }),
    );
    const per = this.perHost;
    const count = Math.ceil(files.length / per);
    for (let k = 0; k < count; k++) {
      if (k > 0 && options.staggerS) await sleep((options.staggerS * 1000) / count);
      this.hosts.push(Child.node(`gateway-host-${k}`, 'scripts/gateway-host.js', files.slice(k * per, (k + 1) * per), join(this.dir, `gateway-host-${k}.log`)));
    }
    await Promise.all(this.hosts.map((h) => h.waitFor('gateway host ready', 120_000)));
    const unconnected = await pollUntil(async () => this.sims.filter((s) => s.stats.connects === 0).length, (n) => n === 0, 90_000);
    if (unconnected > 0) throw new Error(`${unconnected} gateways never connected to their terminal`);
  }

  /** Realtime punch events the gateways have acknowledged (each is in an outbox by then). */
  get eventsAcked(): number {
    return this.sims.reduce((n, s) => n + s.stats.eventsAcked, 0);
  }
}
