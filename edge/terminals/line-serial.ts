import { SerialPort, ReadlineParser } from 'serialport';
import { decodeLine, LineFrameError } from '../../protocols/line/format.js';
import type { LineSerialTerminalConfig } from './line-serial-config.js';
import { deviceTimeToUtc, type TerminalDriver } from './terminal.js';
import { TerminalBase } from './base.js';

/**
 * A terminal that prints one punch per line on a serial port. The port is reopened
 * after any failure (cable pulled, USB adapter re-enumerated); state changes become
 * durable terminal_status records so the command room sees them.
 */
export class LineSerialTerminal extends TerminalBase<LineSerialTerminalConfig> implements TerminalDriver {
  readonly driver = 'line-serial';
  private port: SerialPort | undefined;
  private reopenTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** Malformed lines since start: reported in logs; a count for health later. */
  rejectedLines = 0;

  start(): void {
    this.stopped = false;
    this.open();
  }

  private open(): void {
    const port = new SerialPort({ path: this.config.port, baudRate: this.config.baudRate, autoOpen: false });
    this.port = port;
    const lines = port.pipe(new ReadlineParser({ delimiter: '\n', encoding: 'utf8' }));
    lines.on('data', (line: string) => this.onLine(line.replace(/\r$/, '')));
    port.on('close', () => this.onDown('port closed'));
    port.on('error', (err: Error) => this.onDown(err.message));
    port.open((err) => {
      if (err) return this.onDown(`cannot open ${this.config.port}: ${err.message}`);
      this.setState('online');
      this.log.info({ port: this.config.port, baudRate: this.config.baudRate }, 'terminal port open');
    });
  }

  private onLine(line: string): void {
    if (line.trim() === '') return;
    try {
      const punch = decodeLine(line, this.config.format);
      const accepted = this.ctx.record({
        kind: 'punch',
        terminal: this.config.id,
        employee: punch.employee,
        deviceTime: punch.deviceTime,
        zone: this.config.zone,
        time: deviceTimeToUtc(punch.deviceTime, this.config.zone),
        skewMs: null,
        receivedAt: new Date().toISOString(),
        ...(punch.status !== undefined && { status: punch.status }),
        ...(punch.verify !== undefined && { verify: punch.verify }),
        ...(punch.workcode !== undefined && { workcode: punch.workcode }),
      });
      this.log.info({ employee: punch.employee, deviceTime: punch.deviceTime, duplicate: !accepted }, accepted ? 'punch' : 'duplicate punch ignored');
    } catch (err) {
      if (!(err instanceof LineFrameError)) throw err;
      this.rejectedLines++;
      this.log.warn({ line: JSON.stringify(line).slice(0, 300), where: err.where, rejectedLines: this.rejectedLines }, `malformed line from terminal: ${err.message}`);
    }
  }

  private onDown(reason: string): void {
    const port = this.port;
    this.port = undefined;
    if (port?.isOpen) port.close(() => undefined);
    port?.removeAllListeners().on('error', () => undefined);
    if (this.stopped || this.reopenTimer) return;
    this.setState('offline', reason);
    this.log.warn({ port: this.config.port, retryInMs: this.config.reopenDelayMs }, `terminal port down: ${reason}`);
    this.reopenTimer = setTimeout(() => {
      this.reopenTimer = undefined;
      if (!this.stopped) this.open();
    }, this.config.reopenDelayMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.reopenTimer);
    this.reopenTimer = undefined;
    const port = this.port;
    this.port = undefined;
    port?.removeAllListeners().on('error', () => undefined);
    if (port?.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
  }
}
