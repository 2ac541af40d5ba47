import { EventEmitter } from 'node:events';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, type Socket } from 'node:net';
import { SerialPort } from 'serialport';
import { decodePacket, encodePacket, encodeTcpFrame, ZkTcpDeframer, type ZkPacket, type ZkPacketFields } from '../../../protocols/zk/index.js';
import { ZkProtocolError } from '../../../protocols/zk/index.js';

/**
 * Byte transports for the ZK protocol. Each emits 'packet' (a decoded packet),
 * 'error' (a framing problem: the session should drop and reconnect) and 'close'.
 * TCP and serial carry the 50 50 82 7D framing; UDP carries bare packets, one per
 * datagram. The serial framing is an assumption (no public document describes
 * it), which is why the serial transport is behind the `experimental` flag.
 */
export interface ZkTransport extends EventEmitter {
  readonly kind: 'tcp' | 'udp' | 'serial';
  open(timeoutMs: number): Promise<void>;
  send(fields: ZkPacketFields): void;
  close(): void;
}

abstract class FramedStreamTransport extends EventEmitter {
  private readonly deframer = new ZkTcpDeframer();

  protected onBytes(chunk: Buffer): void {
    let packets: ZkPacket[];
    try {
      packets = this.deframer.push(chunk);
    } catch (err) {
      this.emit('error', err);
      return this.close();
    }
    for (const p of packets) this.emit('packet', p);
  }

  abstract close(): void;
}

export class TcpTransport extends FramedStreamTransport implements ZkTransport {
  readonly kind = 'tcp';
  private socket: Socket | undefined;

  constructor(
    private readonly host: string,
    private readonly port: number,
  ) {
    super();
  }

  open(timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: this.host, port: this.port, noDelay: true });
      this.socket = socket;
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`TCP connect to ${this.host}:${this.port} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve();
      });
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(new Error(`TCP ${this.host}:${this.port}: ${err.message}`));
      });
      socket.on('data', (chunk: Buffer) => this.onBytes(chunk));
      socket.on('close', () => this.emit('close'));
      socket.on('error', () => undefined); // surfaced through 'close' and request timeouts
    });
  }

  send(fields: ZkPacketFields): void {
    this.socket?.write(encodeTcpFrame(fields));
  }

  close(): void {
    this.socket?.destroy();
  }
}

export class UdpTransport extends EventEmitter implements ZkTransport {
  readonly kind = 'udp';
  private socket: UdpSocket | undefined;

  constructor(
    private readonly host: string,
    private readonly port: number,
  ) {
    super();
  }

  async open(): Promise<void> {
    const socket = createSocket('udp4');
    this.socket = socket;
    socket.on('message', (msg, rinfo) => {
      if (rinfo.port !== this.port) return; // only our terminal's datagrams
      try {
        this.emit('packet', decodePacket(msg));
      } catch (err) {
        // A bad datagram is dropped alone: UDP has no stream to lose sync with.
        if (err instanceof ZkProtocolError) this.emit('garbage', err);
        else throw err;
      }
    });
    socket.on('close', () => this.emit('close'));
    socket.on('error', () => this.close());
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.connect(this.port, this.host, () => {
        socket.off('error', reject);
        resolve();
      });
    });
  }

  send(fields: ZkPacketFields): void {
    this.socket?.send(encodePacket(fields));
  }

  close(): void {
    const socket = this.socket;
    this.socket = undefined;
    try {
      socket?.close();
    } catch {
      // already closed
    }
  }
}

export class SerialTransport extends FramedStreamTransport implements ZkTransport {
  readonly kind = 'serial';
  private port: SerialPort | undefined;

  constructor(
    private readonly path: string,
    private readonly baudRate: number,
  ) {
    super();
  }

  open(): Promise<void> {
    return new Promise((resolve, reject) => {
      const port = new SerialPort({ path: this.path, baudRate: this.baudRate, autoOpen: false });
      this.port = port;
      port.on('data', (chunk: Buffer) => this.onBytes(chunk));
      port.on('close', () => this.emit('close'));
      port.on('error', () => this.close());
      port.open((err) => (err ? reject(new Error(`cannot open ${this.path}: ${err.message}`)) : resolve()));
    });
  }

  send(fields: ZkPacketFields): void {
    this.port?.write(encodeTcpFrame(fields));
  }

  close(): void {
    const port = this.port;
    if (port?.isOpen) port.close(() => undefined);
    else if (port) this.emit('close');
  }
}
