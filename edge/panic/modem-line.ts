import { SerialPort } from 'serialport';
import type { Logger } from 'pino';
import type { ModemLineInputConfig } from './config.js';

/** The modem input lines as serialport's get() reports them (no RI: see config.ts). */
export interface ModemStatus {
  cts: boolean;
  dsr: boolean;
  dcd: boolean;
}

/**
 * What the reader needs of a serial port: serialport's SerialPort fits, and so does
 * the simulated button in sim/panic-button.ts (pseudo-terminals have no modem lines,
 * so tests cannot use a pty here).
 */
export interface ModemPort {
  readonly isOpen: boolean;
  open(callback: (err: Error | null) => void): void;
  get(callback: (err: Error | null, status?: ModemStatus) => void): void;
  set(options: { dtr?: boolean; rts?: boolean }, callback: (err: Error | null) => void): void;
  close(callback: (err: Error | null) => void): void;
  on(event: 'close', listener: () => void): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
  removeAllListeners(): unknown;
}

export type ModemPortFactory = (path: string) => ModemPort;

/** The baud rate is irrelevant: nothing is sent or read, only the lines. */
export const serialModemPort: ModemPortFactory = (path) => new SerialPort({ path, baudRate: 9600, autoOpen: false });

/**
 * Debounces one contact: a new level counts once it has held for `debounceMs`, so
 * the few milliseconds of bounce of a mechanical contact make one press, not five.
 * Pure: samples and times in, changes out.
 */
export class LineDebouncer {
  private stable: boolean | undefined;
  private candidate: { level: boolean; sinceMs: number } | undefined;

  constructor(private readonly debounceMs: number) {}

  /** The level read right after opening: the baseline, never a change. */
  reset(level: boolean): void {
    this.stable = level;
    this.candidate = undefined;
  }

  /** Returns the change this sample completes, with when the new level began. */
  update(level: boolean, nowMs: number): { pressed: boolean; sinceMs: number } | undefined {
    if (this.stable === undefined) {
      this.reset(level);
      return undefined;
    }
    if (level === this.stable) {
      this.candidate = undefined;
      return undefined;
    }
    if (this.candidate?.level !== level) this.candidate = { level, sinceMs: nowMs };
    if (nowMs - this.candidate.sinceMs < this.debounceMs) return undefined;
    const change = { pressed: level, sinceMs: this.candidate.sinceMs };
    this.stable = level;
    this.candidate = undefined;
    return change;
  }
}

/**
 * Reads panic contacts wired to one serial adapter's modem lines (CTS, DSR, DCD) by
 * polling get(): several inputs may share the adapter, one line each. DTR and RTS are
 * asserted after opening: they are the positive supply the contacts switch onto the
 * input pins. The port is reopened after any failure (USB adapter pulled or
 * re-enumerated); a press while it is down cannot be seen, so that is logged loudly.
 */
export class ModemLineReader {
  private port: ModemPort | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private reopenTimer: NodeJS.Timeout | undefined;
  private stopped = true;
  private readonly debouncers = new Map<string, LineDebouncer>();
  private readonly pollMs: number;
  private readonly reopenMs: number;
  /** True while the port is open and being read. */
  up = false;

  constructor(
    readonly path: string,
    private readonly inputs: readonly ModemLineInputConfig[],
    private readonly onPress: (input: ModemLineInputConfig, atMs: number) => void,
    private readonly log: Logger,
    private readonly openPort: ModemPortFactory = serialModemPort,
  ) {
    this.pollMs = Math.min(...inputs.map((i) => i.pollIntervalMs));
    this.reopenMs = Math.min(...inputs.map((i) => i.reopenDelayMs));
    for (const input of inputs) this.debouncers.set(input.id, new LineDebouncer(input.debounceMs));
  }

  start(): void {
    this.stopped = false;
    this.open();
  }

  private open(): void {
    const port = this.openPort(this.path);
    this.port = port;
    port.on('close', () => this.onDown(port, 'port closed'));
    port.on('error', (err: Error) => this.onDown(port, err.message));
    port.open((err) => {
      if (err) return this.onDown(port, `cannot open ${this.path}: ${err.message}`);
      if (port !== this.port) return port.close(() => undefined); // stopped while opening
      port.set({ dtr: true, rts: true }, (setErr) => {
        if (setErr) return this.onDown(port, `cannot assert DTR/RTS on ${this.path}: ${setErr.message}`);
        port.get((getErr, status) => {
          if (getErr || !status) return this.onDown(port, `cannot read the modem lines of ${this.path}: ${getErr?.message ?? 'no status'}`);
          if (port !== this.port || this.stopped) return;
          this.baseline(status);
          this.up = true;
          this.log.info({ port: this.path, inputs: this.inputs.map((i) => `${i.id}:${i.line}`) }, 'panic input port open');
          this.schedulePoll(port);
        });
      });
    });
  }

  /**
   * The first reading sets each contact's level without a press: a gateway restart must
   * not raise a panic by itself, nor one per restart for a contact that is stuck or wired
   * the wrong way round, which is logged instead.
   */
  private baseline(status: ModemStatus): void {
    for (const input of this.inputs) {
      const pressed = this.isPressed(input, status);
      this.debouncers.get(input.id)!.reset(pressed);
      if (pressed) this.log.warn({ input: input.id, port: this.path, line: input.line, active: input.active }, 'panic input reads "pressed" at start: not counted; check the wiring and "active" (a press counts once it is released and pressed again)');
    }
  }

  private isPressed(input: ModemLineInputConfig, status: ModemStatus): boolean {
    return input.active === 'high' ? status[input.line] : !status[input.line];
  }

  private schedulePoll(port: ModemPort): void {
    if (this.stopped || port !== this.port) return;
    this.pollTimer = setTimeout(() => this.poll(port), this.pollMs);
  }

  private poll(port: ModemPort): void {
    port.get((err, status) => {
      if (port !== this.port || this.stopped) return;
      if (err || !status) return this.onDown(port, `cannot read the modem lines: ${err?.message ?? 'no status'}`);
      const now = Date.now();
      for (const input of this.inputs) {
        const change = this.debouncers.get(input.id)!.update(this.isPressed(input, status), now);
        if (change?.pressed) this.onPress(input, change.sinceMs);
        else if (change) this.log.debug({ input: input.id }, 'panic input released');
      }
      this.schedulePoll(port);
    });
  }

  private onDown(port: ModemPort, reason: string): void {
    if (port !== this.port) return; // a late event of a port already given up
    this.port = undefined;
    this.up = false;
    clearTimeout(this.pollTimer);
    port.removeAllListeners();
    port.on('error', () => undefined);
    if (port.isOpen) port.close(() => undefined);
    if (this.stopped) return;
    this.log.error({ port: this.path, inputs: this.inputs.map((i) => i.id), retryInMs: this.reopenMs }, `panic input port down: presses cannot be seen until it is back: ${reason}`);
    this.reopenTimer = setTimeout(() => {
      this.reopenTimer = undefined;
      if (!this.stopped) this.open();
    }, this.reopenMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.up = false;
    clearTimeout(this.pollTimer);
    clearTimeout(this.reopenTimer);
    const port = this.port;
    this.port = undefined;
    if (!port) return;
    port.removeAllListeners();
    port.on('error', () => undefined);
    if (port.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
  }
}
