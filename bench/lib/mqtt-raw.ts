import { connect, type Socket } from 'node:net';

/**
 * A bare MQTT 3.1.1 client (OASIS MQTT 3.1.1, sections 2-3) for the broker benchmark:
 * CONNECT, QoS 1 PUBLISH with PUBACK both ways, SUBSCRIBE, PINGREQ. It writes
 * pre-encoded packets and parses only fixed headers, packet ids and topics, so 500
 * of them plus a subscriber cost the load generator a fraction of what mqtt.js
 * clients would, and the broker, not the generator, is what runs out of CPU first.
 */
const CONNECT = 0x10;
const CONNACK = 0x20;
const PUBLISH = 0x30;
const PUBACK = 0x40;
const SUBSCRIBE = 0x82; // type 8 with the reserved flags 0010
const SUBACK = 0x90;
const PINGREQ = 0xc0;
const DISCONNECT = 0xe0;
const EMPTY = Buffer.alloc(0);

/** The variable byte integer of a remaining length (section 2.2.3). */
function lengthBytes(n: number): Buffer {
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return Buffer.from(out);
}

function utf8Field(s: string): Buffer {
  const b = Buffer.from(s, 'utf8');
  const len = Buffer.alloc(2);
  len.writeUInt16BE(b.length);
  return Buffer.concat([len, b]);
}

function packet(first: number, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from([first]), lengthBytes(body.length), body]);
}

export interface Delivery {
  topic: Buffer;
  payload: Buffer;
}

export class RawMqttClient {
  private pending: Buffer = EMPTY;
  private nextId = 0;
  private connack: ((rc: number) => void) | undefined;
  private suback: (() => void) | undefined;
  private pingTimer: NodeJS.Timeout | undefined;
  /** PUBACKs received for our publishes. */
  pubacks = 0;
  onPuback: ((id: number) => void) | undefined;
  /** QoS 1 deliveries are PUBACKed before this is called. */
  onMessage: ((d: Delivery) => void) | undefined;
  closed = false;

  private constructor(private readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.closed = true;
      clearInterval(this.pingTimer);
    });
  }

  /** Connects with a clean session; rejects unless the broker answers CONNACK 0. */
  static async connect(port: number, clientId: string, keepaliveS = 300, timeoutMs = 30_000): Promise<RawMqttClient> {
    const socket = connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('error', reject);
    });
    const client = new RawMqttClient(socket);
    const keepalive = Buffer.alloc(2);
    keepalive.writeUInt16BE(keepaliveS);
    const body = Buffer.concat([utf8Field('MQTT'), Buffer.from([4, 0x02]), keepalive, utf8Field(clientId)]);
    const rc = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${clientId}: no CONNACK within ${timeoutMs} ms`)), timeoutMs);
      client.connack = (code) => {
        clearTimeout(timer);
        resolve(code);
      };
      socket.once('close', () => reject(new Error(`${clientId}: connection closed before CONNACK`)));
      socket.write(packet(CONNECT, body));
    });
    if (rc !== 0) throw new Error(`${clientId}: CONNACK return code ${rc}`);
    // Keepalive counts any packet from the client; a subscriber only sends PUBACKs, so ping anyway.
    client.pingTimer = setInterval(() => socket.write(Buffer.from([PINGREQ, 0])), (keepaliveS * 1000) / 2);
    return client;
  }

  async subscribe(filter: string): Promise<void> {
    const id = Buffer.alloc(2);
    id.writeUInt16BE(this.packetId());
    await new Promise<void>((resolve) => {
      this.suback = resolve;
      this.socket.write(packet(SUBSCRIBE, Buffer.concat([id, utf8Field(filter), Buffer.from([1])])));
    });
  }

  /** The fixed header, topic and packet id of a QoS 1 PUBLISH whose payload is `payloadBytes` long. */
  static publishHeader(topic: string, payloadBytes: number): Buffer {
    const t = utf8Field(topic);
    const remaining = t.length + 2 + payloadBytes;
    return Buffer.concat([Buffer.from([PUBLISH | 0x02]), lengthBytes(remaining), t, Buffer.alloc(2)]);
  }

  /**
   * Publishes at QoS 1: `header` from publishHeader (its packet id is filled in here,
   * so pass a fresh copy per message), then the payload in parts (e.g. a per-message
   * prefix and a shared body). Returns false when the socket buffer is full.
   */
  publish(header: Buffer, ...payload: Buffer[]): boolean {
    header.writeUInt16BE(this.packetId(), header.length - 2);
    this.socket.cork();
    this.socket.write(header);
    let ok = true;
    for (const p of payload) ok = this.socket.write(p);
    this.socket.uncork();
    return ok;
  }

  private packetId(): number {
    this.nextId = (this.nextId % 65535) + 1;
    return this.nextId;
  }

  private onData(chunk: Buffer): void {
    const buf = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    let at = 0;
    for (;;) {
      if (buf.length - at < 2) break;
      let len = 0;
      let mult = 1;
      let i = at + 1;
      let complete = false;
      for (; i < buf.length && i < at + 5; i++) {
        len += (buf[i]! & 0x7f) * mult;
        mult *= 128;
        if ((buf[i]! & 0x80) === 0) {
          complete = true;
          i++;
          break;
        }
      }
      if (!complete || buf.length < i + len) break;
      this.onPacket(buf[at]!, buf.subarray(i, i + len));
      at = i + len;
    }
    // A partial packet is copied out, so it does not pin the whole chunk it came in.
    this.pending = at === buf.length ? EMPTY : at === 0 ? buf : Buffer.from(buf.subarray(at));
  }

  private onPacket(first: number, body: Buffer): void {
    switch (first & 0xf0) {
      case CONNACK:
        return this.connack?.(body[1] ?? 255);
      case PUBACK:
        this.pubacks++;
        return this.onPuback?.(body.readUInt16BE(0));
      case SUBACK:
        return this.suback?.();
      case PUBLISH: {
        const qos = (first >> 1) & 3;
        const topicLen = body.readUInt16BE(0);
        const topic = body.subarray(2, 2 + topicLen);
        let at = 2 + topicLen;
        if (qos > 0) {
          this.socket.write(Buffer.from([PUBACK, 2, body[at]!, body[at + 1]!]));
          at += 2;
        }
        return this.onMessage?.({ topic, payload: body.subarray(at) });
      }
    }
  }

  async close(): Promise<void> {
    clearInterval(this.pingTimer);
    if (this.closed) return;
    await new Promise<void>((resolve) => {
      this.socket.once('close', () => resolve());
      this.socket.end(Buffer.from([DISCONNECT, 0]));
      setTimeout(() => {
        this.socket.destroy();
        resolve();
      }, 2000).unref();
    });
  }
}
