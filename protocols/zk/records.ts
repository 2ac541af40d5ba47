/**
 * Attendance log (ATTLOG_RRQ data) and GET_FREE_SIZES reply.
 *
 * The attendance data set starts with a LE u32 total size of the records that
 * follow; the record size is that total divided by the record count reported
 * by GET_FREE_SIZES [pyzk base.py get_attendance]. Record layouts (LE):
 *
 *  8 bytes  [pyzk 'HB4sB']:    userSn u16 | verify u8 | time u32 | status u8
 *  16 bytes [pyzk '<I4sBB2sI']: userId u32 | time u32 | verify u8 | status u8 | 2 reserved | workcode u32
 *  40 bytes [zk-protocol sections/data-record.md; pyzk '<H24sB4sB8s']:
 *           userSn u16 | userId 24 bytes NUL-padded | verify u8 @26 | time u32 @27 |
 *           status u8 @31 | 8 bytes "00 00 00 00 FF 00 00 00" @32
 *  49 bytes the 40-byte layout followed by 9 more bytes (SpeedFace-class firmware,
 *           pyzk PR #166/#167: parse 40, step by 49); the extra bytes are not documented.
 *
 * Naming: pyzk calls the verify-type byte "status" and the punch state "punch";
 * here `verify` is how the user proved identity (finger, face, card...) and
 * `status` is the punch state (check-in, check-out...), as in data-record.md.
 */
import { ZkProtocolError, asBuffer, requireBytes, requireUint } from './errors.js';
import type { AttRecordSize } from './constants.js';
import { ATT_RECORD_SIZES } from './constants.js';
import type { NaiveDateTime } from './time.js';
import { readZkTime, writeZkTime } from './time.js';

export interface ZkAttendanceRecord {
  /** Device-internal user serial (8/40/49-byte layouts). */
  readonly userSn?: number;
  /** The PIN shown on the terminal. For the 8-byte layout this is the serial as text. */
  readonly userId: string;
  readonly deviceTime: NaiveDateTime;
  /** Punch state (check-in/out, break, overtime). */
  readonly status: number;
  /** Verify type (password, fingerprint, card, face...). */
  readonly verify: number;
  /** Work code (16-byte layout only). */
  readonly workcode?: number;
}

export interface ZkAttendanceLog {
  /** Undefined only for an empty log whose layout could not be told. */
  readonly recordSize: AttRecordSize | undefined;
  /** The size prefix as sent by the device. */
  readonly totalSize: number;
  readonly records: ZkAttendanceRecord[];
  /** Bytes after `totalSize` that belong to no record (tolerated, reported). */
  readonly trailingBytes: number;
}

/** How to split the log: the record count from GET_FREE_SIZES, or a known record size. */
export type AttLogLayout = { readonly recordCount: number } | { readonly recordSize: AttRecordSize };

const USER_ID_FIELD = 24;
const RECORD40_TAIL = Uint8Array.of(0, 0, 0, 0, 0xff, 0, 0, 0); // data-record.md "Fixed" bytes @32

function isRecordSize(n: number): n is AttRecordSize {
  return (ATT_RECORD_SIZES as readonly number[]).includes(n);
}

/** Record size from the size prefix and the device's record count [pyzk: total_size / records]. */
export function detectRecordSize(totalSize: number, recordCount: number): AttRecordSize | undefined {
  requireUint(recordCount, 0xffffffff, 'recordCount');
  if (recordCount === 0) {
    if (totalSize === 0) return undefined;
    throw new ZkProtocolError(`log holds ${totalSize} bytes but the device reported 0 records`, 'byte 0');
  }
  if (totalSize % recordCount !== 0) {
    throw new ZkProtocolError(
      `log size ${totalSize} is not a multiple of the record count ${recordCount} (was the device enabled during the read?)`,
      'byte 0',
    );
  }
  const size = totalSize / recordCount;
  if (!isRecordSize(size)) {
    throw new ZkProtocolError(`unsupported attendance record size ${size} (known: ${ATT_RECORD_SIZES.join(', ')})`, 'byte 0');
  }
  return size;
}

/** NUL-terminated PIN; latin1 so every byte maps to one char and encoding round-trips. */
function readPin(buf: Buffer, offset: number): string {
  const field = buf.subarray(offset, offset + USER_ID_FIELD);
  const end = field.indexOf(0);
  return field.subarray(0, end < 0 ? field.length : end).toString('latin1');
}

function writePin(buf: Buffer, offset: number, userId: string): void {
  if (userId.length > USER_ID_FIELD || !/^[\u0001-\u00ff]*$/.test(userId)) {
    throw new ZkProtocolError(`userId must be at most ${USER_ID_FIELD} latin1 chars without NUL: ${JSON.stringify(userId)}`, 'userId');
  }
  buf.write(userId, offset, 'latin1');
}

function numericPin(userId: string, max: number): number {
  const n = /^\d{1,10}$/.test(userId) ? Number(userId) : NaN;
  if (!(n <= max) || String(n) !== userId) {
    throw new ZkProtocolError(`this layout stores userId as a number 0..${max}, got ${JSON.stringify(userId)}`, 'userId');
  }
  return n;
}

/** Decode one record of `size` bytes at `offset` of `bytes`. */
export function decodeAttendanceRecord(bytes: Uint8Array, offset: number, size: AttRecordSize): ZkAttendanceRecord {
  const buf = asBuffer(bytes);
  if (!isRecordSize(size)) throw new ZkProtocolError(`unsupported record size ${String(size)}`, 'recordSize');
  requireBytes(buf, offset, size, `${size}-byte attendance record`);
  switch (size) {
    case 8: {
      const userSn = buf.readUInt16LE(offset);
      return { userSn, userId: String(userSn), verify: buf[offset + 2] ?? 0, deviceTime: readZkTime(buf, offset + 3), status: buf[offset + 7] ?? 0 };
    }
    case 16:
      return {
        userId: String(buf.readUInt32LE(offset)),
        deviceTime: readZkTime(buf, offset + 4),
        verify: buf[offset + 8] ?? 0,
        status: buf[offset + 9] ?? 0,
        workcode: buf.readUInt32LE(offset + 12),
      };
    case 40:
    case 49:
      return {
        userSn: buf.readUInt16LE(offset),
        userId: readPin(buf, offset + 2),
        verify: buf[offset + 26] ?? 0,
        deviceTime: readZkTime(buf, offset + 27),
        status: buf[offset + 31] ?? 0,
      };
  }
}

/** Encode one record. Fields the layout cannot carry are rejected rather than dropped. */
export function encodeAttendanceRecord(rec: ZkAttendanceRecord, size: AttRecordSize): Buffer {
  if (!isRecordSize(size)) throw new ZkProtocolError(`unsupported record size ${String(size)}`, 'recordSize');
  requireUint(rec.status, 0xff, 'status');
  requireUint(rec.verify, 0xff, 'verify');
  const out = Buffer.alloc(size);
  if (size === 8) {
    if (rec.userSn === undefined) throw new ZkProtocolError('the 8-byte layout needs userSn', 'userSn');
    requireUint(rec.userSn, 0xffff, 'userSn');
    if (rec.userId !== String(rec.userSn)) throw new ZkProtocolError('the 8-byte layout has no PIN; userId must equal userSn', 'userId');
    if (rec.workcode !== undefined) throw new ZkProtocolError('the 8-byte layout has no workcode', 'workcode');
    out.writeUInt16LE(rec.userSn, 0);
    out[2] = rec.verify;
    writeZkTime(out, 3, rec.deviceTime);
    out[7] = rec.status;
  } else if (size === 16) {
    if (rec.userSn !== undefined) throw new ZkProtocolError('the 16-byte layout has no userSn', 'userSn');
    out.writeUInt32LE(numericPin(rec.userId, 0xffffffff), 0);
    writeZkTime(out, 4, rec.deviceTime);
    out[8] = rec.verify;
    out[9] = rec.status;
    const workcode = rec.workcode ?? 0;
    requireUint(workcode, 0xffffffff, 'workcode');
    out.writeUInt32LE(workcode, 12);
  } else {
    if (rec.workcode !== undefined) throw new ZkProtocolError(`the ${size}-byte layout has no workcode`, 'workcode');
    const userSn = rec.userSn ?? 0;
    requireUint(userSn, 0xffff, 'userSn');
    out.writeUInt16LE(userSn, 0);
    writePin(out, 2, rec.userId);
    out[26] = rec.verify;
    writeZkTime(out, 27, rec.deviceTime);
    out[31] = rec.status;
    out.set(RECORD40_TAIL, 32);
  }
  return out;
}

/** Build a whole ATTLOG data set: u32 total size + records (what a terminal sends). */
export function encodeAttendanceLog(records: readonly ZkAttendanceRecord[], size: AttRecordSize): Buffer {
  const body = records.map((r, i) => {
    try {
      return encodeAttendanceRecord(r, size);
    } catch (err) {
      throw err instanceof ZkProtocolError ? new ZkProtocolError(`record ${i}: ${err.detail}`, err.where) : err;
    }
  });
  const head = Buffer.alloc(4);
  head.writeUInt32LE(size * records.length, 0);
  return Buffer.concat([head, ...body]);
}

/** Decode a reassembled ATTLOG data set (starting at its u32 size prefix). */
export function decodeAttendanceLog(bytes: Uint8Array, layout: AttLogLayout): ZkAttendanceLog {
  const buf = asBuffer(bytes);
  requireBytes(buf, 0, 4, 'attendance log size prefix');
  const totalSize = buf.readUInt32LE(0);
  const available = buf.length - 4;
  if (totalSize > available) {
    throw new ZkProtocolError(`attendance log declares ${totalSize} bytes of records but only ${available} follow`, 'byte 0');
  }
  let recordSize: AttRecordSize | undefined;
  if ('recordSize' in layout) {
    recordSize = layout.recordSize;
    if (!isRecordSize(recordSize)) throw new ZkProtocolError(`unsupported record size ${String(recordSize)}`, 'recordSize');
    if (totalSize % recordSize !== 0) {
      throw new ZkProtocolError(`log size ${totalSize} is not a multiple of record size ${recordSize}`, 'byte 0');
    }
  } else {
    recordSize = detectRecordSize(totalSize, layout.recordCount);
  }
  const records: ZkAttendanceRecord[] = [];
  if (recordSize !== undefined) {
    for (let off = 4; off < 4 + totalSize; off += recordSize) {
      try {
        records.push(decodeAttendanceRecord(buf, off, recordSize));
      } catch (err) {
        throw err instanceof ZkProtocolError ? new ZkProtocolError(`record ${(off - 4) / recordSize}: ${err.detail}`, err.where) : err;
      }
    }
  }
  return { recordSize, totalSize, records, trailingBytes: available - totalSize };
}

/**
 * GET_FREE_SIZES reply data: LE i32 counters [zk-protocol sections/terminal.md
 * "Get Device Status" offsets; pyzk read_sizes unpacks '20i' then 3 more].
 * pyzk names offset 48 "cards"; terminal.md calls it the admin count - kept as
 * `admins` with that caveat. Offsets 0..15 and the gaps are reserved.
 */
export interface ZkFreeSizes {
  readonly users: number; // @16
  readonly fingers: number; // @24
  readonly records: number; // @32 attendance records
  readonly oplogs: number; // @40
  readonly admins: number; // @48 (pyzk: "cards")
  readonly passwords: number; // @52
  readonly fingersCapacity: number; // @56
  readonly usersCapacity: number; // @60
  readonly recordsCapacity: number; // @64
  readonly fingersAvailable: number; // @68
  readonly usersAvailable: number; // @72
  readonly recordsAvailable: number; // @76
  readonly faces?: number; // @80, only in 92-byte replies
  readonly facesCapacity?: number; // @88
}

const FREE_SIZE_FIELDS: ReadonlyArray<readonly [Exclude<keyof ZkFreeSizes, 'faces' | 'facesCapacity'>, number]> = [
  ['users', 16], ['fingers', 24], ['records', 32], ['oplogs', 40], ['admins', 48], ['passwords', 52],
  ['fingersCapacity', 56], ['usersCapacity', 60], ['recordsCapacity', 64],
  ['fingersAvailable', 68], ['usersAvailable', 72], ['recordsAvailable', 76],
];

export function decodeFreeSizes(bytes: Uint8Array): ZkFreeSizes {
  const buf = asBuffer(bytes);
  requireBytes(buf, 0, 80, 'GET_FREE_SIZES reply');
  const i32 = (off: number): number => buf.readInt32LE(off);
  const base: ZkFreeSizes = {
    users: i32(16),
    fingers: i32(24),
    records: i32(32),
    oplogs: i32(40),
    admins: i32(48),
    passwords: i32(52),
    fingersCapacity: i32(56),
    usersCapacity: i32(60),
    recordsCapacity: i32(64),
    fingersAvailable: i32(68),
    usersAvailable: i32(72),
    recordsAvailable: i32(76),
  };
  // pyzk reads the face counters only when 12 more bytes follow the first 80.
  return buf.length >= 92 ? { ...base, faces: i32(80), facesCapacity: i32(88) } : base;
}

/** 80 bytes, or 92 when face counters are given (what the simulator sends). */
export function encodeFreeSizes(sizes: ZkFreeSizes): Buffer {
  const withFaces = sizes.faces !== undefined || sizes.facesCapacity !== undefined;
  const out = Buffer.alloc(withFaces ? 92 : 80);
  const put = (name: string, value: number, off: number): void => {
    if (!Number.isInteger(value) || value < -0x80000000 || value > 0x7fffffff) {
      throw new ZkProtocolError(`${name} must be an i32, got ${String(value)}`, name);
    }
    out.writeInt32LE(value, off);
  };
  for (const [name, off] of FREE_SIZE_FIELDS) put(name, sizes[name], off);
  if (withFaces) {
    put('faces', sizes.faces ?? 0, 80);
    put('facesCapacity', sizes.facesCapacity ?? 0, 88);
  }
  return out;
}
