import { decodeLine, LineFrameError } from '../../protocols/line/format.js';
import type { LineSerialTerminalConfig } from './line-serial-config.js';
import { deviceTimeToUtc, type TerminalDriver } from './terminal.js';
import { TerminalBase } from './base.js';
import { SerialLines } from '../serial-lines.js';

/**
 * A terminal that prints one punch per line on a serial port. The port is reopened
 * after any failure (cable pulled, USB adapter re-enumerated); state changes become
 * durable terminal_status records so the command room sees them.
 */
export class LineSerialTerminal extends TerminalBase<LineSerialTerminalConfig> implements TerminalDriver {
  readonly driver = 'line-serial';
  private lines: SerialLines | undefined;
  /** Malformed lines since start: reported in logs; a count for health later. */
  rejectedLines = 0;

  start(): void {
    this.lines ??= new SerialLines(
      { path: this.config.port, baudRate: this.config.baudRate, reopenDelayMs: this.config.reopenDelayMs },
      {
        line: (line) => this.onLine(line),
        up: () => {
          this.setState('online');
          this.log.info({ port: this.config.port, baudRate: this.config.baudRate }, 'terminal port open');
        },
        down: (reason) => {
          this.setState('offline', reason);
          this.log.warn({ port: this.config.port, retryInMs: this.config.reopenDelayMs }, `terminal port down: ${reason}`);
        },
      },
    );
    this.lines.start();
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

  async stop(): Promise<void> {
    await this.lines?.stop();
  }
}
