import { TcpProxy } from '../../sim/tcp-proxy.js';

/**
 * A TCP proxy on 127.0.0.1 that counts the bytes between MQTT clients and a broker,
 * both ways, and splits them by MQTT packet: PUBLISH packets by topic, the rest by
 * packet type. Bytes are TCP payload (whole MQTT packets: fixed header, topic, packet
 * id, properties, payload); TCP/IP headers and TLS are not included.
 */
export interface Tally {
  packets: number;
  /** Whole MQTT packets. */
  bytes: number;
  /** Application payload of PUBLISH packets (0 for other packets). */
  payloadBytes: number;
}

export type Direction = 'up' | 'down';

export interface MeterReading {
  atMs: number;
  connections: number;
  /** Client -> broker (the office uplink) and broker -> client, all bytes. */
  bytes: Record<Direction, number>;
  /** Per topic ("publish <topic>") or packet type ("puback", "pingreq", ...). */
  packets: Record<Direction, Record<string, Tally>>;
}

const TYPES = ['reserved', 'connect', 'connack', 'publish', 'puback', 'pubrec', 'pubrel', 'pubcomp', 'subscribe', 'suback', 'unsubscribe', 'unsuback', 'pingreq', 'pingresp', 'disconnect', 'auth'];

/** Reads an MQTT variable byte integer at `at`; undefined when incomplete or malformed. */
function varint(buf: Buffer, at: number): { value: number; next: number } | undefined {
  let value = 0;
  let mult = 1;
  for (let i = at; i < buf.length && i < at + 4; i++) {
    const b = buf[i]!;
    value += (b & 0x7f) * mult;
    if ((b & 0x80) === 0) return { value, next: i + 1 };
    mult *= 128;
  }
  return undefined;
}

/** Splits one direction of one connection into MQTT packets. */
class PacketSplitter {
  private buf: Buffer = Buffer.alloc(0);
  private broken = false;

  constructor(
    private readonly conn: { version: number },
    private readonly onPacket: (key: string, bytes: number, payloadBytes: number) => void,
  ) {}

  push(chunk: Buffer): void {
    if (this.broken) return this.onPacket('unparsed', chunk.length, 0);
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    for (;;) {
      if (this.buf.length < 2) return;
      const len = varint(this.buf, 1);
      if (len === undefined) {
        if (this.buf.length >= 5) this.fail();
        return;
      }
      const total = len.next + len.value;
      if (this.buf.length < total) return;
      const packet = this.buf.subarray(0, total);
      this.buf = this.buf.subarray(total);
      this.classify(packet, len.next);
    }
  }

  private fail(): void {
    this.broken = true;
    this.onPacket('unparsed', this.buf.length, 0);
    this.buf = Buffer.alloc(0);
  }

  private classify(packet: Buffer, bodyAt: number): void {
    const type = packet[0]! >> 4;
    const name = TYPES[type] ?? 'reserved';
    if (type === 1 && packet.length > bodyAt + 6) {
      // CONNECT: protocol name (u16 length + "MQTT"), then the protocol level (4 = 3.1.1, 5 = 5.0)
      const nameLen = packet.readUInt16BE(bodyAt);
      this.conn.version = packet[bodyAt + 2 + nameLen] ?? 4;
    }
    if (type !== 3 || packet.length < bodyAt + 2) return this.onPacket(name, packet.length, 0);
    const topicLen = packet.readUInt16BE(bodyAt);
    const topic = packet.toString('utf8', bodyAt + 2, bodyAt + 2 + topicLen);
    const qos = (packet[0]! >> 1) & 3;
    let at = bodyAt + 2 + topicLen + (qos > 0 ? 2 : 0);
    if (this.conn.version === 5) {
      const props = varint(packet, at);
      at = props === undefined ? packet.length : props.next + props.value;
    }
    this.onPacket(`publish ${topic}`, packet.length, Math.max(0, packet.length - at));
  }
}

/** A TCP proxy between gateway and broker that counts MQTT bytes and packets by topic. */
export class MqttMeter {
  private readonly proxy: TcpProxy;
  private readonly bytes: Record<Direction, number> = { up: 0, down: 0 };
  private readonly packets: Record<Direction, Map<string, Tally>> = { up: new Map(), down: new Map() };

  constructor(targetPort: number, targetHost = '127.0.0.1') {
    this.proxy = new TcpProxy(targetPort, targetHost, () => {
      const conn = { version: 4 };
      const up = new PacketSplitter(conn, (key, bytes, payload) => this.count('up', key, bytes, payload));
      const down = new PacketSplitter(conn, (key, bytes, payload) => this.count('down', key, bytes, payload));
      return {
        up: (chunk) => {
          this.bytes.up += chunk.length;
          up.push(chunk);
        },
        down: (chunk) => {
          this.bytes.down += chunk.length;
          down.push(chunk);
        },
      };
    });
  }

  /** Listens on 127.0.0.1:port (0 = a free port); resolves with the port. */
  listen(port = 0): Promise<number> {
    return this.proxy.listen(port);
  }

  private count(dir: Direction, key: string, bytes: number, payloadBytes: number): void {
    const t = this.packets[dir].get(key) ?? { packets: 0, bytes: 0, payloadBytes: 0 };
    t.packets++;
    t.bytes += bytes;
    t.payloadBytes += payloadBytes;
    this.packets[dir].set(key, t);
  }

  /** The counters now (a copy). */
  read(): MeterReading {
    const copy = (m: Map<string, Tally>) => Object.fromEntries([...m].map(([k, t]) => [k, { ...t }]));
    return { atMs: Date.now(), connections: this.proxy.connections, bytes: { ...this.bytes }, packets: { up: copy(this.packets.up), down: copy(this.packets.down) } };
  }

  close(): Promise<void> {
    return this.proxy.close();
  }
}

/** What happened between two readings (`atMs` is then the span between them, in ms). */
/** Sums the tallies whose key (packet type and topic) passes `pick`. */
export function sumTallies(packets: Record<string, Tally>, pick: (key: string) => boolean): Tally {
  const out = { packets: 0, bytes: 0, payloadBytes: 0 };
  for (const [k, t] of Object.entries(packets)) {
    if (!pick(k)) continue;
    out.packets += t.packets;
    out.bytes += t.bytes;
    out.payloadBytes += t.payloadBytes;
  }
  return out;
}

export function meterDiff(a: MeterReading, b: MeterReading): MeterReading {
  const diff = (x: Record<string, Tally>, y: Record<string, Tally>) => {
    const out: Record<string, Tally> = {};
    for (const [k, t] of Object.entries(y)) {
      const s = x[k] ?? { packets: 0, bytes: 0, payloadBytes: 0 };
      if (t.packets > s.packets) out[k] = { packets: t.packets - s.packets, bytes: t.bytes - s.bytes, payloadBytes: t.payloadBytes - s.payloadBytes };
    }
    return out;
  };
  return {
    atMs: b.atMs - a.atMs,
    connections: b.connections - a.connections,
    bytes: { up: b.bytes.up - a.bytes.up, down: b.bytes.down - a.bytes.down },
    packets: { up: diff(a.packets.up, b.packets.up), down: diff(a.packets.down, b.packets.down) },
  };
}
