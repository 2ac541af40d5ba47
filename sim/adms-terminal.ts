import { wallClockFormatter } from './wall-clock.js';
import {
  assertSerialNumber,
  parseGetRequestReply,
  parseHandshakeReply,
  type AdmsCommand,
} from '../protocols/adms/index.js';

/**
 * A simulated ZKTeco ADMS ("push") attendance terminal talking HTTP to a server
 * (our gateway), following the PUSH protocol facts collected in protocols/adms/:
 *  - handshake `GET /iclock/cdata?SN=..&options=all&pushver=..` → `GET OPTION FROM: SN`
 *    then `Key=Value` lines;
 *  - upload `POST /iclock/cdata?SN=..&table=ATTLOG&Stamp=..` with one punch per
 *    LF-terminated line, HT-separated: Pin, Time, Status, Verify, Workcode,
 *    Reserved1, Reserved2 (the doc's §11.2 example form "1452\t2015-07-30 15:16:28\t0\t1\t0\t0\t0");
 *    the server answers `OK:n`;
 *  - command poll `GET /iclock/getrequest?SN=..` → `OK` or `C:id:cmd` lines, and
 *    results `POST /iclock/devicecmd?SN=..` as `ID=..&Return=..&CMD=..` lines.
 * Punch times are the terminal's wall clock in its zone, with no zone marker.
 */
export interface AdmsSimOptions {
  /** e.g. http://127.0.0.1:8081 */
  serverUrl: string;
  serialNumber: string;
  /** IANA zone of the terminal's clock, e.g. Asia/Makassar. */
  zone: string;
  /** Loop period for start(): flush + poll; default 2000 ms. */
  pollIntervalMs?: number;
  /** Per-request timeout; default 10000 ms. */
  requestTimeoutMs?: number;
  /** `pushver` sent in the handshake; default 2.4.1. */
  pushVersion?: string;
  /** Called with one readable line per notable event of the start() loop. */
  log?: (line: string) => void;
}

export interface PunchOptions {
  /** Attendance state 0..255; default 0 (check-in). */
  status?: number;
  /** Verify mode 0..255; default 1 (fingerprint). */
  verify?: number;
  /** Default "0", as in the doc's example. */
  workcode?: string;
}

/** The server refused a request: non-2xx, or a body the terminal cannot use. */
export class AdmsHttpError extends Error {
  constructor(
    what: string,
    readonly status: number,
    readonly body: string,
  ) {
    super(`${what}: HTTP ${status}: ${JSON.stringify(body.slice(0, 200))}`);
    this.name = 'AdmsHttpError';
  }
}

export interface AdmsSimStats {
  handshakes: number;
  posts: number;
  acked: number;
  commands: number;
  errors: number;
}

const ACK = /^OK:(\d{1,9})$/;
const FIELD_FORBIDDEN = /[\t\r\n]/;

function byteField(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 0 || value > 255) throw new RangeError(`${name} ${String(value)} is not an integer 0..255`);
  return value;
}

export class AdmsTerminalSim {
  readonly serverUrl: string;
  readonly serialNumber: string;
  readonly zone: string;
  readonly pollIntervalMs: number;
  private readonly requestTimeoutMs: number;
  private readonly pushVersion: string;
  private readonly log: (line: string) => void;
  private readonly clock: (at: Date) => string;

  private readonly queue: string[] = [];
  private stamp = '9999';
  /** Serialises flushes so two never send the same records. */
  private flushing: Promise<unknown> = Promise.resolve();
  private readonly statsValue: AdmsSimStats = { handshakes: 0, posts: 0, acked: 0, commands: 0, errors: 0 };

  private running = false;
  private timer: NodeJS.Timeout | undefined;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;

  constructor(options: AdmsSimOptions) {
    this.serverUrl = new URL(options.serverUrl).toString().replace(/\/+$/, '');
    this.serialNumber = assertSerialNumber(options.serialNumber, 'option serialNumber');
    this.zone = options.zone;
    // Throws RangeError for an unknown zone.
    this.clock = wallClockFormatter(options.zone);
    this.pollIntervalMs = options.pollIntervalMs ?? 2000;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
    this.pushVersion = options.pushVersion ?? '2.4.1';
    this.log = options.log ?? (() => undefined);
  }

  get queued(): number {
    return this.queue.length;
  }

  get stats(): Readonly<AdmsSimStats> {
    return { ...this.statsValue };
  }

  /** The terminal's wall clock for an instant, "YYYY-MM-DD HH:MM:SS". */
  wallClock(at: Date): string {
    return this.clock(at).replace('T', ' ');
  }


  private url(path: string, query: Record<string, string>): string {
    return `${this.serverUrl}${path}?${new URLSearchParams({ SN: this.serialNumber, ...query }).toString()}`;
  }

  private async request(url: string, init: RequestInit = {}): Promise<{ status: number; body: string }> {
    const res = await fetch(url, { ...init, signal: AbortSignal.timeout(this.requestTimeoutMs) });
    return { status: res.status, body: await res.text() };
  }

  async handshake(): Promise<Record<string, string>> {
    const { status, body } = await this.request(this.url('/iclock/cdata', { options: 'all', pushver: this.pushVersion }));
    if (status !== 200) throw new AdmsHttpError('handshake refused', status, body);
    let reply;
    try {
      reply = parseHandshakeReply(body);
    } catch (e) {
      throw new AdmsHttpError(`handshake reply unreadable (${e instanceof Error ? e.message : String(e)})`, status, body);
    }
    const options = Object.fromEntries(reply.options);
    const stamp = options['ATTLOGStamp'];
    if (stamp !== undefined && /^\d{1,20}$/.test(stamp)) this.stamp = stamp;
    this.statsValue.handshakes++;
    return options;
  }

  /** Queues a punch; returns the exact line that will be uploaded (without its LF). */
  punch(pin: string, at: Date = new Date(), opts: PunchOptions = {}): string {
    if (pin === '' || FIELD_FORBIDDEN.test(pin)) throw new RangeError(`PIN ${JSON.stringify(pin)} is empty or has tab/CR/LF`);
    const workcode = opts.workcode ?? '0';
    if (FIELD_FORBIDDEN.test(workcode)) throw new RangeError(`workcode ${JSON.stringify(workcode)} has tab/CR/LF`);
    const line = [
      pin,
      this.wallClock(at),
      byteField(opts.status ?? 0, 'status'),
      byteField(opts.verify ?? 1, 'verify'),
      workcode,
      0, // Reserved1
      0, // Reserved2
    ].join('\t');
    this.queue.push(line);
    return line;
  }

  /**
   * Uploads every queued punch in one ATTLOG POST. On `OK:n` the first n are
   * dropped; any other answer (or a network error, which rejects) keeps them
   * queued for the next try. With nothing queued no request is made and
   * `{ status: 0, body: '', sent: 0 }` is returned.
   */
  flush(): Promise<{ status: number; body: string; sent: number }> {
    const run = this.flushing.then(async () => {
      const lines = this.queue.slice();
      if (lines.length === 0) return { status: 0, body: '', sent: 0 };
      const result = await this.rawPost(lines.map((l) => `${l}\n`).join(''));
      const m = result.status === 200 ? ACK.exec(result.body.trim()) : null;
      if (m) {
        const n = Math.min(Number(m[1]), lines.length);
        this.queue.splice(0, n);
        this.statsValue.acked += n;
      }
      return { ...result, sent: lines.length };
    });
    this.flushing = run.catch(() => undefined);
    return run;
  }

  /** Sends an arbitrary ATTLOG body, e.g. malformed lines, without touching the queue. */
  async rawPost(body: string): Promise<{ status: number; body: string }> {
    this.statsValue.posts++;
    return this.request(this.url('/iclock/cdata', { table: 'ATTLOG', Stamp: this.stamp }), {
      method: 'POST',
      headers: { 'Content-Type': 'text/plain' },
      body,
    });
  }

  /** Returns the pending commands as `C:id:cmd` lines ([] for `OK`). */
  async pollCommands(): Promise<string[]> {
    return (await this.fetchCommands()).map((c) => `C:${c.id}:${c.command}`);
  }

  /** Same poll, parsed into ids and command texts. */
  async fetchCommands(): Promise<AdmsCommand[]> {
    const { status, body } = await this.request(this.url('/iclock/getrequest', {}));
    if (status !== 200) throw new AdmsHttpError('getrequest refused', status, body);
    let commands;
    try {
      commands = parseGetRequestReply(body);
    } catch (e) {
      throw new AdmsHttpError(`getrequest reply unreadable (${e instanceof Error ? e.message : String(e)})`, status, body);
    }
    this.statsValue.commands += commands.length;
    return commands;
  }

  /** Reports command results: one `ID=..&Return=..&CMD=..` line each (CMD = the command's first word). */
  async reportResults(results: readonly { id: string; command: string; returnCode?: number }[]): Promise<{ status: number; body: string }> {
    const body = results
      .map((r) => `ID=${r.id}&Return=${r.returnCode ?? 0}&CMD=${r.command.split(/[ \t]/)[0] ?? r.command}`)
      .join('\n');
    return this.request(this.url('/iclock/devicecmd', {}), { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body });
  }

  /** Loop: handshake (retried until accepted), then flush + poll every pollIntervalMs. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Stops the loop after the step in progress (an in-flight request finishes or times out). */
  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    this.wake?.();
    await this.loop;
    this.loop = undefined;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve;
      this.timer = setTimeout(resolve, ms);
    });
  }

  private async run(): Promise<void> {
    let connected = false;
    while (this.running) {
      try {
        if (!connected) {
          const options = await this.handshake();
          connected = true;
          this.log(`handshake ok: Delay=${options['Delay'] ?? '?'} TimeZone=${options['TimeZone'] ?? '?'}`);
        }
        if (this.queue.length > 0) {
          const r = await this.flush();
          this.log(`ATTLOG sent ${r.sent}: HTTP ${r.status} ${JSON.stringify(r.body.slice(0, 80))}, ${this.queue.length} queued`);
        }
        const commands = await this.fetchCommands();
        if (commands.length > 0) {
          this.log(`commands: ${commands.map((c) => `${c.id}:${c.command}`).join(', ')}`);
          await this.reportResults(commands);
        }
      } catch (e) {
        this.statsValue.errors++;
        this.log(`error: ${e instanceof Error ? e.message : String(e)}`);
      }
      if (this.running) await this.sleep(this.pollIntervalMs);
    }
  }
}
