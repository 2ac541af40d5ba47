import { SerialPort, ReadlineParser } from 'serialport';

export interface SerialLinesOptions {
  path: string;
  baudRate: number;
  /** Wait before opening again after the port failed or closed. */
  reopenDelayMs: number;
}

export interface SerialLinesHandlers {
  /** One text line, without its line ending. */
  line(line: string): void;
  /** The port is open. */
  up(): void;
  /** The port failed to open or went away; it is opened again after `reopenDelayMs`. */
  down(reason: string): void;
}

/**
 * A serial port read as text lines (LF, an optional CR dropped) that is opened again
 * after any failure: a cable pulled, a USB adapter re-enumerated. Used by the line
 * terminals and by alarm panels; what a line means is theirs.
 */
export class SerialLines {
  private port: SerialPort | undefined;
  private reopenTimer: NodeJS.Timeout | undefined;
  private stopped = true;

  constructor(
    private readonly options: SerialLinesOptions,
    private readonly on: SerialLinesHandlers,
  ) {}

  start(): void {
    this.stopped = false;
    this.open();
  }

  private open(): void {
    const port = new SerialPort({ path: this.options.path, baudRate: this.options.baudRate, autoOpen: false });
    this.port = port;
    const lines = port.pipe(new ReadlineParser({ delimiter: '\n', encoding: 'utf8' }));
    lines.on('data', (line: string) => this.on.line(line.replace(/\r$/, '')));
    port.on('close', () => this.onDown(port, 'port closed'));
    port.on('error', (err: Error) => this.onDown(port, err.message));
    port.open((err) => {
      if (err) return this.onDown(port, `cannot open ${this.options.path}: ${err.message}`);
      if (port !== this.port) return port.close(() => undefined); // stopped while opening
      this.on.up();
    });
  }

  /** Once per failure of the current port: a stale port's late events are ignored. */
  private onDown(port: SerialPort, reason: string): void {
    if (port !== this.port) return;
    this.port = undefined;
    port.removeAllListeners().on('error', () => undefined);
    if (port.isOpen) port.close(() => undefined);
    if (this.stopped) return;
    this.on.down(reason);
    this.reopenTimer = setTimeout(() => {
      this.reopenTimer = undefined;
      if (!this.stopped) this.open();
    }, this.options.reopenDelayMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.reopenTimer);
    this.reopenTimer = undefined;
    const port = this.port;
    this.port = undefined;
    if (!port) return;
    port.removeAllListeners().on('error', () => undefined);
    if (port.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
  }
}
