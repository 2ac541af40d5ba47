import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import {
  ZkProtocolError,
  compareNaive,
  decodeGetTimeReply,
  decodeTimeHex6,
  decodeZkTime,
  encodeSetTimeRequest,
  encodeTimeHex6,
  encodeZkTime,
  formatNaive,
  type NaiveDateTime,
} from '../../protocols/zk/index.js';
import { naiveTimeArb, onlyErrorsOf } from '../helpers/codec.js';


const naive = (s: string): NaiveDateTime => {
  const m = /^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)$/.exec(s);
  if (!m) throw new Error(s);
  const [, y, mo, d, h, mi, se] = m.map(Number);
  return { year: y ?? 0, month: mo ?? 0, day: d ?? 0, hour: h ?? 0, minute: mi ?? 0, second: se ?? 0 };
};

const naiveArb = naiveTimeArb(2000, 2099);

describe('encoded u32 time (zk-protocol sections/terminal.md formula)', () => {
  it('epoch and hand-computed values', () => {
    expect(encodeZkTime(naive('2000-01-01 00:00:00'))).toBe(0);
    // ((18*12 + 10)*31 + 3)*86400 + 21*3600 + 58*60 — terminal.md formula by hand
    expect(encodeZkTime(naive('2018-11-04 21:58:00'))).toBe(((18 * 12 + 10) * 31 + 3) * 86400 + 21 * 3600 + 58 * 60);
    expect(formatNaive(decodeZkTime(605_656_680))).toBe('2018-11-04 21:58:00');
  });

  it('value from a captured 16-byte record (bulentv/js_zklib issue #50): 0x234f15ec', () => {
    // First record of the dump is user 21 at 0x234f15ec; the thread is from August 2018.
    expect(formatNaive(decodeZkTime(0x234f15ec))).toBe('2018-06-06 07:31:56');
  });

  it('GET_TIME reply / SET_TIME request carry the LE u32', () => {
    const t = naive('2024-02-29 23:59:59');
    const data = encodeSetTimeRequest(t);
    expect(data.length).toBe(4);
    expect(data.readUInt32LE(0)).toBe(encodeZkTime(t));
    expect(decodeGetTimeReply(data)).toEqual(t);
  });

  it('rejects impossible dates with the field or byte named', () => {
    expect(() => encodeZkTime(naive('2023-02-29 00:00:00'))).toThrowError(/day 29 does not exist/);
    expect(() => encodeZkTime(naive('2100-01-01 00:00:00'))).toThrowError(ZkProtocolError);
    expect(() => encodeZkTime({ ...naive('2020-01-01 00:00:00'), hour: 24 })).toThrowError(/hour 24/);
    // 2019-02-31 is expressible in the 31-days-a-month encoding but is not a date
    const feb31 = ((19 * 12 + 1) * 31 + 30) * 86400;
    expect(() => decodeZkTime(feb31)).toThrowError(ZkProtocolError);
    try {
      decodeGetTimeReply(Uint8Array.of(1, 2));
    } catch (e) {
      expect(e).toBeInstanceOf(ZkProtocolError);
      expect((e as ZkProtocolError).where).toBe('byte 0');
    }
  });

  it('round-trips every valid date-time 2000-2099 and preserves order', () => {
    fc.assert(
      fc.property(naiveArb, naiveArb, (a, b) => {
        const ea = encodeZkTime(a);
        expect(decodeZkTime(ea)).toEqual(a);
        expect(Math.sign(ea - encodeZkTime(b))).toBe(Math.sign(compareNaive(a, b)));
      }),
      { numRuns: 2000 },
    );
  });

  it('fuzz: any u32 decodes or throws ZkProtocolError', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), (v) => {
        onlyErrorsOf(ZkProtocolError, () => decodeZkTime(v));
      }),
      { numRuns: 3000 },
    );
    onlyErrorsOf(ZkProtocolError, () => decodeZkTime(-1));
    onlyErrorsOf(ZkProtocolError, () => decodeZkTime(1.5));
  });
});

describe('6-byte live-event time (zk-protocol sections/realtime.md)', () => {
  it('decodes the time of the public 32-byte capture (kurenai-ryu/pyzk issue #8): 12 0b 1d 0c 37 03', () => {
    expect(formatNaive(decodeTimeHex6(Uint8Array.of(0x12, 0x0b, 0x1d, 0x0c, 0x37, 0x03)))).toBe('2018-11-29 12:55:03');
  });

  it('round-trips and rejects bad bytes', () => {
    fc.assert(
      fc.property(naiveArb, (t) => {
        expect(decodeTimeHex6(encodeTimeHex6(t))).toEqual(t);
      }),
      { numRuns: 1000 },
    );
    expect(() => decodeTimeHex6(Uint8Array.of(18, 13, 1, 0, 0, 0))).toThrowError(/month 13/);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 8 }), fc.nat(8), (b, off) => {
        onlyErrorsOf(ZkProtocolError, () => decodeTimeHex6(b, off));
      }),
      { numRuns: 2000 },
    );
  });
});
