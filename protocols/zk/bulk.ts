/**
 * Buffered bulk reads: PREPARE_BUFFER (1503) + READ_BUFFER (1504) + FREE_DATA.
 *
 * Flow [pyzk base.py read_with_buffer / __read_chunk / __recieve_chunk;
 * zk-protocol sections/ex_data.md, data-record.md]:
 *  1. PREPARE_BUFFER data = 01 | inner command u16 | fct u32 | ext u32 (11 bytes;
 *     data-record.md shows 010d000000000000000000 for the attendance log).
 *  2. Reply is either DATA carrying the whole (small) data set inline, or
 *     ACK_OK whose data holds the total size as LE u32 at byte 1 (ex_data.md
 *     "data stat": 00 | size | size again | 4 unknown bytes).
 *  3. For each chunk: READ_BUFFER data = offset u32 | size u32. The device
 *     answers DATA directly, or PREPARE_DATA (size u32 at byte 0) followed by
 *     one or more DATA packets and an ACK_OK.
 *  4. FREE_DATA releases the device buffer.
 */
import { CMD, MAX_CHUNK_TCP } from './constants.js';
import { ZkProtocolError, asBuffer, requireBytes, requireUint } from './errors.js';
import type { ZkPacket } from './frame.js';

export interface ZkChunk {
  readonly offset: number;
  readonly size: number;
}

export type ZkPrepareBufferReply =
  | { readonly kind: 'inline'; readonly data: Buffer }
  | { readonly kind: 'buffered'; readonly totalSize: number }
  /** The device refused (ACK_ERROR, ACK_UNKNOWN on old firmware...); callers fall back. */
  | { readonly kind: 'rejected'; readonly replyCode: number };

/** Data of the PREPARE_BUFFER request wrapping e.g. ATTLOG_RRQ (13). */
export function encodePrepareBufferRequest(command: number, fct = 0, ext = 0): Buffer {
  requireUint(command, 0xffff, 'command');
  requireUint(fct, 0xffffffff, 'fct');
  requireUint(ext, 0xffffffff, 'ext');
  const out = Buffer.alloc(11);
  out[0] = 1;
  out.writeUInt16LE(command, 1);
  out.writeUInt32LE(fct, 3);
  out.writeUInt32LE(ext, 7);
  return out;
}

/** Parse a PREPARE_BUFFER request (simulator side). */
export function decodePrepareBufferRequest(bytes: Uint8Array): { command: number; fct: number; ext: number } {
  const buf = asBuffer(bytes);
  requireBytes(buf, 0, 11, 'PREPARE_BUFFER request');
  return { command: buf.readUInt16LE(1), fct: buf.readUInt32LE(3), ext: buf.readUInt32LE(7) };
}

export function decodePrepareBufferReply(packet: ZkPacket): ZkPrepareBufferReply {
  if (packet.command === CMD.DATA) return { kind: 'inline', data: packet.data };
  if (packet.command !== CMD.ACK_OK) return { kind: 'rejected', replyCode: packet.command };
  requireBytes(packet.data, 1, 4, 'PREPARE_BUFFER reply size');
  return { kind: 'buffered', totalSize: packet.data.readUInt32LE(1) };
}

/** ACK_OK data announcing a buffered data set, laid out as ex_data.md "data stat". */
export function encodePrepareBufferReply(totalSize: number): Buffer {
  requireUint(totalSize, 0xffffffff, 'totalSize');
  const out = Buffer.alloc(13);
  out.writeUInt32LE(totalSize, 1);
  out.writeUInt32LE(totalSize, 5);
  return out;
}

/** Split `totalSize` into READ_BUFFER requests of at most `maxChunk` bytes, in order. */
export function planChunks(totalSize: number, maxChunk: number = MAX_CHUNK_TCP): ZkChunk[] {
  requireUint(totalSize, 0xffffffff, 'totalSize');
  requireUint(maxChunk, 0xffffffff, 'maxChunk');
  if (maxChunk === 0) throw new ZkProtocolError('maxChunk must be positive', 'maxChunk');
  const chunks: ZkChunk[] = [];
  for (let offset = 0; offset < totalSize; offset += maxChunk) {
    chunks.push({ offset, size: Math.min(maxChunk, totalSize - offset) });
  }
  return chunks;
}

export function encodeReadBufferRequest(chunk: ZkChunk): Buffer {
  requireUint(chunk.offset, 0x7fffffff, 'offset'); // pyzk packs these as signed i32
  requireUint(chunk.size, 0x7fffffff, 'size');
  const out = Buffer.alloc(8);
  out.writeUInt32LE(chunk.offset, 0);
  out.writeUInt32LE(chunk.size, 4);
  return out;
}

export function decodeReadBufferRequest(bytes: Uint8Array): ZkChunk {
  const buf = asBuffer(bytes);
  requireBytes(buf, 0, 8, 'READ_BUFFER request');
  return { offset: buf.readUInt32LE(0), size: buf.readUInt32LE(4) };
}

/** Size announced by a PREPARE_DATA packet (data u32 at byte 0). */
export function decodePrepareData(packet: ZkPacket): number {
  if (packet.command !== CMD.PREPARE_DATA) {
    throw new ZkProtocolError(`expected PREPARE_DATA (${CMD.PREPARE_DATA}), got command ${packet.command}`, 'byte 0');
  }
  requireBytes(packet.data, 0, 4, 'PREPARE_DATA size');
  return packet.data.readUInt32LE(0);
}

/** PREPARE_DATA payload: size u32 | u32 seen as 0x10 in ex_data.md (kept configurable). */
export function encodePrepareData(size: number, second = 0x10): Buffer {
  requireUint(size, 0xffffffff, 'size');
  requireUint(second, 0xffffffff, 'second');
  const out = Buffer.alloc(8);
  out.writeUInt32LE(size, 0);
  out.writeUInt32LE(second, 4);
  return out;
}

/**
 * Collects chunk data in order and refuses to hand back anything but exactly
 * `totalSize` bytes: a dropped DATA packet must surface as an error, never as a
 * silently shorter attendance log.
 */
export class ZkBulkAssembler {
  readonly plan: readonly ZkChunk[];
  private readonly parts: Buffer[] = [];
  private receivedBytes = 0;

  constructor(
    readonly totalSize: number,
    maxChunk: number = MAX_CHUNK_TCP,
  ) {
    this.plan = planChunks(totalSize, maxChunk);
  }

  get received(): number {
    return this.receivedBytes;
  }

  get isComplete(): boolean {
    return this.receivedBytes === this.totalSize;
  }

  /** The chunk the next bytes belong to (request it if nothing is in flight). */
  currentChunk(): ZkChunk | undefined {
    return this.plan.find((c) => this.receivedBytes < c.offset + c.size);
  }

  /** Append data of one DATA packet. */
  push(data: Uint8Array): void {
    const room = this.totalSize - this.receivedBytes;
    if (data.length > room) {
      throw new ZkProtocolError(
        `received ${data.length} bytes with only ${room} of ${this.totalSize} outstanding`,
        `byte ${this.receivedBytes}`,
      );
    }
    this.parts.push(Buffer.from(data));
    this.receivedBytes += data.length;
  }

  /** The reassembled data set; throws unless every byte arrived. */
  finish(): Buffer {
    if (!this.isComplete) {
      throw new ZkProtocolError(`bulk read incomplete: ${this.receivedBytes} of ${this.totalSize} bytes`, `byte ${this.receivedBytes}`);
    }
    return Buffer.concat(this.parts, this.totalSize);
  }
}

/** One-shot form of ZkBulkAssembler for callers that already hold every part. */
export function reassemble(totalSize: number, parts: readonly Uint8Array[]): Buffer {
  const asm = new ZkBulkAssembler(totalSize, Math.max(1, totalSize));
  for (const p of parts) asm.push(p);
  return asm.finish();
}
