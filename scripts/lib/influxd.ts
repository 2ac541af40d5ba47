import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync, createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from './ports.js';

/**
 * A private InfluxDB 1.x (Debian's `influxd`) as a child process: its own config, data
 * directory and loopback ports, never the system service. Used by the demo and tests.
 */
export class Influxd {
  private constructor(
    readonly url: string,
    readonly port: number,
    readonly dir: string,
    private proc: ChildProcess,
    private readonly configPath: string,
  ) {}

  static async start(dir: string, options: { port?: number } = {}): Promise<Influxd> {
    mkdirSync(dir, { recursive: true });
    const port = options.port ?? (await freePort());
    const rpcPort = await freePort();
    const configPath = join(dir, 'influxdb.conf');
    // Monitor store and reporting off: nothing to phone home, less write load on 2 cores.
    writeFileSync(
      configPath,
      `reporting-disabled = true
bind-address = "127.0.0.1:${rpcPort}"
[meta]
  dir = "${join(dir, 'meta')}"
  logging-enabled = false
[data]
  dir = "${join(dir, 'data')}"
  wal-dir = "${join(dir, 'wal')}"
  query-log-enabled = false
  wal-fsync-delay = "0s"
[monitor]
  store-enabled = false
[http]
  bind-address = "127.0.0.1:${port}"
  log-enabled = false
  pprof-enabled = false
[continuous_queries]
  log-enabled = false
`,
    );
    const influxd = new Influxd(`http://127.0.0.1:${port}`, port, dir, Influxd.spawn(configPath, dir), configPath);
    await influxd.waitReady();
    return influxd;
  }

  private static spawn(configPath: string, dir: string): ChildProcess {
    const log = createWriteStream(join(dir, 'influxd.log'), { flags: 'a' });
    // Its own process group: a Ctrl-C in the terminal must not stop InfluxDB before
    // the central has flushed; the owner stops it last.
    const proc = spawn('influxd', ['run', '-config', configPath], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    proc.stdout?.pipe(log);
    proc.stderr?.pipe(log);
    proc.once('error', (err) => log.write(`spawn failed: ${err.message}\n`));
    return proc;
  }

  async waitReady(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.proc.exitCode !== null) throw new Error(`influxd exited with ${this.proc.exitCode}; see ${join(this.dir, 'influxd.log')}`);
      try {
        const res = await fetch(`${this.url}/ping`);
        if (res.status === 204) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`influxd not ready on ${this.url} after ${timeoutMs} ms; see ${join(this.dir, 'influxd.log')}`);
      await sleep(100);
    }
  }

  /** Runs one InfluxQL statement; rows as objects, with GROUP BY tags merged in. */
  async query(database: string, q: string): Promise<Record<string, unknown>[]> {
    const params = new URLSearchParams({ db: database, q, epoch: 'ns' });
    const res = await fetch(`${this.url}/query?${params}`);
    const body = (await res.json()) as {
      results?: { series?: { columns: string[]; values: unknown[][]; tags?: Record<string, string> }[]; error?: string }[];
      error?: string;
    };
    const result = body.results?.[0];
    if (body.error || result?.error) throw new Error(`InfluxQL "${q}": ${body.error ?? result?.error}`);
    const rows: Record<string, unknown>[] = [];
    for (const series of result?.series ?? []) {
      for (const values of series.values) rows.push({ ...series.tags, ...Object.fromEntries(series.columns.map((c, i) => [c, values[i]])) });
    }
    return rows;
  }

  /** Stops influxd (SIGTERM, then SIGKILL after a grace period). */
  async stop(graceMs = 10_000): Promise<void> {
    const proc = this.proc;
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }

  /** Starts it again on the same port and data (for outage tests). */
  async restart(): Promise<void> {
    await this.stop();
    this.proc = Influxd.spawn(this.configPath, this.dir);
    await this.waitReady();
  }
}
