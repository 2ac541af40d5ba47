import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { stringify } from 'yaml';
import { ROOT, eventually, type LogLine } from '../helpers/proc.js';

/**
 * sd_notify through Debian's systemd-notify into a real unix datagram socket: socat plays
 * the service manager. socat keeps the descriptor a waiting systemd-notify passes with
 * BARRIER=1, so that wait never completes here: the helper runs use
 * `waitForManager: false`, and the gateway run (which waits) shows that its messages
 * still arrive at once.
 */

interface Datagram {
  atMs: number;
  vars: Map<string, string>;
}

/** `socat -v` writes a header per datagram (`> date time length=N from=A to=B`), then its N bytes. */
class NotifySocket {
  readonly datagrams: Datagram[] = [];
  private text = '';
  private parsed = 0;
  private constructor(
    readonly path: string,
    private readonly proc: ChildProcess,
  ) {
    proc.stderr!.on('data', (chunk: Buffer) => {
      this.text += chunk.toString('latin1');
      this.parse();
    });
  }

  static async open(path: string): Promise<NotifySocket> {
    const proc = spawn('socat', ['-u', '-v', `UNIX-RECV:${path}`, '/dev/null'], { stdio: ['ignore', 'ignore', 'pipe'] });
    const socket = new NotifySocket(path, proc);
    await eventually(() => existsSync(path), Boolean, 5000, `socat to bind ${path}`);
    return socket;
  }

  private parse(): void {
    const header = /> \S+ \S+\s+length=(\d+) from=\d+ to=\d+\n/y;
    for (;;) {
      header.lastIndex = this.parsed;
      const m = header.exec(this.text);
      if (!m) return;
      const length = Number(m[1]);
      if (this.text.length < header.lastIndex + length) return;
      const body = this.text.slice(header.lastIndex, header.lastIndex + length);
      this.parsed = header.lastIndex + length;
      const vars = new Map<string, string>();
      for (const line of body.split('\n')) {
        const eq = line.indexOf('=');
        if (eq > 0) vars.set(line.slice(0, eq), line.slice(eq + 1));
      }
      this.datagrams.push({ atMs: Date.now(), vars });
    }
  }

  with(name: string, value?: string): Datagram[] {
    return this.datagrams.filter((d) => d.vars.has(name) && (value === undefined || d.vars.get(name) === value));
  }

  async waitFor(name: string, value: string | undefined, count = 1, timeoutMs = 10_000): Promise<Datagram[]> {
    return eventually(() => this.with(name, value), (found) => found.length >= count, timeoutMs, `${count} x ${name}${value === undefined ? '' : `=${value}`} (got ${this.describe()})`);
  }

  describe(): string {
    return JSON.stringify(this.datagrams.map((d) => Object.fromEntries(d.vars)));
  }

  close(): void {
    this.proc.kill();
    rmSync(this.path, { force: true });
  }
}

/** A child whose stdout is JSON lines (pino or the helper service's). */
class Service {
  readonly lines: LogLine[] = [];
  readonly exited: Promise<number | null>;
  readonly proc: ChildProcess;
  private stderr = '';
  constructor(args: string[], env: Record<string, string | undefined>) {
    this.proc = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let buffer = '';
    this.proc.stdout!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const complete = buffer.split('\n');
      buffer = complete.pop()!;
      for (const text of complete) {
        try {
          this.lines.push(JSON.parse(text) as LogLine);
        } catch {
          this.lines.push({ msg: text });
        }
      }
    });
    this.proc.stderr!.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.exited = new Promise((resolve) => this.proc.once('exit', (code) => resolve(code)));
  }

  get running(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  async waitForLog(match: (line: LogLine) => boolean, timeoutMs: number, what: string): Promise<LogLine> {
    return eventually(() => this.lines.find(match), (l) => l !== undefined, timeoutMs, `${what}; output: ${JSON.stringify(this.lines.slice(-10))} ${this.stderr.slice(-1000)}`) as Promise<LogLine>;
  }

  async kill(signal: NodeJS.Signals): Promise<number | null> {
    if (this.running) this.proc.kill(signal);
    return this.exited;
  }
}

const dir = mkdtempSync(join(tmpdir(), 'pemda-sdn-'));
const opened: NotifySocket[] = [];
const started: Service[] = [];

async function notifySocket(name: string): Promise<NotifySocket> {
  const socket = await NotifySocket.open(join(dir, `${name}.sock`));
  opened.push(socket);
  return socket;
}

// A tiny service using the compiled helper: READY, keep-alives while `sick` is absent,
// STOPPING on SIGTERM. `waitForManager: false`: see the top of this file.
const helper = join(dir, 'service.mjs');
writeFileSync(
  helper,
  `import { existsSync } from 'node:fs';
import { SystemdNotifier } from ${JSON.stringify(pathToFileURL(join(ROOT, 'dist/host/sd-notify.js')).href)};
const [sick] = process.argv.slice(2);
const line = (level) => (obj, msg) => console.log(JSON.stringify({ level, ...obj, msg }));
const notifier = SystemdNotifier.fromEnvironment(process.env, {
  waitForManager: false,
  unsetEnvironment: true,
  command: process.env.TEST_SYSTEMD_NOTIFY || undefined,
  log: { info: line(30), warn: line(40) },
});
await notifier.ready('test service up');
notifier.startWatchdog(() => (existsSync(sick) ? { alive: false, problem: 'the sick file exists' } : { alive: true }));
console.log(JSON.stringify({ msg: 'service started', enabled: notifier.enabled, watchdog: notifier.watchdog, inherited: ['NOTIFY_SOCKET', 'WATCHDOG_USEC', 'WATCHDOG_PID'].filter((n) => n in process.env) }));
const alive = setInterval(() => undefined, 1000);
process.on('SIGTERM', async () => {
  await notifier.stopping('test service stopping');
  clearInterval(alive);
  process.exit(0);
});
`,
);

function startService(name: string, env: Record<string, string>): { proc: Service; sick: string } {
  const sick = join(dir, `${name}.sick`);
  const base: Record<string, string | undefined> = { ...process.env };
  for (const key of ['NOTIFY_SOCKET', 'WATCHDOG_USEC', 'WATCHDOG_PID', 'TEST_SYSTEMD_NOTIFY']) delete base[key];
  const proc = new Service([helper, sick], { ...base, ...env });
  started.push(proc);
  return { proc, sick };
}

afterEach(async () => {
  await Promise.all(started.splice(0).map((p) => p.kill('SIGKILL')));
});

afterAll(() => {
  for (const s of opened) s.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('sd_notify helper through systemd-notify', () => {
  it('sends READY=1 with a STATUS, WATCHDOG=1 every WATCHDOG_USEC/2, STOPPING=1 on SIGTERM', async () => {
    const socket = await notifySocket('basic');
    const { proc } = startService('basic', { NOTIFY_SOCKET: socket.path, WATCHDOG_USEC: '1000000' });
    const startedLine = await proc.waitForLog((l) => l.msg === 'service started', 10_000, '"service started"');
    expect(startedLine).toMatchObject({ enabled: true, watchdog: { enabled: true, timeoutUsec: 1_000_000, intervalMs: 500 }, inherited: [] });

    const [ready] = await socket.waitFor('READY', '1');
    expect(ready!.vars.get('STATUS')).toBe('test service up');
    const keepAlives = await socket.waitFor('WATCHDOG', '1', 5, 10_000);
    const gaps = keepAlives.slice(1).map((d, i) => d.atMs - keepAlives[i]!.atMs);
    const median = [...gaps].sort((a, b) => a - b)[Math.floor(gaps.length / 2)]!;
    expect(median, `gaps ${gaps.join(', ')} ms`).toBeGreaterThan(300);
    expect(median, `gaps ${gaps.join(', ')} ms`).toBeLessThan(900);

    proc.proc.kill('SIGTERM');
    expect(await proc.exited).toBe(0);
    const [stopping] = await socket.waitFor('STOPPING', '1');
    expect(stopping!.vars.get('STATUS')).toBe('test service stopping');
    const order = socket.datagrams.map((d) => (d.vars.has('READY') ? 'ready' : d.vars.has('STOPPING') ? 'stopping' : d.vars.has('WATCHDOG') ? 'watchdog' : 'other'));
    expect(order[0]).toBe('ready');
    expect(order.at(-1)).toBe('stopping');
  });

  it('withholds WATCHDOG=1 while the liveness check fails, says why in STATUS, resumes when it passes', async () => {
    const socket = await notifySocket('sick');
    const { proc, sick } = startService('sick', { NOTIFY_SOCKET: socket.path, WATCHDOG_USEC: '1000000' });
    await socket.waitFor('WATCHDOG', '1', 2);

    writeFileSync(sick, '');
    const [withheld] = await socket.waitFor('STATUS', 'not healthy, watchdog keep-alive withheld: the sick file exists');
    await proc.waitForLog((l) => l.level === 40 && l.problem === 'the sick file exists', 5000, 'the warning');
    // Two whole watchdog timeouts (WATCHDOG_USEC=1 s): systemd would have restarted it.
    await sleep(2000);
    expect(socket.datagrams.filter((d) => d.atMs > withheld!.atMs && d.vars.has('WATCHDOG')), socket.describe()).toEqual([]);
    expect(proc.running).toBe(true);

    unlinkSync(sick);
    const after = () => socket.datagrams.filter((d) => d.atMs > withheld!.atMs && d.vars.get('WATCHDOG') === '1');
    await eventually(after, (found) => found.length >= 2, 5000, 'keep-alives to resume');
    expect(after()[0]!.vars.get('STATUS'), 'the running status is restored').toBe('test service up');
  });

  it('sends no keep-alives when WATCHDOG_PID names another process (sd_watchdog_enabled(3))', async () => {
    const socket = await notifySocket('otherpid');
    const { proc } = startService('otherpid', { NOTIFY_SOCKET: socket.path, WATCHDOG_USEC: '1000000', WATCHDOG_PID: '1' });
    const line = await proc.waitForLog((l) => l.msg === 'service started', 10_000, '"service started"');
    expect(line).toMatchObject({ enabled: true, watchdog: { enabled: false } });
    await socket.waitFor('READY', '1');
    await sleep(1500);
    expect(socket.with('WATCHDOG')).toEqual([]);
  });

  it('attempts nothing without NOTIFY_SOCKET (control: the same stand-in runs when it is set)', async () => {
    const calls = join(dir, 'calls.txt');
    const standIn = join(dir, 'fake-systemd-notify');
    writeFileSync(standIn, `#!/bin/sh\necho "$*" >> ${JSON.stringify(calls)}\n`);
    chmodSync(standIn, 0o755);

    const quiet = startService('no-socket', { WATCHDOG_USEC: '1000000', TEST_SYSTEMD_NOTIFY: standIn });
    expect(await quiet.proc.waitForLog((l) => l.msg === 'service started', 10_000, '"service started"')).toMatchObject({ enabled: false, watchdog: { enabled: false } });
    await sleep(1500);
    quiet.proc.proc.kill('SIGTERM');
    expect(await quiet.proc.exited).toBe(0);
    expect(existsSync(calls), 'systemd-notify was run without NOTIFY_SOCKET').toBe(false);

    const control = startService('stand-in', { NOTIFY_SOCKET: join(dir, 'nobody.sock'), WATCHDOG_USEC: '1000000', TEST_SYSTEMD_NOTIFY: standIn });
    await eventually(() => (existsSync(calls) ? readFileSync(calls, 'utf8') : ''), (t) => t.includes('WATCHDOG=1'), 10_000, 'the stand-in to be run');
    expect(readFileSync(calls, 'utf8')).toMatch(/^--no-block -- READY=1 STATUS=test service up$/m);
    control.proc.proc.kill('SIGTERM');
    await control.proc.exited;
  });
});

describe('pemda-edge run under Type=notify', () => {
  it('sends READY=1 after the gateway started, keep-alives, and STOPPING=1 on SIGTERM', async () => {
    const socket = await notifySocket('gateway');
    const config = join(dir, 'gateway.yaml');
    // No terminal and no broker: the gateway is up without either (the outbox buffers).
    writeFileSync(config, stringify({ gateway: { id: 'gw-sdnotify', dataDir: join(dir, 'gw-data') }, mqtt: { url: 'mqtt://127.0.0.1:9', reconnectMs: 60_000 }, terminals: [], log: { level: 'info' } }));
    const base: Record<string, string | undefined> = { ...process.env };
    delete base.WATCHDOG_PID;
    const gw = new Service([join(ROOT, 'dist/edge/main.js'), 'run', '--config', config], { ...base, NOTIFY_SOCKET: socket.path, WATCHDOG_USEC: '1000000' });
    started.push(gw);

    const [ready] = await socket.waitFor('READY', '1');
    expect(ready!.vars.get('STATUS')).toBe('gateway gw-sdnotify: 0 terminal(s), 0 camera(s)');
    await gw.waitForLog((l) => l.msg === 'systemd watchdog on', 5000, '"systemd watchdog on"');
    const order = gw.lines.map((l) => l.msg);
    expect(order.indexOf('gateway starting'), 'READY=1 and the watchdog come after the gateway started').toBeGreaterThanOrEqual(0);
    expect(order.indexOf('gateway starting')).toBeLessThan(order.indexOf('systemd watchdog on'));
    await socket.waitFor('WATCHDOG', '1', 1, 5000);

    gw.proc.kill('SIGTERM');
    const [stopping] = await socket.waitFor('STOPPING', '1', 1, 5000);
    expect(stopping!.vars.get('STATUS')).toBe('stopping (SIGTERM)');
    expect(await gw.exited).toBe(0);
  });
});
