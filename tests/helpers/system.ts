import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import Database from 'better-sqlite3';
import { Influxd } from '../../scripts/lib/influxd.js';
import { freePort } from '../../scripts/lib/ports.js';
import { PtyPair } from '../../sim/pty-pair.js';
import { LineTerminalSim } from '../../sim/line-terminal.js';
import { NodeProcess, ROOT } from './proc.js';

export const DATABASE = 'pemda';

export interface OfficeSpec {
  gateway: string;
  opd: string;
  zone: string;
  terminal?: string;
  employees?: { pin: string; nip?: string; name: string }[];
  /** Terminal configs to use instead of the default line terminal on a socat pty. */
  terminals?: Record<string, unknown>[];
  /** Extra `gateway:` settings (e.g. outboxBudgetMB). */
  gatewaySettings?: Record<string, unknown>;
  /** Extra gateway mqtt settings (e.g. batchSize). */
  mqtt?: Record<string, unknown>;
}

/**
 * A whole installation on loopback in a temp dir: a private influxd, the central
 * (embedded broker) and gateways reading line terminals through socat ptys.
 */
export class TestSystem {
  readonly dir = mkdtempSync(join(tmpdir(), 'pemda-test-'));
  influx!: Influxd;
  central: NodeProcess | undefined;
  brokerPort = 0;
  httpPort = 0;
  readonly gateways = new Map<string, NodeProcess>();
  readonly terminals = new Map<string, LineTerminalSim>();
  /** Extra central broker settings (e.g. auth: 'off' for a test that publishes as anyone). */
  readonly centralBroker: Record<string, unknown> = {};
  /** Each gateway's MQTT password, set with the CLI as a technician would (broker.auth required, the default). */
  readonly passwords = new Map<string, string>();
  /** Extra top-level central settings (e.g. tls). The wall's read-only API is open unless a test logs in. */
  readonly centralExtra: Record<string, unknown> = { auth: { anonymousView: true } };
  /** Extra top-level gateway settings per gateway id (e.g. adms). */
  readonly gatewayExtra = new Map<string, Record<string, unknown>>();
  private readonly ptys: PtyPair[] = [];

  /** `offices` get a gateway process each; `registeredOnly` are only in the registry. */
  constructor(
    readonly offices: OfficeSpec[],
    readonly registeredOnly: OfficeSpec[] = [],
  ) {}

  async start(): Promise<void> {
    this.influx = await Influxd.start(join(this.dir, 'influx'));
    this.brokerPort = await freePort();
    this.httpPort = await freePort();
    writeFileSync(
      join(this.dir, 'registry.yaml'),
      stringify({ opds: [...this.offices, ...this.registeredOnly].map((o) => ({ code: o.opd, name: `OPD ${o.opd}`, zone: o.zone, gateways: [o.gateway], employees: o.employees ?? [] })) }),
    );
    writeFileSync(
      join(this.dir, 'central.yaml'),
      stringify({
        broker: { host: '127.0.0.1', port: this.brokerPort, ...this.centralBroker },
        http: { host: '127.0.0.1', port: this.httpPort },
        influx: { url: this.influx.url, database: DATABASE, flushIntervalMs: 50 },
        registry: { db: 'central.sqlite', seed: 'registry.yaml' },
        log: { level: 'debug' },
        ...this.centralExtra,
      }),
    );
    if (this.centralBroker.auth !== 'off') this.setGatewayPasswords([...this.offices, ...this.registeredOnly].map((o) => o.gateway));
    await this.startCentral();
    for (const office of this.offices) {
      let terminals = office.terminals;
      if (!terminals) {
        const pty = await PtyPair.open(join(this.dir, `${office.gateway}-device`), join(this.dir, `${office.gateway}-serial`));
        this.ptys.push(pty);
        this.terminals.set(office.gateway, new LineTerminalSim(pty.devicePath, office.zone, { fields: ['employee', 'time', 'status', 'verify'] }));
        terminals = [
          { id: office.terminal ?? 'term-1', driver: 'line-serial', port: pty.gatewayPath, zone: office.zone, format: { fields: ['employee', 'time', 'status', 'verify'] }, reopenDelayMs: 500 },
        ];
      }
      writeFileSync(
        this.gatewayConfigPath(office.gateway),
        stringify({
          gateway: { id: office.gateway, dataDir: `${office.gateway}-data`, ...office.gatewaySettings },
          mqtt: { url: `mqtt://127.0.0.1:${this.brokerPort}`, reconnectMs: 300, ackTimeoutMs: 2000, ...this.credentials(office.gateway), ...office.mqtt },
          health: { intervalS: 2 },
          terminals,
          log: { level: 'debug' },
          ...this.gatewayExtra.get(office.gateway),
        }),
      );
      await this.startGateway(office.gateway);
    }
  }

  /** A command-room user, made as an admin would: with the CLI, the password on stdin. */
  addUser(username: string, role: 'admin' | 'technician' | 'operator' | 'opd', password: string, opd?: string): void {
    const args = ['user', 'add', '--config', join(this.dir, 'central.yaml'), '--username', username, '--role', role, ...(opd !== undefined ? ['--opd', opd] : []), '--password-stdin'];
    const r = spawnSync(process.execPath, [join(ROOT, 'dist', 'central', 'main.js'), ...args], {
      input: `${password}\n`,
      encoding: 'utf8',
    });
    if (r.status !== 0) throw new Error(`user add ${username} exited ${r.status}: ${r.stderr}`);
  }

  /** `pemda-central gateway-password` for all of them in one run; keeps the printed passwords. */
  private setGatewayPasswords(gateways: string[]): void {
    if (gateways.length === 0) return;
    const r = spawnSync(process.execPath, [join(ROOT, 'dist', 'central', 'main.js'), 'gateway-password', '--config', join(this.dir, 'central.yaml'), ...gateways.flatMap((gw) => ['--gateway', gw])], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`gateway-password exited ${r.status}: ${r.stderr}`);
    const lines = r.stdout.trim().split('\n');
    if (gateways.length === 1) this.passwords.set(gateways[0]!, lines.at(-1)!);
    else for (const line of lines.slice(1)) this.passwords.set(line.split(' ')[0]!, line.split(' ')[1]!);
  }

  /** The MQTT user name and password a gateway logs in with (none when broker.auth is off). */
  credentials(gateway: string): { username?: string; password?: string } {
    const password = this.passwords.get(gateway);
    return password === undefined ? {} : { username: gateway, password };
  }

  /** Logs in over HTTP; resolves with the Cookie header to send. */
  async login(username: string, password: string): Promise<string> {
    const res = await fetch(`http://127.0.0.1:${this.httpPort}/api/auth/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username, password }) });
    if (res.status !== 200) throw new Error(`login ${username}: HTTP ${res.status} ${await res.text()}`);
    return (res.headers.get('set-cookie') ?? '').split(';')[0]!;
  }

  gatewayConfigPath(gateway: string): string {
    return join(this.dir, `${gateway}.yaml`);
  }

  async startCentral(): Promise<NodeProcess> {
    const central = NodeProcess.start('central', 'central/main.js', ['run', '--config', join(this.dir, 'central.yaml')]);
    this.central = central;
    await central.waitForLog((l) => l.msg === 'central ready', 30_000, '"central ready"');
    return central;
  }

  async startGateway(gateway: string): Promise<NodeProcess> {
    const proc = NodeProcess.start(gateway, 'edge/main.js', ['run', '--config', this.gatewayConfigPath(gateway)]);
    this.gateways.set(gateway, proc);
    // A line terminal's port must be open before a test writes to it.
    const ready = this.terminals.has(gateway) ? 'terminal port open' : 'connected to broker';
    await proc.waitForLog((l) => l.msg === ready, 20_000, `"${ready}"`);
    return proc;
  }

  terminal(gateway: string): LineTerminalSim {
    const t = this.terminals.get(gateway);
    if (!t) throw new Error(`no terminal for ${gateway}`);
    return t;
  }

  /** Reads the gateway's outbox the way an operator would: a read-only SQLite look. */
  outboxDepth(gateway: string): number {
    const db = new Database(join(this.dir, `${gateway}-data`, 'outbox.sqlite'), { readonly: true, fileMustExist: true });
    try {
      return (db.prepare('SELECT COUNT(*) AS n FROM records').get() as { n: number }).n;
    } finally {
      db.close();
    }
  }

  async punches(where = ''): Promise<Record<string, unknown>[]> {
    return this.influx.query(DATABASE, `SELECT * FROM punch ${where}`);
  }

  /** A pty pair whose lifetime the system manages (e.g. for a serial device simulator). */
  async ptyPair(name: string): Promise<PtyPair> {
    const pty = await PtyPair.open(join(this.dir, `${name}-device`), join(this.dir, `${name}-serial`));
    this.ptys.push(pty);
    return pty;
  }

  async stop(): Promise<void> {
    for (const t of this.terminals.values()) t.close();
    await Promise.all([...this.gateways.values()].map((g) => g.kill('SIGTERM')));
    await this.central?.kill('SIGTERM');
    await Promise.all(this.ptys.map((p) => p.close()));
    await this.influx?.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
