import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import {
  ZkProtocolError,
  decodeAttendanceLog,
  decodeAttendanceRecord,
  decodeFreeSizes,
  detectRecordSize,
  encodeAttendanceLog,
  encodeAttendanceRecord,
  encodeFreeSizes,
  formatNaive,
  type AttRecordSize,
  type ZkAttendanceRecord,
  type ZkFreeSizes,
} from '../../protocols/zk/index.js';
import { hex, naiveTimeArb, onlyErrorsOf } from '../helpers/codec.js';



const timeArb = naiveTimeArb(2000, 2099);

const byte = fc.integer({ min: 0, max: 255 });
const pinArb = fc.stringMatching(/^[0-9A-Za-z]{1,24}$/);

/** A record that the given layout can carry, so encode/decode must be lossless. */
function recordArb(size: AttRecordSize): fc.Arbitrary<ZkAttendanceRecord> {
  if (size === 8) {
    return fc.record({ userSn: fc.integer({ min: 0, max: 0xffff }), deviceTime: timeArb, status: byte, verify: byte }).map((r) => ({
      ...r,
      userId: String(r.userSn),
    }));
  }
  if (size === 16) {
    return fc.record({
      userId: fc.integer({ min: 0, max: 0xffffffff }).map(String),
      deviceTime: timeArb,
      status: byte,
      verify: byte,
      workcode: fc.integer({ min: 0, max: 0xffffffff }),
    });
  }
  return fc.record({ userSn: fc.integer({ min: 0, max: 0xffff }), userId: pinArb, deviceTime: timeArb, status: byte, verify: byte });
}

describe('16-byte records captured in bulentv/js_zklib issue #50 (firmware "Ver 6.60 Aug 17 2015")', () => {
  // First four whole records of the posted DATA packet (after its 8-byte header and a 4-byte tail of a previous record).
  const captured = hex(`
    15000000 ec154f23 00000000 00000000
    10000000 95164f23 00000000 00000000
    0b000000 c1194f23 00000000 00000000
    0d000000 521b4f23 00000000 00000000`);

  it('decode to PINs and morning punch times of 2018-06-06', () => {
    const log = decodeAttendanceLog(Buffer.concat([hex('40000000'), captured]), { recordCount: 4 });
    expect(log.recordSize).toBe(16);
    expect(log.records.map((r) => [r.userId, formatNaive(r.deviceTime), r.verify, r.status, r.workcode])).toEqual([
      ['21', '2018-06-06 07:31:56', 0, 0, 0],
      ['16', '2018-06-06 07:34:45', 0, 0, 0],
      ['11', '2018-06-06 07:48:17', 0, 0, 0],
      ['13', '2018-06-06 07:54:58', 0, 0, 0],
    ]);
    // re-encoding gives back the captured bytes
    expect(encodeAttendanceLog(log.records, 16).subarray(4)).toEqual(captured);
  });
});

describe('40-byte layout (zk-protocol sections/data-record.md field table)', () => {
  it('places every field at the documented offset', () => {
    const rec: ZkAttendanceRecord = {
      userSn: 0x0102,
      userId: '1140064',
      deviceTime: { year: 2018, month: 11, day: 29, hour: 12, minute: 55, second: 3 },
      verify: 15,
      status: 1,
    };
    const b = encodeAttendanceRecord(rec, 40);
    expect(b.readUInt16LE(0)).toBe(0x0102);
    expect(b.subarray(2, 11).toString('latin1')).toBe('1140064\0\0');
    expect(b.subarray(11, 26)).toEqual(Buffer.alloc(15));
    expect(b[26]).toBe(15);
    expect(b[31]).toBe(1);
    expect(b.subarray(32, 40)).toEqual(hex('00000000ff000000'));
    expect(decodeAttendanceRecord(b, 0, 40)).toEqual(rec);
    // 49-byte records: same first 40 bytes, stride 49 (pyzk PR #166/#167)
    const log49 = Buffer.concat([hex('62000000'), Buffer.concat([b, Buffer.alloc(9, 0xee)]), Buffer.concat([b, Buffer.alloc(9)])]);
    expect(decodeAttendanceLog(log49, { recordCount: 2 }).records).toEqual([rec, rec]);
  });
});

describe('record size detection and length checks', () => {
  it('divides the size prefix by the record count (pyzk get_attendance)', () => {
    expect(detectRecordSize(120, 3)).toBe(40);
    expect(detectRecordSize(160, 10)).toBe(16);
    expect(detectRecordSize(0, 0)).toBeUndefined();
    expect(() => detectRecordSize(121, 3)).toThrowError(/not a multiple/);
    expect(() => detectRecordSize(36, 3)).toThrowError(/unsupported attendance record size 12/);
  });

  it('a truncated log is an error, not a shorter list', () => {
    const full = encodeAttendanceLog(
      [{ userSn: 1, userId: '1', deviceTime: { year: 2024, month: 1, day: 2, hour: 3, minute: 4, second: 5 }, status: 0, verify: 1 }],
      40,
    );
    expect(() => decodeAttendanceLog(full.subarray(0, 43), { recordCount: 1 })).toThrowError(/declares 40 bytes/);
    const extra = decodeAttendanceLog(Buffer.concat([full, Buffer.alloc(3)]), { recordSize: 40 });
    expect(extra.trailingBytes).toBe(3);
  });

  it('refuses fields a layout cannot carry', () => {
    const t = { year: 2024, month: 1, day: 2, hour: 3, minute: 4, second: 5 };
    expect(() => encodeAttendanceRecord({ userId: 'A1', deviceTime: t, status: 0, verify: 0 }, 16)).toThrowError(ZkProtocolError);
    expect(() => encodeAttendanceRecord({ userId: '5', deviceTime: t, status: 0, verify: 0 }, 8)).toThrowError(/userSn/);
    expect(() => encodeAttendanceRecord({ userId: '5', deviceTime: t, status: 0, verify: 0, workcode: 3 }, 40)).toThrowError(/workcode/);
  });

  it('encode/decode round-trips for every layout', () => {
    for (const size of [8, 16, 40, 49] as const) {
      fc.assert(
        fc.property(fc.array(recordArb(size), { maxLength: 8 }), (recs) => {
          const log = decodeAttendanceLog(encodeAttendanceLog(recs, size), { recordCount: recs.length });
          expect(log.records).toEqual(recs);
          expect(log.trailingBytes).toBe(0);
        }),
        { numRuns: 150 },
      );
    }
  });
});

describe('GET_FREE_SIZES reply (zk-protocol sections/terminal.md offsets, pyzk read_sizes)', () => {
  const sizes: ZkFreeSizes = {
    users: 12, fingers: 20, records: 345, oplogs: 67, admins: 1, passwords: 2,
    fingersCapacity: 3000, usersCapacity: 1000, recordsCapacity: 100000,
    fingersAvailable: 2980, usersAvailable: 988, recordsAvailable: 99655,
  };

  it('reads each counter at its documented offset', () => {
    const b = encodeFreeSizes({ ...sizes, faces: 5, facesCapacity: 400 });
    expect(b.length).toBe(92);
    expect(b.readInt32LE(16)).toBe(12);
    expect(b.readInt32LE(32)).toBe(345);
    expect(b.readInt32LE(64)).toBe(100000);
    expect(b.readInt32LE(88)).toBe(400);
    expect(decodeFreeSizes(b)).toEqual({ ...sizes, faces: 5, facesCapacity: 400 });
    expect(decodeFreeSizes(encodeFreeSizes(sizes))).toEqual(sizes);
    // 112-byte replies (seen in pyzk issue #170) decode the same first 92 bytes
    expect(decodeFreeSizes(Buffer.concat([b, Buffer.alloc(20)])).records).toBe(345);
    expect(() => decodeFreeSizes(b.subarray(0, 79))).toThrowError(ZkProtocolError);
  });
});

describe('fuzz: only ZkProtocolError escapes', () => {
  it('random attendance logs, record counts and layouts', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 120 }),
        fc.integer({ min: -1, max: 12 }),
        fc.constantFrom(8, 16, 40, 49, 12),
        (bytes, count, size) => {
          const b = Buffer.from(bytes);
          if (b.length >= 4 && count % 2 === 0) b.writeUInt32LE(Math.max(0, b.length - 4 - (count % 3)), 0); // plausible prefix
          onlyErrorsOf(ZkProtocolError, () => decodeAttendanceLog(b, { recordCount: count }));
          onlyErrorsOf(ZkProtocolError, () => decodeAttendanceLog(b, { recordSize: size as AttRecordSize }));
          onlyErrorsOf(ZkProtocolError, () => decodeAttendanceRecord(b, count, size as AttRecordSize));
          onlyErrorsOf(ZkProtocolError, () => decodeFreeSizes(b));
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('truncations of valid logs', () => {
    fc.assert(
      fc.property(fc.constantFrom(8, 16, 40, 49), fc.nat(), (size, cut) => {
        const arb = recordArb(size as AttRecordSize);
        const recs = fc.sample(arb, 3);
        const full = encodeAttendanceLog(recs, size as AttRecordSize);
        const short = full.subarray(0, cut % full.length);
        expect(() => decodeAttendanceLog(short, { recordCount: 3 })).toThrowError(ZkProtocolError);
      }),
      { numRuns: 300 },
    );
  });
});
