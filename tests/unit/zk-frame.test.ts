import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import {
  CMD,
  ZkProtocolError,
  ZkTcpDeframer,
  decodePacket,
  decodePrepareData,
  decodeTcpFrame,
  encodePacket,
  encodeTcpFrame,
  nextReplyId,
  packetChecksum,
  wrapTcp,
  zkChecksum,
} from '../../protocols/zk/index.js';
import { hex, onlyErrorsOf } from '../helpers/codec.js';


/** Run `fn`; anything thrown must be a ZkProtocolError. */

describe('zk checksum: adrobinoga/zk-protocol protocol.md test vectors', () => {
  it('vector 1: payload without its checksum field sums to 0x175a', () => {
    // protocol.md "Test Vectors" 1: 0b005a17f38d03005a4b4661636556657273696f6e00, checksum 5a17 removed.
    expect(zkChecksum(hex('0b00f38d03005a4b4661636556657273696f6e00'))).toBe(0x175a);
    const full = hex('0b005a17f38d03005a4b4661636556657273696f6e00');
    expect(packetChecksum(full)).toBe(0x175a);
    const p = decodePacket(full);
    expect(p).toMatchObject({ command: CMD.OPTIONS_RRQ, checksum: 0x175a, sessionId: 0x8df3, replyId: 3 });
    expect(p.data.toString('latin1')).toBe('ZKFaceVersion\0');
  });

  it('vector 2: odd-length packet d007296af38d0a0009 has checksum 0x6a29', () => {
    const full = hex('d007296af38d0a0009');
    expect(packetChecksum(full)).toBe(0x6a29);
    expect(decodePacket(full)).toMatchObject({ command: CMD.ACK_OK, sessionId: 0x8df3, replyId: 10 });
    // re-encoding the same fields reproduces the captured bytes exactly
    expect(encodePacket({ command: 2000, sessionId: 0x8df3, replyId: 10, data: hex('09') })).toEqual(full);
  });
});

describe('captured frames from public issue threads', () => {
  // fananimi/pyzk issue #41 (tcpdump of an AK3750WIFI_TFT terminal, "D2").
  it('pyzk #41: GET_FREE_SIZES request and replies decode with valid checksums', () => {
    const req = decodeTcpFrame(hex('5050827d08000000 32007182 3d7d 1f00'));
    expect(req).toMatchObject({ command: CMD.GET_FREE_SIZES, checksum: 0x8271, sessionId: 0x7d3d, replyId: 0x1f });
    const ack = decodeTcpFrame(hex('5050827d0c000000 d007d37a 3d7d 1f00 00000000'));
    expect(ack).toMatchObject({ command: CMD.ACK_OK, sessionId: 0x7d3d, replyId: 0x1f });
    expect(ack.data).toEqual(hex('00000000'));
    expect(decodeTcpFrame(hex('5050827d08000000 d007ce7a 3d7d 2400'))).toMatchObject({ command: CMD.ACK_OK, replyId: 0x24 });
    // Only the inner part of the MAC reply was visible in the dump.
    const mac = decodePacket(Buffer.concat([hex('d0075d2b3d7d1e00'), Buffer.from('MAC=00:17:61:B0:4C:D6\0', 'latin1')]));
    expect(mac.data.toString('latin1')).toBe('MAC=00:17:61:B0:4C:D6\0');
    // our encoder reproduces the captured request byte for byte
    expect(encodeTcpFrame({ command: 50, sessionId: 0x7d3d, replyId: 0x1f })).toEqual(hex('5050827d08000000320071823d7d1f00'));
  });

  // bulentv/js_zklib issue #53: "RAW TCP Stream" of a ZKTeco K40, one line per TCP segment.
  const k40Segments = [
    '5050827d08000000e80316fc00000100',
    '5050827d08000000d0078e8ca06b0100',
    '5050827d080000000d005094a06b0200',
    '5050827d10000000dc05158aa06b02007c000000f0030000',
    '5050827d84000000dd059426000002007800000040d835802f330100d5dc0100df230100c9010200cb140100d1260200e50901004b4d0200c3fe0000b173020085f100006d99020047e4000029bf020061d90000a3e5020019d10000c70c030001cc00005f2c0300d802000018000000160000000a0000009a19000001340300',
    'f00200004800000000280300',
    '5050827d08000000e9037390a06b0300',
    '5050827d08000000d007b1f77c000200',
    '5050827d08000000d0078c8ca06b0300',
  ].map(hex);

  it('js_zklib #53: the deframer recovers every packet at the real segment boundaries', () => {
    const d = new ZkTcpDeframer();
    const packets = k40Segments.flatMap((seg) => d.push(seg));
    expect(d.bufferedBytes).toBe(0);
    expect(packets.map((p) => p.command)).toEqual([
      CMD.CONNECT, CMD.ACK_OK, CMD.ATTLOG_RRQ, CMD.PREPARE_DATA, CMD.DATA, CMD.EXIT, CMD.ACK_OK, CMD.ACK_OK,
    ]);
    expect(packets[1]?.sessionId).toBe(0x6ba0); // session assigned by the CONNECT reply
    // PREPARE_DATA announces exactly the size of the DATA packet that follows (split over two segments)
    const prep = packets[3];
    const data = packets[4];
    if (!prep || !data) throw new Error('missing packets');
    expect(decodePrepareData(prep)).toBe(124);
    expect(data.data.length).toBe(124);
    expect(data.data.readUInt32LE(0)).toBe(120); // size prefix of the attendance data set
  });

  it('js_zklib #53: same stream fed one byte at a time', () => {
    const d = new ZkTcpDeframer();
    const all = Buffer.concat(k40Segments);
    const packets = [...all].flatMap((b) => d.push(Uint8Array.of(b)));
    expect(packets).toHaveLength(8);
  });
});

describe('frame errors', () => {
  it('rejects a corrupted checksum and names byte 2', () => {
    const bad = hex('d007296bf38d0a0009');
    expect(() => decodePacket(bad)).toThrowError(ZkProtocolError);
    try {
      decodePacket(bad);
    } catch (e) {
      expect((e as ZkProtocolError).where).toBe('byte 2');
    }
    expect(decodePacket(bad, { verifyChecksum: false }).command).toBe(2000);
  });

  it('rejects bad magic, short header and length mismatch with offsets', () => {
    const where = (f: () => unknown): string => {
      try {
        f();
      } catch (e) {
        if (e instanceof ZkProtocolError) return e.where;
        throw e;
      }
      return 'no error';
    };
    expect(where(() => decodeTcpFrame(hex('5050827e08000000e80317fc00000000')))).toBe('byte 3');
    expect(where(() => decodeTcpFrame(hex('5050827d0800')))).toBe('byte 6');
    expect(where(() => decodeTcpFrame(hex('5050827d09000000e80317fc00000000')))).toBe('byte 4');
    expect(where(() => decodeTcpFrame(hex('5050827d08000000e80318fc00000000')))).toBe('byte 10');
    expect(where(() => new ZkTcpDeframer().push(hex('5050827d0400000000000000')))).toBe('stream byte 4');
    expect(where(() => encodePacket({ command: 70000, sessionId: 0, replyId: 0 }))).toBe('command');
  });

  it('deframer clears its buffer after an error', () => {
    const d = new ZkTcpDeframer();
    expect(() => d.push(hex('00112233'))).toThrowError(ZkProtocolError);
    expect(d.bufferedBytes).toBe(0);
    expect(d.push(encodeTcpFrame({ command: 1000, sessionId: 0, replyId: 0 }))).toHaveLength(1);
  });

  it('nextReplyId wraps like pyzk (65534 -> 0)', () => {
    expect(nextReplyId(0)).toBe(1);
    expect(nextReplyId(65533)).toBe(65534);
    expect(nextReplyId(65534)).toBe(0);
  });
});

const packetArb = fc.record({
  command: fc.integer({ min: 0, max: 0xffff }),
  sessionId: fc.integer({ min: 0, max: 0xffff }),
  replyId: fc.integer({ min: 0, max: 0xffff }),
  data: fc.uint8Array({ maxLength: 300 }),
});

describe('properties', () => {
  it('UDP packet encode/decode round-trips', () => {
    fc.assert(
      fc.property(packetArb, (p) => {
        const d = decodePacket(encodePacket(p));
        expect(d).toMatchObject({ command: p.command, sessionId: p.sessionId, replyId: p.replyId });
        expect(new Uint8Array(d.data)).toEqual(p.data);
      }),
      { numRuns: 500 },
    );
  });

  it('TCP frames survive arbitrary chunking through the deframer', () => {
    fc.assert(
      fc.property(fc.array(packetArb, { minLength: 1, maxLength: 6 }), fc.array(fc.nat(40), { maxLength: 30 }), (ps, cuts) => {
        const stream = Buffer.concat(ps.map((p) => encodeTcpFrame(p)));
        const d = new ZkTcpDeframer();
        const got = [];
        let pos = 0;
        for (const c of cuts) {
          got.push(...d.push(stream.subarray(pos, Math.min(stream.length, pos + c))));
          pos = Math.min(stream.length, pos + c);
        }
        got.push(...d.push(stream.subarray(pos)));
        expect(got.map((g) => [g.command, g.sessionId, g.replyId, g.data.toString('hex')])).toEqual(
          ps.map((p) => [p.command, p.sessionId, p.replyId, Buffer.from(p.data).toString('hex')]),
        );
        expect(d.bufferedBytes).toBe(0);
      }),
      { numRuns: 300 },
    );
  });

  it('wrapTcp(encodePacket) equals encodeTcpFrame', () => {
    fc.assert(
      fc.property(packetArb, (p) => {
        expect(wrapTcp(encodePacket(p))).toEqual(encodeTcpFrame(p));
      }),
      { numRuns: 200 },
    );
  });
});

describe('fuzz: only ZkProtocolError escapes', () => {
  it('random bytes into every frame decoder', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.boolean(), (bytes, verify) => {
        onlyErrorsOf(ZkProtocolError, () => decodePacket(bytes, { verifyChecksum: verify }));
        onlyErrorsOf(ZkProtocolError, () => decodeTcpFrame(bytes));
        onlyErrorsOf(ZkProtocolError, () => new ZkTcpDeframer({ maxPacketLength: 128 }).push(bytes));
        onlyErrorsOf(ZkProtocolError, () => packetChecksum(bytes));
      }),
      { numRuns: 3000 },
    );
  });

  it('truncations and bit flips of valid frames', () => {
    fc.assert(
      fc.property(packetArb, fc.nat(), fc.nat(), fc.integer({ min: 0, max: 7 }), (p, cut, at, bit) => {
        const frame = encodeTcpFrame(p);
        const short = frame.subarray(0, cut % (frame.length + 1));
        onlyErrorsOf(ZkProtocolError, () => decodeTcpFrame(short));
        const flipped = Buffer.from(frame);
        const i = at % flipped.length;
        flipped[i] = (flipped[i] ?? 0) ^ (1 << bit);
        onlyErrorsOf(ZkProtocolError, () => decodeTcpFrame(flipped));
        onlyErrorsOf(ZkProtocolError, () => new ZkTcpDeframer().push(flipped));
        // a single flipped bit is always caught by the checksum or the framing checks
        expect(() => decodeTcpFrame(flipped)).toThrowError(ZkProtocolError);
      }),
      { numRuns: 2000 },
    );
  });
});
