import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import {
  CMD,
  FCT,
  MAX_CHUNK_TCP,
  MAX_CHUNK_UDP,
  ZkBulkAssembler,
  ZkProtocolError,
  decodePacket,
  decodePrepareBufferReply,
  decodePrepareBufferRequest,
  decodePrepareData,
  decodeReadBufferRequest,
  encodePacket,
  encodePrepareBufferReply,
  encodePrepareBufferRequest,
  encodePrepareData,
  encodeReadBufferRequest,
  makeCommKey,
  planChunks,
  reassemble,
  verifyCommKey,
} from '../../protocols/zk/index.js';
import { hex, onlyErrorsOf } from '../helpers/codec.js';



const reply = (command: number, data: Uint8Array = new Uint8Array(0)) =>
  decodePacket(encodePacket({ command, sessionId: 0x1234, replyId: 5, data }));

describe('buffered read requests', () => {
  it('PREPARE_BUFFER for ATTLOG_RRQ matches zk-protocol sections/data-record.md: 010d000000000000000000', () => {
    expect(encodePrepareBufferRequest(CMD.ATTLOG_RRQ)).toEqual(hex('010d000000000000000000'));
    expect(encodePrepareBufferRequest(CMD.USERTEMP_RRQ, FCT.USER)).toEqual(hex('01 0900 05000000 00000000'));
    expect(decodePrepareBufferRequest(hex('010d000000000000000000'))).toEqual({ command: 13, fct: 0, ext: 0 });
  });

  it('decodes the three kinds of PREPARE_BUFFER reply', () => {
    expect(decodePrepareBufferReply(reply(CMD.ACK_OK, encodePrepareBufferReply(100_000)))).toEqual({ kind: 'buffered', totalSize: 100_000 });
    // ex_data.md "data stat": 00 | size | size | unknown
    expect(decodePrepareBufferReply(reply(CMD.ACK_OK, hex('00 a0860100 a0860100 12345678')))).toEqual({ kind: 'buffered', totalSize: 100_000 });
    expect(decodePrepareBufferReply(reply(CMD.DATA, hex('0400000001020304')))).toMatchObject({ kind: 'inline' });
    expect(decodePrepareBufferReply(reply(CMD.ACK_ERROR))).toEqual({ kind: 'rejected', replyCode: CMD.ACK_ERROR });
    expect(() => decodePrepareBufferReply(reply(CMD.ACK_OK, hex('00a086')))).toThrowError(/byte 1/);
  });

  it('plans chunks like pyzk read_with_buffer (full chunks, then the remainder)', () => {
    expect(planChunks(0)).toEqual([]);
    expect(planChunks(100_000, MAX_CHUNK_TCP)).toEqual([
      { offset: 0, size: 0xffc0 },
      { offset: 0xffc0, size: 100_000 - 0xffc0 },
    ]);
    expect(planChunks(2 * MAX_CHUNK_UDP, MAX_CHUNK_UDP)).toHaveLength(2);
    expect(encodeReadBufferRequest({ offset: 0xffc0, size: 0x100 })).toEqual(hex('c0ff0000 00010000'));
    expect(decodeReadBufferRequest(hex('c0ff0000 00010000'))).toEqual({ offset: 0xffc0, size: 0x100 });
    expect(() => planChunks(10, 0)).toThrowError(ZkProtocolError);
  });

  it('PREPARE_DATA carries the size at byte 0 (js_zklib #53 capture: 7c000000 f0030000 -> 124)', () => {
    expect(decodePrepareData(reply(CMD.PREPARE_DATA, hex('7c000000f0030000')))).toBe(124);
    expect(decodePrepareData(reply(CMD.PREPARE_DATA, encodePrepareData(77)))).toBe(77);
    expect(() => decodePrepareData(reply(CMD.DATA, hex('7c000000')))).toThrowError(/expected PREPARE_DATA/);
  });
});

describe('reassembly', () => {
  it('returns exactly the announced bytes and fails loudly when short or long', () => {
    const asm = new ZkBulkAssembler(10, 4);
    expect(asm.plan).toEqual([{ offset: 0, size: 4 }, { offset: 4, size: 4 }, { offset: 8, size: 2 }]);
    asm.push(hex('00010203'));
    expect(asm.currentChunk()).toEqual({ offset: 4, size: 4 });
    asm.push(hex('0405'));
    expect(asm.currentChunk()).toEqual({ offset: 4, size: 4 }); // chunk 2 arrived in two DATA packets
    expect(() => asm.finish()).toThrowError(/incomplete: 6 of 10 bytes/);
    expect(() => asm.push(hex('0606060606'))).toThrowError(/only 4 of 10 outstanding/);
    asm.push(hex('06070809'));
    expect(asm.isComplete).toBe(true);
    expect(asm.finish()).toEqual(hex('00010203040506070809'));
    expect(() => reassemble(5, [hex('0102')])).toThrowError(ZkProtocolError);
  });

  it('property: any split of the data reassembles to the original', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), fc.integer({ min: 1, max: 64 }), fc.array(fc.nat(50)), (data, maxChunk, cuts) => {
        const asm = new ZkBulkAssembler(data.length, maxChunk);
        expect(asm.plan.reduce((n, c) => n + c.size, 0)).toBe(data.length);
        expect(asm.plan.every((c) => c.size <= maxChunk)).toBe(true);
        let pos = 0;
        for (const c of cuts) {
          const end = Math.min(data.length, pos + c);
          asm.push(data.subarray(pos, end));
          pos = end;
        }
        asm.push(data.subarray(pos));
        expect(new Uint8Array(asm.finish())).toEqual(data);
      }),
      { numRuns: 500 },
    );
  });

  it('fuzz: decoders only raise ZkProtocolError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 20 }), fc.integer({ min: 0, max: 0xffff }), (b, command) => {
        onlyErrorsOf(ZkProtocolError, () => decodePrepareBufferReply(reply(command, b)));
        onlyErrorsOf(ZkProtocolError, () => decodePrepareData(reply(command, b)));
        onlyErrorsOf(ZkProtocolError, () => decodePrepareBufferRequest(b));
        onlyErrorsOf(ZkProtocolError, () => decodeReadBufferRequest(b));
        onlyErrorsOf(ZkProtocolError, () => reassemble(b.length + (command % 3) - 1, [b]));
        onlyErrorsOf(ZkProtocolError, () => verifyCommKey(b, command, command));
      }),
      { numRuns: 3000 },
    );
  });
});

describe('CMD_AUTH comm key (pyzk make_commkey description)', () => {
  it('matches public vectors computed with pyzk', () => {
    // key 0, session 619, ticks 50 -> [97, 125, 50, 123]: unit test of a Rust port of pyzk
    // (hit for "test_make_commkey" in the code index); checked by hand:
    // 619 = 6b 02 00 00; ^ "ZKSO" = 31 49 53 4f; swap halves = 53 4f 31 49; ^ 0x32 (byte 2 = 0x32) = 61 7d 32 7b
    expect(makeCommKey(0, 619)).toEqual(Buffer.from([97, 125, 50, 123]));
    // "Captured from pyzk 0.9's make_commkey(key, 4242)" in a public test suite:
    expect(makeCommKey(0, 4242)).toEqual(hex('617d3269'));
    expect(makeCommKey(123456, 4242)).toEqual(hex('267f32e9'));
  });

  it('verifies with the ticks byte carried in clear', () => {
    fc.assert(
      fc.property(fc.nat(999_999), fc.nat(0xffff), fc.nat(0xff), (key, session, ticks) => {
        const data = makeCommKey(key, session, ticks);
        expect(verifyCommKey(data, key, session)).toBe(true);
        expect(verifyCommKey(data, key + 1, session)).toBe(false);
      }),
      { numRuns: 1000 },
    );
    expect(() => makeCommKey(-1, 0)).toThrowError(ZkProtocolError);
  });
});
