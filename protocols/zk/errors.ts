import { ProtocolError } from '../errors.js';

/** Protocol tag every ZK error carries, so logs group them with one key. */
export const ZK_PROTOCOL = 'zk';

/**
 * The only error the ZK codec throws. `where` is a byte offset ("byte 6",
 * "stream byte 1032") or a field name ("month") so a driver log points at the
 * exact spot of a bad capture without re-parsing it.
 */
export class ZkProtocolError extends ProtocolError {
  /** The message without the "zk:" prefix and location suffix, for re-anchoring. */
  readonly detail: string;

  constructor(message: string, where: string) {
    super(message, where, ZK_PROTOCOL);
    this.detail = message;
  }
}

/** View any Uint8Array as a Buffer without copying, so callers may pass either. */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Guard every fixed-offset read: Buffer#readUInt*LE would throw a RangeError on
 * short input, and the contract is that only ZkProtocolError escapes.
 */
export function requireBytes(buf: Uint8Array, offset: number, length: number, what: string): void {
  if (!Number.isInteger(offset) || offset < 0) {
    throw new ZkProtocolError(`${what}: offset must be a non-negative integer, got ${String(offset)}`, 'offset');
  }
  if (offset + length > buf.length) {
    const have = Math.max(0, buf.length - offset);
    throw new ZkProtocolError(`${what} needs ${length} bytes but only ${have} remain`, `byte ${offset}`);
  }
}

/** Validate an integer field before it is written into a fixed-width slot. */
export function requireUint(value: number, max: number, field: string): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new ZkProtocolError(`${field} must be an integer in 0..${max}, got ${String(value)}`, field);
  }
}

/** Hex for error messages; capped so a fuzzed megabyte does not end up in a log line. */
export function hexPreview(bytes: Uint8Array, max = 16): string {
  const b = asBuffer(bytes);
  const shown = b.subarray(0, max).toString('hex').replace(/(..)(?=.)/g, '$1 ');
  return b.length > max ? `${shown} …` : shown;
}

/** Re-anchor a "byte N" location when an inner decoder ran on a sub-slice. */
export function shiftWhere(err: unknown, by: number, prefix: string): unknown {
  if (!(err instanceof ZkProtocolError)) return err;
  const m = /^byte (\d+)$/.exec(err.where);
  if (!m) return err;
  return new ZkProtocolError(err.detail, `${prefix} ${Number(m[1]) + by}`);
}
