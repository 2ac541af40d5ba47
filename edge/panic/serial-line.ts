import type { Logger } from 'pino';
import type { SerialLineInputConfig } from './config.js';
import { SerialLines } from '../serial-lines.js';

/**
 * An alarm panel that prints one line per event on a serial port: a line matching the
 * configured pattern is an alarm (a press); the rest (arming, tests, troubles) is
 * logged at debug and ignored. The port is reopened after any failure.
 */
export class SerialLineInput {
  private readonly lines: SerialLines;
  private readonly pattern: RegExp;
  private lastPressMs = -Infinity;

  constructor(
    private readonly config: SerialLineInputConfig,
    private readonly onPress: (input: SerialLineInputConfig, atMs: number, line: string) => void,
    private readonly log: Logger,
  ) {
    this.pattern = new RegExp(config.match, config.ignoreCase ? 'i' : '');
    this.lines = new SerialLines(
      { path: config.port, baudRate: config.baudRate, reopenDelayMs: config.reopenDelayMs },
      {
        line: (line) => this.onLine(line),
        up: () => this.log.info({ input: config.id, port: config.port, baudRate: config.baudRate }, 'panic input port open'),
        down: (reason) => this.log.error({ input: config.id, port: config.port, retryInMs: config.reopenDelayMs }, `panic input port down: alarms cannot be seen until it is back: ${reason}`),
      },
    );
  }

  start(): void {
    this.lines.start();
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

  stop(): Promise<void> {
    return this.lines.stop();
  }
}
