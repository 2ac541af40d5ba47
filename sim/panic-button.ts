import { EventEmitter } from 'node:events';
import { closeSync, openSync, writeSync } from 'node:fs';
import type { ModemPort, ModemPortFactory, ModemStatus } from '../edge/panic/modem-line.js';

/**
 * Panic inputs without the hardware, for tests and the demo (docs/panic-button.md):
 * - SimulatedSerialAdapter + PanicButtonSim: a USB-serial adapter with dry contacts on
 *   its DB9 modem lines. Pseudo-terminals have no modem lines, so the gateway's
 *   modem-line reader is handed this adapter's ports instead of serialport's.
 * - AlarmPanelSim: an alarm panel printing event lines into a pty's device end.
 * - phonePanic: the phone app's POST /panic.
 */

type Line = keyof ModemStatus;
type Output = 'dtr' | 'rts';

interface Contact {
  from: Output;
  normallyClosed: boolean;
  closed: boolean;
}

/** One open() of the adapter's device: what serialport's SerialPort does for the reader. */
export class SimulatedModemPort extends EventEmitter implements ModemPort {
  isOpen = false;
  readonly outputs: Record<Output, boolean> = { dtr: false, rts: false };
  reads = 0;

  constructor(
    readonly path: string,
    private readonly adapter: SimulatedSerialAdapter,
  ) {
    super();
  }

  open(callback: (err: Error | null) => void): void {
    queueMicrotask(() => {
      if (!this.adapter.plugged) return callback(new Error(`Error: No such file or directory, cannot open ${this.path}`));
      this.isOpen = true;
      callback(null);
    });
  }

  get(callback: (err: Error | null, status?: ModemStatus) => void): void {
    queueMicrotask(() => {
      if (!this.isOpen) return callback(new Error('Port is not open'));
      this.reads++;
      callback(null, this.adapter.levels(this.outputs));
    });
  }

  set(options: { dtr?: boolean; rts?: boolean }, callback: (err: Error | null) => void): void {
    queueMicrotask(() => {
      if (!this.isOpen) return callback(new Error('Port is not open'));
      if (options.dtr !== undefined) this.outputs.dtr = options.dtr;
      if (options.rts !== undefined) this.outputs.rts = options.rts;
      callback(null);
    });
  }

  close(callback: (err: Error | null) => void): void {
    const wasOpen = this.isOpen;
    this.isOpen = false;
    queueMicrotask(() => {
      callback(null);
      if (wasOpen) this.emit('close');
    });
  }
}

/**
 * The adapter: contacts wired from an output pin (DTR, pin 4, or RTS, pin 7) to an input
 * pin (DSR 6, DCD 1, CTS 8). An input reads asserted only while its contact conducts
 * and the output feeding it is asserted, as on the real connector.
 */
export class SimulatedSerialAdapter {
  plugged = true;
  readonly opened: SimulatedModemPort[] = [];
  private readonly contacts = new Map<Line, Contact>();

  /** Hand this to the reader (or PanicService) in place of serialport. */
  readonly opener: ModemPortFactory = (path) => {
    const port = new SimulatedModemPort(path, this);
    this.opened.push(port);
    return port;
  };

  /** Wires a button (normally open) or an alarm relay (normallyClosed) to a line. */
  button(line: Line, options: { from?: Output; normallyClosed?: boolean } = {}): PanicButtonSim {
    const contact: Contact = { from: options.from ?? 'dtr', normallyClosed: options.normallyClosed ?? false, closed: options.normallyClosed ?? false };
    this.contacts.set(line, contact);
    return new PanicButtonSim(contact);
  }

  levels(outputs: Record<Output, boolean>): ModemStatus {
    const level = (line: Line) => {
      const c = this.contacts.get(line);
      return c !== undefined && c.closed && outputs[c.from];
    };
    return { cts: level('cts'), dsr: level('dsr'), dcd: level('dcd') };
  }

  /** The USB plug pulled: the open port closes, and opening fails until plugIn(). */
  unplug(): void {
    this.plugged = false;
    for (const p of this.opened) {
      if (!p.isOpen) continue;
      p.isOpen = false;
      p.emit('close');
    }
  }

  plugIn(): void {
    this.plugged = true;
  }
}

/** A push button (or alarm relay) on one contact; timings use setTimeout, so fake timers drive them. */
export class PanicButtonSim {
  constructor(private readonly contact: Contact) {}

  /** Sets the contact directly: for a normally-open button, true is pressed. */
  hold(pressed: boolean): void {
    this.contact.closed = this.contact.normallyClosed ? !pressed : pressed;
  }

  /**
   * One press as a finger makes it: the contact chatters `bounces` times, `bounceMs`
   * apart, then stays pressed for `holdMs`, then chatters again on release.
   */
  async press(holdMs = 300, options: { bounces?: number; bounceMs?: number } = {}): Promise<void> {
    const bounces = options.bounces ?? 3;
    const bounceMs = options.bounceMs ?? 2;
    const wait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
    for (const pressed of [true, false]) {
      for (let i = 0; i < bounces; i++) {
        this.hold(pressed);
        await wait(bounceMs);
        this.hold(!pressed);
        await wait(bounceMs);
      }
      this.hold(pressed);
      if (pressed) await wait(holdMs);
    }
  }
}

/**
 * An alarm panel's serial printer output: one line per event, `YYYY-MM-DD HH:mm:ss
 * EVENT ZONE nn TEXT`, written into the device end of a pty.
 */
export class AlarmPanelSim {
  private fd: number | undefined;

  constructor(
    readonly devicePath: string,
    readonly lineEnding = '\r\n',
  ) {}

  /** An alarm line (what the gateway's `match` should catch). Returns the line. */
  alarm(zone = 1, text = 'PANIC', at = new Date()): string {
    return this.event('ALARM', zone, text, at);
  }

  /** Any other event: ARMED, DISARMED, TEST, TROUBLE... */
  event(event: string, zone: number, text: string, at = new Date()): string {
    const stamp = at.toISOString().slice(0, 19).replace('T', ' ');
    const line = `${stamp} ${event} ZONE ${String(zone).padStart(2, '0')} ${text}`;
    this.writeRaw(line + this.lineEnding);
    return line;
  }

  writeRaw(text: string | Buffer): void {
    this.fd ??= openSync(this.devicePath, 'w');
    writeSync(this.fd, typeof text === 'string' ? Buffer.from(text) : text);
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

/** The phone app's call: POST {baseUrl}/panic with a bearer token. */
export async function phonePanic(
  baseUrl: string,
  token: string,
  body: { source: string; note?: string; lat?: number; lon?: number } | string,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${baseUrl.replace(/\/$/, '')}/panic`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}
