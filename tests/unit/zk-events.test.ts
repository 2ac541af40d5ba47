import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import {
  CMD,
  EF,
  LIVE_ATT_LENGTHS,
  ZkProtocolError,
  decodeEventPacket,
  decodeLiveAttendance,
  decodeLiveAttendancePacket,
  decodePacket,
  decodeTcpFrame,
  encodeLiveAttendance,
  encodePacket,
  encodeRegEventRequest,
  encodeTcpFrame,
  eventAckFields,
  eventPacketFields,
  formatNaive,
  type LiveAttLength,
} from '../../protocols/zk/index.js';
import { hex, naiveTimeArb, onlyErrorsOf } from '../helpers/codec.js';



// kurenai-ryu/pyzk issue #8: 32-byte live payload from a ZEM600_TFT ("QF-001", Ver 6.60 Aug 23 2014),
// which the maintainer identified as an attendance for user 1140064.
const CAPTURED_32 = hex('3131343030363400000000000000000000000000000000000f00120b1d0c3703');

describe('live attendance payloads', () => {
  it('decodes the public 32-byte capture', () => {
    const [ev, ...rest] = decodeLiveAttendance(CAPTURED_32);
    expect(rest).toHaveLength(0);
    expect(ev?.userId).toBe('1140064');
    expect(ev?.verify).toBe(15); // face
    expect(ev?.status).toBe(0);
    expect(ev?.layout).toBe(32);
    expect(ev && formatNaive(ev.deviceTime)).toBe('2018-11-29 12:55:03');
    if (ev) expect(encodeLiveAttendance(ev, 32)).toEqual(CAPTURED_32);
  });

  it('decodes it inside a REG_EVENT packet whose session field carries EF_ATTLOG', () => {
    const frame = encodeTcpFrame(eventPacketFields(EF.ATTLOG, CAPTURED_32));
    const packet = decodeTcpFrame(frame);
    expect(packet.command).toBe(CMD.REG_EVENT);
    expect(decodeEventPacket(packet)).toMatchObject({ event: 1 });
    expect(decodeLiveAttendancePacket(packet)?.[0]?.userId).toBe('1140064');
    // other events are not attendance
    expect(decodeLiveAttendancePacket(decodePacket(encodePacket(eventPacketFields(EF.FINGER, Buffer.alloc(0)))))).toBeUndefined();
    expect(() => decodeEventPacket(decodePacket(encodePacket({ command: CMD.ACK_OK, sessionId: 1, replyId: 0 })))).toThrowError(
      /expected REG_EVENT/,
    );
  });

  it('subscription and acknowledgement packets', () => {
    expect(encodeRegEventRequest(EF.ATTLOG)).toEqual(hex('01000000'));
    expect(eventAckFields(0x7d3d)).toEqual({ command: CMD.ACK_OK, sessionId: 0x7d3d, replyId: 0 });
  });

  it('splits back-to-back 52-byte records and rejects unknown lengths', () => {
    const t = { year: 2025, month: 3, day: 4, hour: 5, minute: 6, second: 7 };
    const two = Buffer.concat([
      encodeLiveAttendance({ userId: '7', verify: 1, status: 0, deviceTime: t }, 52),
      encodeLiveAttendance({ userId: '8', verify: 1, status: 1, deviceTime: t }, 52),
    ]);
    expect(decodeLiveAttendance(two).map((e) => e.userId)).toEqual(['7', '8']);
    expect(() => decodeLiveAttendance(two.subarray(0, 60))).toThrowError(ZkProtocolError);
    expect(() => decodeLiveAttendance(Buffer.alloc(33))).toThrowError(/unknown live attendance payload length 33/);
  });

  const timeArb = naiveTimeArb(2000, 2099);

  it('encode/decode round-trips for every firmware layout', () => {
    fc.assert(
      fc.property(fc.constantFrom(...LIVE_ATT_LENGTHS), timeArb, fc.nat(0xffff), fc.stringMatching(/^[0-9A-Z]{1,24}$/), (layout, t, n, pin) => {
        const numeric = layout === 10 || layout === 12 || layout === 14;
        const ev = { userId: numeric ? String(n) : pin, verify: n & 0xff, status: n >> 8, deviceTime: t };
        const bytes = encodeLiveAttendance(ev, layout as LiveAttLength);
        expect(bytes.length).toBe(layout);
        expect(decodeLiveAttendance(bytes)).toEqual([{ ...ev, layout }]);
      }),
      { numRuns: 1000 },
    );
  });

  it('fuzz: random payloads and truncations only raise ZkProtocolError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 110 }), (b) => {
        onlyErrorsOf(ZkProtocolError, () => decodeLiveAttendance(b));
      }),
      { numRuns: 3000 },
    );
    fc.assert(
      fc.property(fc.nat(CAPTURED_32.length - 1), fc.uint8Array({ minLength: 6, maxLength: 6 }), (cut, time) => {
        expect(() => decodeLiveAttendance(CAPTURED_32.subarray(0, cut))).toThrowError(ZkProtocolError);
        const mutated = Buffer.concat([CAPTURED_32.subarray(0, 26), time]);
        onlyErrorsOf(ZkProtocolError, () => decodeLiveAttendance(mutated));
      }),
      { numRuns: 1000 },
    );
  });
});
