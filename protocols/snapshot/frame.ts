import { createHash } from 'node:crypto';
import { z } from 'zod';
import { ProtocolError } from '../errors.js';

/**
 * The binary snapshot message on `{root}/{gw}/snapshot/{camera}`: no base64, a small
 * self-describing header, then the JPEG.
 *
 *   "PSNP" | version u8 (1) | header length u16 BE | header (UTF-8 JSON) | JPEG
 *
 * The header says which camera, when the frame was captured, its size and kind and
 * its sha256, so the central can verify and file it without trusting the topic alone.
 */
export const SNAPSHOT_MAGIC = Buffer.from('PSNP', 'ascii');
export const SNAPSHOT_VERSION = 1;
const PREFIX = 7;
const MAX_HEADER = 4096;
/** Above this a message is refused: a wall thumbnail is 10-25 KB, a full frame < 2 MB. */
export const MAX_SNAPSHOT_BYTES = 4 * 1024 * 1024;

export const SnapshotHeader = z.strictObject({
  camera: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/),
  capturedAt: z.iso.datetime({ offset: false }).describe('UTC instant the frame was grabbed at the gateway'),
  kind: z.enum(['thumb', 'full']),
  bytes: z.number().int().min(1).max(MAX_SNAPSHOT_BYTES),
  width: z.number().int().min(1).max(16384),
  height: z.number().int().min(1).max(16384),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  source: z.enum(['snapshot-uri', 'rtsp']).describe('how the frame was obtained'),
});
export type SnapshotHeader = z.infer<typeof SnapshotHeader>;

export class SnapshotFrameError extends ProtocolError {
  constructor(message: string, where: string) {
    super(message, where, 'snapshot');
  }
}

export function sha256Hex(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

export function encodeSnapshot(header: Omit<SnapshotHeader, 'bytes' | 'sha256'>, jpeg: Buffer): Buffer {
  const full = SnapshotHeader.parse({ ...header, bytes: jpeg.length, sha256: sha256Hex(jpeg) });
  const json = Buffer.from(JSON.stringify(full), 'utf8');
  const prefix = Buffer.alloc(PREFIX);
  SNAPSHOT_MAGIC.copy(prefix, 0);
  prefix.writeUInt8(SNAPSHOT_VERSION, 4);
  prefix.writeUInt16BE(json.length, 5);
  return Buffer.concat([prefix, json, jpeg]);
}

export interface DecodedSnapshot {
  header: SnapshotHeader;
  jpeg: Buffer;
}

/** Decodes and verifies (size, sha256, JPEG start marker) a snapshot message. */
export function decodeSnapshot(message: Uint8Array): DecodedSnapshot {
  const buf = Buffer.from(message.buffer, message.byteOffset, message.byteLength);
  if (buf.length < PREFIX) throw new SnapshotFrameError(`${buf.length} bytes is shorter than the ${PREFIX}-byte prefix`, 'byte 0');
  if (!buf.subarray(0, 4).equals(SNAPSHOT_MAGIC)) throw new SnapshotFrameError(`expected magic "PSNP", got ${buf.subarray(0, 4).toString('hex')}`, 'byte 0');
  if (buf[4] !== SNAPSHOT_VERSION) throw new SnapshotFrameError(`unknown version ${buf[4]}`, 'byte 4');
  const headerLength = buf.readUInt16BE(5);
  if (headerLength === 0 || headerLength > MAX_HEADER) throw new SnapshotFrameError(`header length ${headerLength} outside 1..${MAX_HEADER}`, 'byte 5');
  if (buf.length < PREFIX + headerLength) throw new SnapshotFrameError(`header of ${headerLength} bytes truncated at ${buf.length - PREFIX}`, `byte ${PREFIX}`);
  let raw: unknown;
  try {
    raw = JSON.parse(buf.subarray(PREFIX, PREFIX + headerLength).toString('utf8'));
  } catch (err) {
    throw new SnapshotFrameError(`header is not JSON (${(err as Error).message})`, `byte ${PREFIX}`);
  }
  const parsed = SnapshotHeader.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new SnapshotFrameError(`header field "${issue?.path.join('.') ?? ''}": ${issue?.message ?? 'invalid'}`, `byte ${PREFIX}`);
  }
  const header = parsed.data;
  const jpeg = buf.subarray(PREFIX + headerLength);
  const where = `byte ${PREFIX + headerLength}`;
  if (jpeg.length !== header.bytes) throw new SnapshotFrameError(`image is ${jpeg.length} bytes, header says ${header.bytes}`, where);
  if (jpeg[0] !== 0xff || jpeg[1] !== 0xd8) throw new SnapshotFrameError('image does not start with the JPEG SOI marker ff d8', where);
  if (sha256Hex(jpeg) !== header.sha256) throw new SnapshotFrameError('image sha256 does not match the header', where);
  return { header, jpeg: Buffer.from(jpeg) };
}
