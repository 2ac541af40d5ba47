import { SerialPort, ReadlineParser } from 'serialport';
import type { Logger } from 'pino';
import type { SerialLineInputConfig } from './config.js';

/**
 * An alarm panel that prints one line per event on a serial port: a line matching the
 * configured pattern is an alarm (a press); the rest (arming, tests, troubles) is
 * logged at debug and ignored. The port is reopened after any failure.
 */
export class SerialLineInput {
  private port: SerialPort | undefined;
  private reopenTimer: NodeJS.Timeout | undefined;
  private stopped = true;
  private readonly pattern: RegExp;
  private lastPressMs = -Infinity;
  /** True while the port is open. */
  up = false;

  constructor(
    private readonly config: SerialLineInputConfig,
    private readonly onPress: (input: SerialLineInputConfig, atMs: number, line: string) => void,
    private readonly log: Logger,
  ) {
    this.pattern = new RegExp(config.match, config.ignoreCase ? 'i' : '');
  }

  start(): void {
    this.stopped = false;
    this.open();
  }

  private open(): void {
    const port = new SerialPort({ path: this.config.port, baudRate: this.config.baudRate, autoOpen: false });
    this.port = port;
    const lines = port.pipe(new ReadlineParser({ delimiter: '\n', encoding: 'utf8' }));
    lines.on('data', (line: string) => this.onLine(line.replace(/\r$/, '')));
    port.on('close', () => this.onDown(port, 'port closed'));
    port.on('error', (err: Error) => this.onDown(port, err.message));
    port.open((err) => {
      if (err) return this.onDown(port, `cannot open ${this.config.port}: ${err.message}`);
      if (port !== this.port) return port.close(() => undefined); // stopped while opening
      this.up = true;
      this.log.info({ input: this.config.id, port: this.config.port, baudRate: this.config.baudRate }, 'panic input port open');
    });
  }

  private onLine(raw: string): void {
    // Control characters from line noise would only garble the wall and the webhook.
    const line = raw.replace(/[\u0000-\u001f\u007f]/g, '').trim();
    if (line === '') return;
    if (!this.pattern.test(line)) {
      this.log.debug({ input: this.config.id, line: line.slice(0, 200) }, 'alarm panel line (not an alarm)');
      return;
    }
    const now = Date.now();
    if (now - this.lastPressMs < this.config.repeatHoldoffMs) {
      this.log.info({ input: this.config.id, line: line.slice(0, 200), holdoffMs: this.config.repeatHoldoffMs }, 'alarm line repeated within the hold-off: same alarm, not a new press');
      return;
    }
    this.lastPressMs = now;
    this.onPress(this.config, now, line.slice(0, 200));
  }

  private onDown(port: SerialPort, reason: string): void {
    if (port !== this.port) return;
    this.port = undefined;
    this.up = false;
    port.removeAllListeners().on('error', () => undefined);
    if (port.isOpen) port.close(() => undefined);
    if (this.stopped) return;
    this.log.error({ input: this.config.id, port: this.config.port, retryInMs: this.config.reopenDelayMs }, `panic input port down: alarms cannot be seen until it is back: ${reason}`);
    this.reopenTimer = setTimeout(() => {
      this.reopenTimer = undefined;
      if (!this.stopped) this.open();
    }, this.config.reopenDelayMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.up = false;
    clearTimeout(this.reopenTimer);
    const port = this.port;
    this.port = undefined;
    if (!port) return;
    port.removeAllListeners().on('error', () => undefined);
    if (port.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
  }
}
