import { SerialPort } from 'serialport';
import { R30xDeframer, type R30xPacket } from '../../../protocols/r30x/index.js';

/**
 * The serial exchange with an R30x module: one command, one ack packet from our
 * address, within a timeout. Line noise is skipped by the deframer and reported
 * through `onNoise`.
 */
export class R30xLink {
  private port: SerialPort | undefined;
  private readonly deframer = new R30xDeframer();
  private waiting: { resolve: (p: R30xPacket) => void; reject: (e: Error) => void; timer: NodeJS.Timeout } | undefined;

  constructor(
    private readonly options: { path: string; baudRate: number; address: number; replyTimeoutMs: number },
    private readonly onNoise: (message: string) => void = () => undefined,
  ) {}

  open(): Promise<void> {
    return new Promise((resolve, reject) => {
      const port = new SerialPort({ path: this.options.path, baudRate: this.options.baudRate, autoOpen: false });
      this.port = port;
      port.on('data', (chunk: Buffer) => this.onBytes(chunk));
      port.on('error', () => this.fail(new Error('serial port error')));
      port.on('close', () => this.fail(new Error('serial port closed')));
      port.open((err) => (err ? reject(new Error(`cannot open ${this.options.path}: ${err.message}`)) : resolve()));
    });
  }

  private onBytes(chunk: Buffer): void {
    const { packets, errors } = this.deframer.push(chunk);
    for (const e of errors) this.onNoise(e.message);
    for (const p of packets) {
      if (p.address !== this.options.address) continue;
      const waiting = this.waiting;
      this.waiting = undefined;
      if (waiting) {
        clearTimeout(waiting.timer);
        waiting.resolve(p);
      }
    }
  }

  /** Fails the command in flight, if any (port trouble, or stopping). */
  fail(err: Error): void {
    const waiting = this.waiting;
    this.waiting = undefined;
    if (waiting) {
      clearTimeout(waiting.timer);
      waiting.reject(err);
    }
  }

  command(packet: Buffer, what: string): Promise<R30xPacket> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting = undefined;
        reject(new Error(`no answer to ${what} within ${this.options.replyTimeoutMs} ms`));
      }, this.options.replyTimeoutMs);
      this.waiting = { resolve, reject, timer };
      this.port?.write(packet);
    });
  }

  close(): void {
    const port = this.port;
    this.port = undefined;
    this.deframer.reset();
    port?.removeAllListeners('data');
    if (port?.isOpen) port.close(() => undefined);
  }
}
