/**
 * Packet and frame layer of the ZK protocol.
 *
 * Layout [adrobinoga/zk-protocol protocol.md, "Packet Fields"]:
 *   UDP datagram = inner packet
 *   TCP frame    = 50 50 82 7d | u32 LE inner length | inner packet
 *   inner packet = cmd u16 | checksum u16 | session u16 | reply u16 | data   (all LE)
 */
import { PACKET_HEADER_SIZE, TCP_HEADER_SIZE, TCP_MAGIC, USHRT_MAX } from './constants.js';
import { ZkProtocolError, asBuffer, hexPreview, requireUint, shiftWhere } from './errors.js';

/** What a caller supplies to build a packet; the checksum is always computed. */
export interface ZkPacketFields {
  readonly command: number;
  readonly sessionId: number;
  readonly replyId: number;
  readonly data?: Uint8Array;
}

/** A decoded inner packet. `checksum` is the value found on the wire. */
export interface ZkPacket {
  readonly command: number;
  readonly checksum: number;
  readonly sessionId: number;
  readonly replyId: number;
  readonly data: Buffer;
}

export interface DecodeOptions {
  /** Reject packets whose checksum does not match (default true). */
  readonly verifyChecksum?: boolean;
}

/**
 * 16-bit ones-complement checksum [protocol.md "Checksum"]: sum LE u16 words,
 * pad an odd tail byte with a zero high byte, fold the carries back in,
 * complement. Folding repeats (rather than once) so large DATA packets cannot
 * leave a carry behind; pyzk's "subtract 0xffff on overflow" gives the same value.
 * With `skipField` the checksum slot (bytes 2-3) counts as zero.
 */
function checksumOf(bytes: Uint8Array, skipField: boolean): number {
  let sum = 0;
  const last = bytes.length - 1;
  for (let i = 0; i < last; i += 2) {
    if (skipField && i === 2) continue;
    sum += (bytes[i] ?? 0) | ((bytes[i + 1] ?? 0) << 8);
  }
  if (bytes.length % 2 === 1) sum += bytes[last] ?? 0;
  while (sum > 0xffff) sum = (sum % 0x10000) + Math.floor(sum / 0x10000);
  return ~sum & 0xffff;
}

/** Checksum over `bytes` exactly as given (the protocol.md test vectors are in this form). */
export function zkChecksum(bytes: Uint8Array): number {
  return checksumOf(bytes, false);
}

/** Checksum of a whole inner packet, treating its own checksum field (bytes 2-3) as zero. */
export function packetChecksum(inner: Uint8Array): number {
  if (inner.length < PACKET_HEADER_SIZE) {
    throw new ZkProtocolError(`packet has ${inner.length} bytes, header needs ${PACKET_HEADER_SIZE}`, `byte ${inner.length}`);
  }
  return checksumOf(inner, true);
}

/** Build an inner packet (also the complete UDP datagram). */
export function encodePacket(fields: ZkPacketFields): Buffer {
  requireUint(fields.command, 0xffff, 'command');
  requireUint(fields.sessionId, 0xffff, 'sessionId');
  requireUint(fields.replyId, 0xffff, 'replyId');
  const data = fields.data ?? new Uint8Array(0);
  const out = Buffer.alloc(PACKET_HEADER_SIZE + data.length);
  out.writeUInt16LE(fields.command, 0);
  out.writeUInt16LE(fields.sessionId, 4);
  out.writeUInt16LE(fields.replyId, 6);
  out.set(data, PACKET_HEADER_SIZE);
  out.writeUInt16LE(zkChecksum(out), 2); // field is still zero here
  return out;
}

/** Parse an inner packet (a whole UDP datagram, or the body of one TCP frame). */
export function decodePacket(bytes: Uint8Array, options: DecodeOptions = {}): ZkPacket {
  const buf = asBuffer(bytes);
  if (buf.length < PACKET_HEADER_SIZE) {
    throw new ZkProtocolError(`packet has ${buf.length} bytes, header needs ${PACKET_HEADER_SIZE}`, `byte ${buf.length}`);
  }
  const checksum = buf.readUInt16LE(2);
  if (options.verifyChecksum ?? true) {
    const expected = packetChecksum(buf);
    if (expected !== checksum) {
      throw new ZkProtocolError(
        `checksum mismatch: packet says 0x${checksum.toString(16).padStart(4, '0')}, computed 0x${expected.toString(16).padStart(4, '0')}`,
        'byte 2',
      );
    }
  }
  return {
    command: buf.readUInt16LE(0),
    checksum,
    sessionId: buf.readUInt16LE(4),
    replyId: buf.readUInt16LE(6),
    data: Buffer.from(buf.subarray(PACKET_HEADER_SIZE)), // own copy: callers keep packets past the next recv
  };
}

export const encodeUdpPacket = encodePacket;
export const decodeUdpPacket = decodePacket;

/** Prefix an already-built inner packet with the TCP header. */
export function wrapTcp(inner: Uint8Array): Buffer {
  const out = Buffer.alloc(TCP_HEADER_SIZE + inner.length);
  out.set(TCP_MAGIC, 0);
  out.writeUInt32LE(inner.length, 4);
  out.set(inner, TCP_HEADER_SIZE);
  return out;
}

export function encodeTcpFrame(fields: ZkPacketFields): Buffer {
  return wrapTcp(encodePacket(fields));
}

/** Where the first magic byte differs, or -1. Checks only the bytes present. */
function magicMismatch(buf: Buffer, start: number): number {
  const n = Math.min(TCP_MAGIC.length, buf.length - start);
  for (let i = 0; i < n; i++) if (buf[start + i] !== TCP_MAGIC[i]) return i;
  return -1;
}

/** Decode exactly one complete TCP frame (header + inner packet, nothing after it). */
export function decodeTcpFrame(bytes: Uint8Array, options: DecodeOptions = {}): ZkPacket {
  const buf = asBuffer(bytes);
  const bad = magicMismatch(buf, 0);
  if (bad >= 0) throw new ZkProtocolError(`TCP frame does not start with 50 50 82 7d: ${hexPreview(buf, 8)}`, `byte ${bad}`);
  if (buf.length < TCP_HEADER_SIZE) {
    throw new ZkProtocolError(`TCP header needs ${TCP_HEADER_SIZE} bytes, got ${buf.length}`, `byte ${buf.length}`);
  }
  const length = buf.readUInt32LE(4);
  const actual = buf.length - TCP_HEADER_SIZE;
  if (length !== actual) {
    throw new ZkProtocolError(`TCP header declares ${length} payload bytes but ${actual} follow`, 'byte 4');
  }
  try {
    return decodePacket(buf.subarray(TCP_HEADER_SIZE), options);
  } catch (err) {
    throw shiftWhere(err, TCP_HEADER_SIZE, 'byte');
  }
}

/**
 * The reply id the next request should carry. pyzk increments after every
 * exchange and wraps once the id reaches 0xffff, so ids stay in 0..0xfffe
 * [pyzk base.py __create_header].
 */
export function nextReplyId(replyId: number): number {
  requireUint(replyId, 0xffff, 'replyId');
  const next = replyId + 1;
  return next >= USHRT_MAX ? next - USHRT_MAX : next;
}

export interface DeframerOptions extends DecodeOptions {
  /**
   * Largest inner packet accepted. A chunk reply is at most 0xffc0 data bytes
   * (pyzk's TCP chunk) plus header; 1 MiB leaves room for firmware that sends
   * a whole small data set inline while still bounding memory on a garbled length.
   */
  readonly maxPacketLength?: number;
}

/**
 * Streaming TCP deframer: feed it whatever `socket.on('data')` delivers and get
 * back every packet completed so far. Pure — no timers, no sockets.
 *
 * TCP has no resync marker we can trust inside data, so any framing error
 * (bad magic, absurd length, bad checksum) throws and clears the buffer; the
 * driver is expected to drop the connection and reconnect.
 */
export class ZkTcpDeframer {
  private pending: Buffer = Buffer.alloc(0);
  private consumed = 0; // stream offset of pending[0], for error locations
  private readonly maxPacketLength: number;
  private readonly decodeOptions: DecodeOptions;

  constructor(options: DeframerOptions = {}) {
    this.maxPacketLength = options.maxPacketLength ?? 1024 * 1024;
    this.decodeOptions = { verifyChecksum: options.verifyChecksum ?? true };
  }

  /** Bytes received but not yet part of a complete frame. */
  get bufferedBytes(): number {
    return this.pending.length;
  }

  reset(): void {
    this.pending = Buffer.alloc(0);
  }

  push(chunk: Uint8Array): ZkPacket[] {
    this.pending = this.pending.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.pending, chunk]);
    const packets: ZkPacket[] = [];
    try {
      for (;;) {
        const packet = this.takeOne();
        if (!packet) break;
        packets.push(packet);
      }
    } catch (err) {
      this.consumed += this.pending.length;
      this.reset();
      throw err;
    }
    return packets;
  }

  private takeOne(): ZkPacket | undefined {
    const buf = this.pending;
    const bad = magicMismatch(buf, 0);
    if (bad >= 0) {
      throw new ZkProtocolError(`expected TCP magic 50 50 82 7d, got ${hexPreview(buf, 4)}`, `stream byte ${this.consumed + bad}`);
    }
    if (buf.length < TCP_HEADER_SIZE) return undefined;
    const length = buf.readUInt32LE(4);
    if (length < PACKET_HEADER_SIZE || length > this.maxPacketLength) {
      throw new ZkProtocolError(
        `TCP length ${length} outside ${PACKET_HEADER_SIZE}..${this.maxPacketLength}`,
        `stream byte ${this.consumed + 4}`,
      );
    }
    const end = TCP_HEADER_SIZE + length;
    if (buf.length < end) return undefined;
    let packet: ZkPacket;
    try {
      packet = decodePacket(buf.subarray(TCP_HEADER_SIZE, end), this.decodeOptions);
    } catch (err) {
      throw shiftWhere(err, this.consumed + TCP_HEADER_SIZE, 'stream byte');
    }
    this.pending = buf.subarray(end);
    this.consumed += end;
    return packet;
  }
}
