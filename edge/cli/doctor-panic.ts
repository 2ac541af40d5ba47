import { readFileSync, readdirSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { SerialPort } from 'serialport';
import type { ModemLine, ModemLineInputConfig, PanicConfig, PanicHttpConfig, SerialLineInputConfig } from '../panic/config.js';
import { serialModemPort, type ModemPort, type ModemPortFactory, type ModemStatus } from '../panic/modem-line.js';
import type { Check, CheckResult } from './doctor-checks.js';
import type { Say } from './doctor-text.js';

/**
 * The doctor's panic lines: one per configured input and one for the phone-app
 * endpoint, each telling the technician at the button what to change. Nothing when
 * the config has no panic section, so offices without buttons see no extra lines.
 */

export interface PanicCheckOptions {
  /** Tests hand in the simulated adapter: pseudo-terminals carry no modem lines. */
  openModemPort?: ModemPortFactory;
  /** How long an alarm panel is listened to for a line. */
  listenMs?: number;
}

/** DE-9 pins, so the technician can find the wire (docs/panic-button.md). */
const PIN: Record<ModemLine, number> = { cts: 8, dsr: 6, dcd: 1 };

/**
 * Each check's ceiling: serialport's open and the ioctls run in libuv's thread pool and
 * a wedged USB adapter can leave them pending, so no single line may hold the doctor up.
 */
const MODEM_DEADLINE_MS = 5000;
const HTTP_DEADLINE_MS = 5000;
const OPEN_DEADLINE_MS = 3000;
/**
 * After asserting DTR/RTS: USB adapters report the input lines in periodic status
 * packets (FTDI every 16 ms by default), so a read right after set() can still show
 * the level from before the contacts were powered.
 */
const SETTLE_MS = 100;

export function panicChecks(panic: PanicConfig, options: PanicCheckOptions = {}): Check[] {
  const openModemPort = options.openModemPort ?? serialModemPort;
  // Inputs sharing an adapter are read with one open: a second open would find the
  // port locked by the first one still closing, and one reading serves every line.
  const readings = new Map<string, Promise<ModemReading>>();
  const readPort = (path: string) => {
    let reading = readings.get(path);
    if (!reading) {
      reading = readModemLines(path, openModemPort);
      readings.set(path, reading);
    }
    return reading;
  };
  const checks: Check[] = panic.inputs.map((input) => (input.kind === 'modem-line' ? modemLineCheck(input, readPort) : serialLineCheck(input, options.listenMs ?? 2000)));
  if (panic.http) checks.push(httpEndpointCheck(panic.http));
  return checks;
}

/** Resolves with `late()` once `ms` have passed without `work` settling; leaves no timer behind. */
async function within<T>(work: Promise<T>, ms: number, late: () => T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([work, new Promise<T>((resolve) => (timer = setTimeout(() => resolve(late()), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/** Runs a check to its ceiling; whatever happens, the doctor gets a line back. */
function bounded(ms: number, what: (say: Say) => string, advice: (say: Say) => string, run: (say: Say, what: string) => Promise<CheckResult>): Check {
  return async (say) => {
    const label = what(say);
    try {
      return await within(run(say, label), ms, () => ({ verdict: 'fail', what: label, detail: say('panic.timeout', { s: ms / 1000 }), advice: advice(say) }));
    } catch (err) {
      return { verdict: 'fail', what: label, detail: (err as Error).message, advice: advice(say) };
    }
  };
}

const closePort = (port: { isOpen: boolean; close(cb: (err: Error | null) => void): void }): Promise<void> =>
  port.isOpen ? within(new Promise<void>((resolve) => port.close(() => resolve())), 1000, () => undefined) : Promise.resolve();

type OpenProblem = 'missing' | 'denied' | 'busy' | 'notSerial' | 'other';

/** serialport's errors are plain Errors with the strerror text in the message, no code. */
function openProblem(message: string): OpenProblem {
  if (/no such file|ENOENT/i.test(message)) return 'missing';
  if (/permission denied|EACCES/i.test(message)) return 'denied';
  if (/cannot lock port|resource temporarily unavailable|resource busy|EBUSY/i.test(message)) return 'busy';
  if (/inappropriate ioctl|ENOTTY/i.test(message)) return 'notSerial';
  return 'other';
}

function openFailure(say: Say, what: string, port: string, message: string): CheckResult {
  const problem = openProblem(message);
  const base = { verdict: 'fail' as const, what, detail: message };
  switch (problem) {
    case 'missing':
      return { ...base, advice: say('panic.port.missing', { port }) };
    case 'denied':
      return { ...base, advice: say('panic.port.denied', { port }) };
    case 'notSerial':
      return { ...base, advice: say('panic.port.notSerial', { port }) };
    case 'other':
      return { ...base, advice: say('panic.port.other', { port }) };
    case 'busy': {
      const holders = portHolders(port);
      if (holders.some((h) => h.gateway)) return { ...base, advice: say('panic.port.busyGateway', { port }) };
      if (holders.length > 0) return { ...base, advice: say('panic.port.busyOther', { port, holder: holders.map((h) => h.name).join(', ') }) };
      return { ...base, advice: say('panic.port.busyUnknown', { port }) };
    }
  }
}

interface Holder {
  name: string;
  gateway: boolean;
}

/**
 * Who has the device open, best effort and Linux only: serialport locks with flock(),
 * which /proc/locks names by pid; failing that, any process with it among its open
 * files. Other users' processes are invisible unless the doctor runs as root, so an
 * empty answer only means "cannot tell".
 */
function portHolders(path: string): Holder[] {
  let device: string;
  let pids: number[] = [];
  try {
    device = realpathSync(path);
    const st = statSync(device);
    // /proc/locks prints the device as hex major:minor (the kernel's new_encode_dev split).
    const major = ((st.dev >> 8) & 0xfff).toString(16).padStart(2, '0');
    const minor = ((st.dev & 0xff) | ((st.dev >> 12) & 0xfff00)).toString(16).padStart(2, '0');
    const key = `${major}:${minor}:${st.ino}`;
    for (const line of readFileSync('/proc/locks', 'utf8').split('\n')) {
      const fields = line.trim().split(/\s+/);
      if (fields[5] === key) pids.push(Number(fields[4]));
    }
  } catch {
    return [];
  }
  if (pids.length === 0) pids = pidsWithOpen(device);
  return [...new Set(pids)].filter((pid) => pid !== process.pid).slice(0, 3).map(describePid);
}

function pidsWithOpen(device: string): number[] {
  const found: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return found;
  }
  for (const pid of entries) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        if (readlinkSync(`/proc/${pid}/fd/${fd}`) === device) {
          found.push(Number(pid));
          break;
        }
      } catch {
        // Gone between the listing and the readlink.
      }
    }
  }
  return found;
}

function describePid(pid: number): Holder {
  let argv: string[] = [];
  let comm = '?';
  try {
    argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    // Exited meanwhile: the pid still says something.
  }
  // The service's ExecStart is `node .../dist/edge/main.js run ...`; only `run` keeps ports.
  const program = argv.findIndex((a) => /(^|\/)(edge\/main\.js|pemda-edge)$/.test(a));
  const gateway = program >= 0 && argv[program + 1] === 'run';
  return { name: `${gateway ? 'pemda-edge' : comm} (pid ${pid})`, gateway };
}

// --- modem-line buttons ---

type ModemReading = { ok: true; status: ModemStatus } | { ok: false; stage: 'open' | 'lines'; message: string };

const portCall = <T>(call: (cb: (err: Error | null, value?: T) => void) => void): Promise<T | undefined> =>
  new Promise((resolve, reject) => call((err, value) => (err ? reject(err) : resolve(value))));

/**
 * Opens the adapter as the gateway does (DTR and RTS asserted: they power the contacts),
 * reads the lines once and closes it again, within its own ceiling.
 */
async function readModemLines(path: string, openPort: ModemPortFactory): Promise<ModemReading> {
  let port: ModemPort;
  try {
    port = openPort(path);
  } catch (err) {
    return { ok: false, stage: 'open', message: (err as Error).message };
  }
  // An unplug while reading arrives as an 'error' event: unheard, it would crash the doctor.
  port.on('error', () => undefined);
  let abandoned = false;
  const read = async (): Promise<ModemReading> => {
    try {
      await portCall<void>((cb) => port.open(cb));
    } catch (err) {
      return { ok: false, stage: 'open', message: (err as Error).message };
    }
    // Opened after the deadline gave up on it: left open it would keep the doctor alive.
    if (abandoned) {
      port.close(() => undefined);
      return { ok: false, stage: 'open', message: 'opened too late' };
    }
    try {
      await portCall<void>((cb) => port.set({ dtr: true, rts: true }, cb));
      await sleep(SETTLE_MS);
      const status = await portCall<ModemStatus>((cb) => port.get(cb));
      if (!status) return { ok: false, stage: 'lines', message: 'no status' };
      return { ok: true, status };
    } catch (err) {
      return { ok: false, stage: 'lines', message: (err as Error).message };
    }
  };
  try {
    return await within(read(), MODEM_DEADLINE_MS - 1000, () => ({ ok: false, stage: 'open', message: `no answer from ${path} within ${(MODEM_DEADLINE_MS - 1000) / 1000} s` }));
  } finally {
    abandoned = true;
    await closePort(port);
  }
}

function modemLineCheck(input: ModemLineInputConfig, readPort: (path: string) => Promise<ModemReading>): Check {
  return bounded(
    MODEM_DEADLINE_MS,
    (say) => say('panic.modem.what', { id: input.id, line: input.line.toUpperCase() }),
    (say) => say('panic.port.other', { port: input.port }),
    async (say, what) => {
      const reading = await readPort(input.port);
      if (!reading.ok) {
        if (reading.stage === 'lines') return { verdict: 'fail', what, detail: reading.message, advice: say('panic.modem.noLines', { port: input.port }) };
        return openFailure(say, what, input.port, reading.message);
      }
      const level = reading.status[input.line];
      const pressed = input.active === 'high' ? level : !level;
      const vars = { port: input.port, line: input.line.toUpperCase(), pin: PIN[input.line], active: input.active };
      if (!pressed) return { verdict: 'ok', what, detail: say('panic.modem.released', vars) };
      return {
        verdict: 'warn',
        what,
        detail: say('panic.modem.pressed', vars),
        advice: say(input.active === 'high' ? 'panic.modem.pressedHigh' : 'panic.modem.pressedLow', { id: input.id, ...vars }),
      };
    },
  );
}

// --- serial-line alarm panels ---

type Heard = { kind: 'line'; text: string } | { kind: 'garbled'; bytes: number } | { kind: 'quiet' };

function serialLineCheck(input: SerialLineInputConfig, listenMs: number): Check {
  return bounded(
    OPEN_DEADLINE_MS + listenMs + 1000,
    (say) => say('panic.serial.what', { id: input.id }),
    (say) => say('panic.port.other', { port: input.port }),
    async (say, what) => {
      const port = new SerialPort({ path: input.port, baudRate: input.baudRate, autoOpen: false });
      port.on('error', () => undefined);
      let abandoned = false;
      // Opened after the deadline gave up on it: left open it would keep the doctor alive.
      port.on('open', () => {
        if (abandoned) port.close(() => undefined);
      });
      try {
        const opened = portCall<void>((cb) => port.open(cb)).then(
          () => undefined,
          (err: Error) => err,
        );
        const openErr = await within(opened, OPEN_DEADLINE_MS, () => new Error(`no answer from ${input.port} within ${OPEN_DEADLINE_MS / 1000} s`));
        if (openErr) return openFailure(say, what, input.port, openErr.message);
        const heard = await listen(port, listenMs);
        const vars = { port: input.port, baud: input.baudRate, s: listenMs / 1000 };
        if (heard.kind === 'quiet') return { verdict: 'ok', what, detail: say('panic.serial.quiet', vars) };
        if (heard.kind === 'garbled') return { verdict: 'warn', what, detail: say('panic.serial.garbled', { ...vars, bytes: heard.bytes }), advice: say('panic.serial.baud', { baud: input.baudRate }) };
        const alarm = new RegExp(input.match, input.ignoreCase ? 'i' : '').test(heard.text);
        return { verdict: 'ok', what, detail: say(alarm ? 'panic.serial.alarmLine' : 'panic.serial.otherLine', { ...vars, line: heard.text }) };
      } finally {
        abandoned = true;
        await closePort(port);
      }
    },
  );
}

/**
 * The first text line within the window, as the gateway would read it. Bytes without a
 * line feed, or undecodable ones, are what a wrong baud rate or a panel ending lines
 * with CR only looks like: the gateway would never see an alarm from them.
 */
function listen(port: SerialPort, listenMs: number): Promise<Heard> {
  return new Promise((resolve) => {
    let buffer = Buffer.alloc(0);
    let bytes = 0;
    const finish = (heard: Heard) => {
      clearTimeout(timer);
      port.removeAllListeners('data');
      resolve(heard);
    };
    const timer = setTimeout(() => finish(bytes > 0 ? { kind: 'garbled', bytes } : { kind: 'quiet' }), listenMs);
    port.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      buffer = Buffer.concat([buffer, chunk]);
      let nl: number;
      while ((nl = buffer.indexOf(0x0a)) >= 0) {
        const raw = buffer.subarray(0, nl).toString('utf8');
        buffer = buffer.subarray(nl + 1);
        const text = raw.replace(/[\u0000-\u001f\u007f]/g, '').trim();
        if (text === '') continue;
        if (text.includes('\ufffd')) return finish({ kind: 'garbled', bytes });
        return finish({ kind: 'line', text: text.slice(0, 120) });
      }
    });
  });
}

// --- the phone-app endpoint ---

function listenError(host: string, port: number): Promise<NodeJS.ErrnoException | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (err: NodeJS.ErrnoException) => resolve(err));
    server.listen(port, host, () => server.close(() => resolve(undefined)));
  });
}

/**
 * Whether the program on the port is our endpoint: a GET of /panic is answered 405 with
 * Allow: POST and {"error":"use POST"} (edge/panic/http.ts). Nothing is pressed by it,
 * and the gateway does not even log it.
 */
async function answersAsGateway(host: string, port: number): Promise<boolean> {
  const target = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  const url = `http://${target.includes(':') ? `[${target}]` : target}:${port}/panic`;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    const body = await res.text();
    return res.status === 405 && /\bPOST\b/.test(res.headers.get('allow') ?? '') && body.includes('"use POST"');
  } catch {
    return false;
  }
}

function unprivilegedPortStart(): number {
  try {
    return Number(readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8').trim()) || 1024;
  } catch {
    return 1024;
  }
}

/**
 * The config cannot have an endpoint without tokens (PanicHttpConfig requires one), so
 * there is no "open to the LAN without a secret" case to warn about here.
 */
function httpEndpointCheck(http: PanicHttpConfig): Check {
  const { host, port } = http;
  return bounded(
    HTTP_DEADLINE_MS,
    (say) => say('panic.http.what', { id: http.id, host, port }),
    (say) => say('panic.http.other', { host, port }),
    async (say, what) => {
      const err = await listenError(host, port);
      const vars = { host, port, tokens: http.tokens.length };
      if (!err) {
        // A technician running the doctor as root can bind where the service, as user
        // pemda without capabilities (systemd/pemda-edge.service), cannot.
        if (port > 0 && port < unprivilegedPortStart() && process.getuid?.() === 0) return { verdict: 'fail', what, detail: say('panic.http.rootOnly', vars), advice: say('panic.http.privileged', vars) };
        return { verdict: 'ok', what, detail: say('panic.http.free', vars) };
      }
      const detail = err.message;
      switch (err.code) {
        case 'EADDRINUSE':
          if (await answersAsGateway(host, port)) return { verdict: 'ok', what, detail: say('panic.http.gateway', vars) };
          return { verdict: 'fail', what, detail: say('panic.http.taken', vars), advice: say('panic.http.takenAdvice', vars) };
        case 'EADDRNOTAVAIL':
        case 'ENOTFOUND':
        case 'EAI_AGAIN':
          return { verdict: 'fail', what, detail, advice: say('panic.http.notHere', vars) };
        case 'EACCES':
          return { verdict: 'fail', what, detail, advice: say('panic.http.privileged', vars) };
        default:
          return { verdict: 'fail', what, detail, advice: say('panic.http.other', vars) };
      }
    },
  );
}
