import { openSync, writeSync, closeSync } from 'node:fs';
import { wallClockFormatter } from './wall-clock.js';
import { encodeLine, LineFormat, type LinePunch } from '../protocols/line/format.js';

/**
 * A simulated line-printing attendance terminal: it writes one punch per line, in its
 * configured format and its own wall-clock time (no zone, like the real thing), into
 * the device end of a pseudo-terminal.
 */
export class LineTerminalSim {
  private fd: number | undefined;
  private clock: ((at: Date) => string) | undefined;
  readonly format: LineFormat;

  constructor(
    readonly devicePath: string,
    readonly zone: string,
    format: Partial<LineFormat> = {},
    readonly lineEnding = '\r\n',
  ) {
    this.format = LineFormat.parse(format);
  }

  open(): void {
    this.fd = openSync(this.devicePath, 'w');
  }

  /** The terminal's wall clock for an instant, in its zone, `YYYY-MM-DDTHH:mm:ss`. */
  wallClock(at: Date): string {
    return (this.clock ??= wallClockFormatter(this.zone))(at);
  }


  /** Writes a punch; returns the exact bytes written. */
  punch(employee: string, at: Date = new Date(), extra: Omit<LinePunch, 'employee' | 'deviceTime'> = {}): string {
    const line = encodeLine({ employee, deviceTime: this.wallClock(at), ...extra }, this.format) + this.lineEnding;
    this.writeRaw(line);
    return line;
  }

  /** Writes raw bytes, e.g. line noise or a malformed line. */
  writeRaw(text: string | Buffer): void {
    if (this.fd === undefined) this.open();
    writeSync(this.fd!, typeof text === 'string' ? Buffer.from(text) : text);
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
