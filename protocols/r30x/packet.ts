/**
 * R30x packet framing: `EF 01 | address u32 BE | pid | length u16 BE | payload | checksum u16 BE`
 * where length = payload + 2 and checksum = (pid + both length bytes + payload bytes) mod 65536.
 * Layout per the R30x/ZFM user manuals; the checksum coverage matches the encoders in
 * adafruit/Adafruit-Fingerprint-Sensor-Library (writeStructuredPacket) and
 * bastianraschke/pyfingerprint (__writePacket / __readPacket).
 *
 * Pure and I/O-free: callers own the serial port and any timeouts.
 */
import { ProtocolError } from '../errors.js';
import {
  CHECKSUM_LENGTH,
  DEFAULT_ADDRESS,
  DEFAULT_MAX_FRAME_PAYLOAD,
  FRAME_PREFIX_LENGTH,
  HEADER_HI,
  HEADER_LO,
  MAX_PAYLOAD_LENGTH,
  isPacketId,
  type PacketId,
} from './constants.js';

/** The only error this codec throws. `where` is "byte N" (or "argument x"). */
export class R30xProtocolError extends ProtocolError {
  constructor(message: string, where: string) {
    super(message, where, 'r30x');
  }
}

export interface R30xPacket {
  /** Module address, 0..0xFFFFFFFF. */
  readonly address: number;
  readonly pid: PacketId;
  /** Bytes between the length field and the checksum (own copy, safe to keep). */
  readonly payload: Buffer;
}

export interface EncodeInput {
  readonly pid: PacketId;
  readonly payload: Uint8Array;
  /** Defaults to 0xFFFFFFFF, the factory address. */
  readonly address?: number;
}

const hex = (n: number, width = 2): string => `0x${n.toString(16).toUpperCase().padStart(width, '0')}`;

/** pid + length bytes + payload, mod 65536 (see file comment for sources). */
export function checksumOf(pid: number, payload: Uint8Array): number {
  const length = payload.length + CHECKSUM_LENGTH;
  let sum = pid + (length >> 8) + (length & 0xff);
  for (const byte of payload) sum += byte;
  return sum & 0xffff;
}

export function encodePacket(input: EncodeInput): Buffer {
  const address = input.address ?? DEFAULT_ADDRESS;
  if (!Number.isInteger(address) || address < 0 || address > 0xffffffff) {
    throw new R30xProtocolError(`address ${String(address)} is not a u32`, 'argument address');
  }
  if (!isPacketId(input.pid)) {
    throw new R30xProtocolError(`packet id ${String(input.pid)} is not 0x01/0x02/0x07/0x08`, 'argument pid');
  }
  if (input.payload.length > MAX_PAYLOAD_LENGTH) {
    throw new R30xProtocolError(
      `payload of ${input.payload.length} bytes exceeds ${MAX_PAYLOAD_LENGTH}`,
      'argument payload',
    );
  }
  const out = Buffer.alloc(FRAME_PREFIX_LENGTH + input.payload.length + CHECKSUM_LENGTH);
  out[0] = HEADER_HI;
  out[1] = HEADER_LO;
  out.writeUInt32BE(address, 2);
  out[6] = input.pid;
  out.writeUInt16BE(input.payload.length + CHECKSUM_LENGTH, 7);
  out.set(input.payload, FRAME_PREFIX_LENGTH);
  out.writeUInt16BE(checksumOf(input.pid, input.payload), FRAME_PREFIX_LENGTH + input.payload.length);
  return out;
}

/** Outcome of looking at the bytes that start at a candidate header. */
type Inspection =
  | { readonly kind: 'need'; readonly total: number }
  | { readonly kind: 'bad'; readonly message: string; readonly at: number }
  | { readonly kind: 'ok'; readonly packet: R30xPacket; readonly size: number };

/**
 * Shared by decodePacket and the deframer so both judge a frame identically.
 * `maxPayload` caps the length field (the deframer uses it to resync early).
 */
function inspectFrame(buf: Buffer, start: number, maxPayload: number): Inspection {
  const avail = buf.length - start;
  if (avail >= 1 && buf[start] !== HEADER_HI) {
    return { kind: 'bad', message: `expected header byte 0xEF, got ${hex(buf[start] ?? 0)}`, at: 0 };
  }
  if (avail >= 2 && buf[start + 1] !== HEADER_LO) {
    return { kind: 'bad', message: `expected header byte 0x01, got ${hex(buf[start + 1] ?? 0)}`, at: 1 };
  }
  if (avail >= 7) {
    const pid = buf[start + 6] ?? 0;
    if (!isPacketId(pid)) {
      return { kind: 'bad', message: `unknown packet id ${hex(pid)}`, at: 6 };
    }
  }
  if (avail < FRAME_PREFIX_LENGTH) return { kind: 'need', total: FRAME_PREFIX_LENGTH };
  const length = buf.readUInt16BE(start + 7);
  if (length < CHECKSUM_LENGTH) {
    return { kind: 'bad', message: `length field ${length} is below the 2 checksum bytes`, at: 7 };
  }
  const payloadLength = length - CHECKSUM_LENGTH;
  if (payloadLength > maxPayload) {
    return { kind: 'bad', message: `payload length ${payloadLength} exceeds limit ${maxPayload}`, at: 7 };
  }
  const total = FRAME_PREFIX_LENGTH + length;
  if (avail < total) return { kind: 'need', total };
  const pid = (buf[start + 6] ?? 0) as PacketId;
  const payload = Buffer.from(buf.subarray(start + FRAME_PREFIX_LENGTH, start + FRAME_PREFIX_LENGTH + payloadLength));
  const sumAt = FRAME_PREFIX_LENGTH + payloadLength;
  const received = buf.readUInt16BE(start + sumAt);
  const expected = checksumOf(pid, payload);
  if (received !== expected) {
    return { kind: 'bad', message: `checksum ${hex(received, 4)} != computed ${hex(expected, 4)}`, at: sumAt };
  }
  return { kind: 'ok', packet: { address: buf.readUInt32BE(start + 2), pid, payload }, size: total };
}

/** Decode exactly one whole packet; anything short, long or corrupt throws. */
export function decodePacket(bytes: Uint8Array): R30xPacket {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const result = inspectFrame(buf, 0, MAX_PAYLOAD_LENGTH);
  switch (result.kind) {
    case 'bad':
      throw new R30xProtocolError(result.message, `byte ${result.at}`);
    case 'need':
      throw new R30xProtocolError(
        `truncated packet: ${buf.length} of ${result.total} bytes`,
        `byte ${buf.length}`,
      );
    case 'ok':
      if (result.size !== buf.length) {
        throw new R30xProtocolError(
          `${buf.length - result.size} trailing bytes after a ${result.size}-byte packet`,
          `byte ${result.size}`,
        );
      }
      return result.packet;
  }
}

export interface DeframeResult {
  readonly packets: R30xPacket[];
  /** Garbage and corrupt frames skipped during this push; reported, never thrown. */
  readonly errors: R30xProtocolError[];
}

export interface DeframerOptions {
  /** Largest payload accepted before treating a header as false (default 256). */
  readonly maxPayload?: number;
}

const HEADER_BYTES = Buffer.from([HEADER_HI, HEADER_LO]);

/**
 * Streaming deframer for a serial byte stream. Feed it whatever chunks the port
 * delivers; it returns every complete valid packet, skips bytes before an `EF 01`
 * header, and on a corrupt frame drops just the false header's first byte so a
 * real packet hiding inside it is still found. Error `where` values are absolute
 * stream offsets ("stream byte N") so logs can be matched to captures.
 */
export class R30xDeframer {
  private buf: Buffer = Buffer.alloc(0);
  /** Stream offset of buf[0]. */
  private offset = 0;
  private readonly maxPayload: number;

  constructor(options: DeframerOptions = {}) {
    const max = options.maxPayload ?? DEFAULT_MAX_FRAME_PAYLOAD;
    if (!Number.isInteger(max) || max < 0 || max > MAX_PAYLOAD_LENGTH) {
      throw new R30xProtocolError(`maxPayload ${String(max)} not in 0..${MAX_PAYLOAD_LENGTH}`, 'argument maxPayload');
    }
    this.maxPayload = max;
  }

  /** Bytes held while waiting for the rest of a packet. */
  get buffered(): number {
    return this.buf.length;
  }

  /** Forget any partial packet, e.g. after the port was reopened. */
  reset(): void {
    this.offset += this.buf.length;
    this.buf = Buffer.alloc(0);
  }

  push(chunk: Uint8Array): DeframeResult {
    const packets: R30xPacket[] = [];
    const errors: R30xProtocolError[] = [];
    const buf = this.buf.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.buf, chunk]);
    // Walk with a cursor and compact once at the end, so a chunk holding many
    // packets costs O(n) rather than a copy per packet.
    let pos = 0;
    const skip = (count: number, why: string): void => {
      if (count <= 0) return;
      errors.push(new R30xProtocolError(`discarded ${count} garbage bytes (${why})`, `stream byte ${this.offset + pos}`));
      pos += count;
    };
    for (;;) {
      const at = buf.indexOf(HEADER_BYTES, pos);
      if (at < 0) {
        // Keep a trailing 0xEF: it may be the first half of a header split across chunks.
        const keep = buf.length > pos && buf[buf.length - 1] === HEADER_HI ? 1 : 0;
        skip(buf.length - pos - keep, 'no EF 01 header');
        break;
      }
      skip(at - pos, 'before EF 01 header');
      const result = inspectFrame(buf, pos, this.maxPayload);
      if (result.kind === 'need') break;
      if (result.kind === 'bad') {
        // Drop only the false header's first byte: a real packet may start inside it.
        errors.push(new R30xProtocolError(`${result.message}; resyncing`, `stream byte ${this.offset + pos + result.at}`));
        pos += 1;
        continue;
      }
      packets.push(result.packet);
      pos += result.size;
    }
    // Copy so a long-lived remainder does not pin the (possibly large) concatenated chunk.
    this.buf = Buffer.from(buf.subarray(pos));
    this.offset += pos;
    return { packets, errors };
  }
}
