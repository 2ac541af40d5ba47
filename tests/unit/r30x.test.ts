import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { ProtocolError } from '../../protocols/errors.js';
import {
  PacketId,
  R30xDeframer,
  R30xProtocolError,
  decodeConfirmation,
  decodeMatchReply,
  decodePacket,
  decodeReadSysParaReply,
  decodeSearchReply,
  decodeTemplateNumReply,
  deleteChar,
  empty,
  encodePacket,
  genImg,
  img2Tz,
  match,
  readSysPara,
  regModel,
  search,
  setPwd,
  store,
  templateNum,
  vfyPwd,
  type R30xPacket,
} from '../../protocols/r30x/index.js';

const bytes = (hex: string): Buffer => Buffer.from(hex.replace(/\s+/g, ''), 'hex');
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex').toUpperCase().match(/../g)?.join(' ') ?? '';

/** Runs fn and demands that, if it throws, it throws only the codec's error type. */
function onlyCodecErrors(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(R30xProtocolError);
  }
}

// Sources of the byte-exact vectors below:
//  [ZFM70] ZFM-70 user manual (Zhiantec, distributed as Velleman VMA329 manual),
//          "Instruction Decomposition": GenImg command and its no-finger ack.
//  [R303A] R303A/R30x user manual (SFG/Grow): Match "01H 03H 03H 07H", Empty "... 0dH 0011H",
//          TemplateNum "01H 0003H 1dH 0021H", ReadSysPara "01H 03H 0fH 0013H" (checksums).
//  [ZW101] Timestamped TX/RX serial log of a ZW101 module (2021-12-16) embedded in a public
//          GitHub firmware header (found through the code index; repository not shown there).
//  [LOCK]  Comment block in a public STM32 fingerprint-lock main.c (code index): Search command
//          over pages 0..999 and its "not found" ack.
//  [PWD]   VfyPwd with the default password, as built by Adafruit_Fingerprint checkPassword()
//          and quoted verbatim in several public projects.
describe('r30x command vectors', () => {
  const cases: [string, Buffer, string][] = [
    ['GenImg [ZFM70][ZW101]', genImg(), 'EF 01 FF FF FF FF 01 00 03 01 00 05'],
    ['Img2Tz(1) [ZW101]', img2Tz(1), 'EF 01 FF FF FF FF 01 00 04 02 01 00 08'],
    ['Img2Tz(2) [ZW101]', img2Tz(2), 'EF 01 FF FF FF FF 01 00 04 02 02 00 09'],
    ['Match [R303A][ZW101]', match(), 'EF 01 FF FF FF FF 01 00 03 03 00 07'],
    ['RegModel [ZW101]', regModel(), 'EF 01 FF FF FF FF 01 00 03 05 00 09'],
    ['Store(1, 0) [ZW101]', store(1, 0), 'EF 01 FF FF FF FF 01 00 06 06 01 00 00 00 0E'],
    ['Search(1, 1, 16) [ZW101]', search(1, 1, 16), 'EF 01 FF FF FF FF 01 00 08 04 01 00 01 00 10 00 1F'],
    ['Search(1, 0, 1000) [LOCK]', search(1, 0, 1000), 'EF 01 FF FF FF FF 01 00 08 04 01 00 00 03 E8 00 F9'],
    ['DeleteChar(1, 1) [ZW101]', deleteChar(1, 1), 'EF 01 FF FF FF FF 01 00 07 0C 00 01 00 01 00 16'],
    ['Empty [R303A][ZW101]', empty(), 'EF 01 FF FF FF FF 01 00 03 0D 00 11'],
    ['ReadSysPara [R303A][ZW101]', readSysPara(), 'EF 01 FF FF FF FF 01 00 03 0F 00 13'],
    ['TemplateNum [R303A][ZW101]', templateNum(), 'EF 01 FF FF FF FF 01 00 03 1D 00 21'],
    ['VfyPwd(0) [PWD]', vfyPwd(), 'EF 01 FF FF FF FF 01 00 07 13 00 00 00 00 00 1B'],
  ];
  for (const [name, built, expected] of cases) {
    it(`builds ${name}`, () => {
      expect(toHex(built)).toBe(expected);
      expect(decodePacket(built).pid).toBe(PacketId.COMMAND);
    });
  }

  it('SetPwd puts the password big-endian and honours a non-default address', () => {
    const pkt = decodePacket(setPwd(0x01020304, 0x12345678));
    expect(pkt.address).toBe(0x12345678);
    expect(toHex(pkt.payload)).toBe('12 01 02 03 04');
  });

  it('rejects bad arguments with R30xProtocolError naming the argument', () => {
    expect(() => img2Tz(3)).toThrowError(/argument bufferId/);
    expect(() => search(1, 0x10000, 1)).toThrowError(R30xProtocolError);
    expect(() => vfyPwd(-1)).toThrowError(/argument password/);
    expect(() => genImg(2 ** 32)).toThrowError(/argument address/);
    expect(() => encodePacket({ pid: 0x05 as PacketId, payload: new Uint8Array() })).toThrowError(/argument pid/);
    expect(() => encodePacket({ pid: PacketId.DATA, payload: new Uint8Array(65534) })).toThrowError(/argument payload/);
  });
});

describe('r30x reply vectors', () => {
  it('decodes the no-finger ack from the ZFM-70 manual [ZFM70]', () => {
    const c = decodeConfirmation(decodePacket(bytes('EF01FFFFFFFF 07 0003 02 000C')));
    expect(c).toEqual({ code: 2, ok: false, name: 'NO_FINGER', meaning: 'no finger detected on the sensor' });
  });

  it('decodes an OK ack [ZW101]', () => {
    expect(decodeConfirmation(decodePacket(bytes('EF01FFFFFFFF 07 0003 00 000A'))).ok).toBe(true);
  });

  it('decodes a Search hit: page 1, score 80 [ZW101]', () => {
    const r = decodeSearchReply(decodePacket(bytes('EF01FFFFFFFF 07 0007 00 0001 0050 005F')));
    expect(r.confirmation.ok).toBe(true);
    expect(r.match).toEqual({ pageId: 1, score: 80 });
  });

  it('decodes a Search miss as NOT_FOUND with no match [LOCK]', () => {
    const r = decodeSearchReply(decodePacket(bytes('EF01FFFFFFFF 07 0007 09 0000 0000 0017')));
    expect(r.confirmation.name).toBe('NOT_FOUND');
    expect(r.match).toBeNull();
  });

  it('decodes TemplateNum = 1 [ZW101]', () => {
    expect(decodeTemplateNumReply(decodePacket(bytes('EF01FFFFFFFF 07 0005 00 0001 000D')))).toMatchObject({ count: 1 });
  });

  it('decodes a Match score of 0x0113 [ZW101]', () => {
    expect(decodeMatchReply(decodePacket(bytes('EF01FFFFFFFF 07 0005 00 0113 0020'))).score).toBe(0x113);
  });

  it('decodes ReadSysPara from a real module [ZW101]', () => {
    const raw = bytes('EF01FFFFFFFF 07 0013 00 000C 2EC8 0064 0003 FFFFFFFF 0002 0006 0587');
    expect(decodeReadSysParaReply(decodePacket(raw)).params).toEqual({
      statusRegister: 0x000c,
      systemId: 0x2ec8,
      librarySize: 100,
      securityLevel: 3,
      address: 0xffffffff,
      packetSizeCode: 2,
      packetSizeBytes: 128,
      baudMultiplier: 6,
      baudRate: 57600,
    });
  });

  it('accepts a bare failure code where data would follow', () => {
    const ack = (code: number): R30xPacket => decodePacket(encodePacket({ pid: PacketId.ACK, payload: Uint8Array.of(code) }));
    expect(decodeSearchReply(ack(0x01)).match).toBeNull();
    expect(decodeTemplateNumReply(ack(0x01)).count).toBeNull();
    expect(decodeReadSysParaReply(ack(0x01)).params).toBeNull();
    expect(() => decodeSearchReply(ack(0x00))).toThrowError(/Search ack payload is 1 bytes, expected 5 \(at byte 10\)/);
  });

  it('reports unknown confirmation codes instead of rejecting them', () => {
    const c = decodeConfirmation(decodePacket(encodePacket({ pid: PacketId.ACK, payload: Uint8Array.of(0x77) })));
    expect(c).toMatchObject({ code: 0x77, ok: false, name: 'UNKNOWN' });
  });

  it('rejects a non-ack, an empty ack, and out-of-range system parameters', () => {
    expect(() => decodeConfirmation(decodePacket(genImg()))).toThrowError(/expected ack.*\(at byte 6\)/);
    const emptyAck = decodePacket(encodePacket({ pid: PacketId.ACK, payload: new Uint8Array() }));
    expect(() => decodeConfirmation(emptyAck)).toThrowError(/at byte 9/);
    const badSize = bytes('00 000C 2EC8 0064 0003 FFFFFFFF 0004 0006');
    expect(() => decodeReadSysParaReply(decodePacket(encodePacket({ pid: PacketId.ACK, payload: badSize })))).toThrowError(
      /packet size code 4.*byte 22/,
    );
  });
});

describe('r30x decodePacket errors name the byte', () => {
  const good = genImg();
  it.each([
    ['bad first header byte', bytes('EE01FFFFFFFF0100030100 05'), /header byte 0xEF.*\(at byte 0\)/],
    ['bad second header byte', bytes('EF02FFFFFFFF01000301 0005'), /at byte 1/],
    ['unknown pid', bytes('EF01FFFFFFFF 03 0003 01 0007'), /unknown packet id 0x03.*at byte 6/],
    ['length below 2', bytes('EF01FFFFFFFF 01 0001 00'), /below the 2 checksum bytes.*at byte 7/],
    ['checksum', bytes('EF01FFFFFFFF 01 0003 01 0006'), /checksum 0x0006 != computed 0x0005.*at byte 10/],
    ['truncated', good.subarray(0, 11), /truncated packet: 11 of 12 bytes.*at byte 11/],
    ['trailing', Buffer.concat([good, Buffer.of(0)]), /1 trailing bytes.*at byte 12/],
    ['empty', Buffer.alloc(0), /truncated packet: 0 of 9.*at byte 0/],
  ])('%s', (_name, input, message) => {
    expect(() => decodePacket(input)).toThrowError(message);
    expect(() => decodePacket(input)).toThrowError(ProtocolError);
  });
});

const packetArb = fc.record({
  address: fc.integer({ min: 0, max: 0xffffffff }),
  pid: fc.constantFrom(PacketId.COMMAND, PacketId.DATA, PacketId.ACK, PacketId.END_OF_DATA),
  payload: fc.uint8Array({ maxLength: 256 }),
});

/** Splits a buffer at random cut points, as a serial port would. */
const chunked = (data: Buffer, cuts: number[]): Buffer[] => {
  const points = [...new Set(cuts.map((c) => c % (data.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const p of [...points, data.length]) {
    out.push(data.subarray(prev, p));
    prev = p;
  }
  return out;
};

describe('r30x properties', () => {
  it('decodePacket(encodePacket(x)) == x', () => {
    fc.assert(
      fc.property(packetArb, (p) => {
        const decoded = decodePacket(encodePacket(p));
        expect(decoded.address).toBe(p.address);
        expect(decoded.pid).toBe(p.pid);
        expect(Buffer.compare(decoded.payload, Buffer.from(p.payload))).toBe(0);
      }),
      { numRuns: 1000 },
    );
  });

  it('any change to pid, length, payload or checksum is detected', () => {
    fc.assert(
      fc.property(packetArb, fc.nat(), fc.integer({ min: 1, max: 255 }), (p, pos, delta) => {
        const raw = encodePacket(p);
        const at = 6 + (pos % (raw.length - 6));
        raw[at] = ((raw[at] ?? 0) + delta) & 0xff;
        expect(() => decodePacket(raw)).toThrowError(R30xProtocolError);
      }),
      { numRuns: 1000 },
    );
  });

  it('deframer recovers every packet from any chunking with EF-free garbage between', () => {
    const garbage = fc.uint8Array({ maxLength: 20 }).map((g) => Buffer.from(g.filter((b) => b !== 0xef)));
    fc.assert(
      fc.property(fc.array(fc.tuple(garbage, packetArb), { maxLength: 8 }), garbage, fc.array(fc.nat(), { maxLength: 12 }), (items, tail, cuts) => {
        const stream = Buffer.concat([...items.flatMap(([g, p]) => [g, encodePacket(p)]), tail]);
        const deframer = new R30xDeframer();
        const got = chunked(stream, cuts).flatMap((c) => deframer.push(c).packets);
        expect(got.map((p) => toHex(encodePacket(p)))).toEqual(items.map(([, p]) => toHex(encodePacket(p))));
        expect(deframer.buffered).toBe(0);
      }),
      { numRuns: 1000 },
    );
  });

  it('deframer reports garbage with absolute stream offsets', () => {
    const deframer = new R30xDeframer();
    const first = deframer.push(Buffer.concat([bytes('0102 03'), genImg()]));
    expect(first.packets).toHaveLength(1);
    expect(first.errors.map((e) => e.where)).toEqual(['stream byte 0']);
    const second = deframer.push(Buffer.concat([bytes('AA'), genImg().subarray(0, 5)]));
    expect(second.packets).toHaveLength(0);
    expect(second.errors[0]?.where).toBe('stream byte 15');
    expect(deframer.push(genImg().subarray(5)).packets).toHaveLength(1);
  });

  it('deframer resyncs past a false header whose frame fails its checksum', () => {
    // A false header announcing 6 payload bytes swallows the start of a real packet;
    // after the checksum fails the real packet inside it must still be found.
    const falseHeader = bytes('EF01 FFFFFFFF 07 0008');
    const deframer = new R30xDeframer();
    const r = deframer.push(Buffer.concat([falseHeader, genImg(), genImg()]));
    expect(r.packets).toHaveLength(2);
    expect(r.errors.some((e) => /checksum.*resyncing/.test(e.message))).toBe(true);
  });

  it('deframer refuses oversized length fields instead of waiting for them', () => {
    const deframer = new R30xDeframer({ maxPayload: 16 });
    const r = deframer.push(Buffer.concat([bytes('EF01 FFFFFFFF 02 0100'), genImg()]));
    expect(r.packets).toHaveLength(1);
    expect(r.errors[0]?.message).toMatch(/payload length 254 exceeds limit 16/);
    expect(() => new R30xDeframer({ maxPayload: -1 })).toThrowError(R30xProtocolError);
  });
});

describe('r30x fuzzing', () => {
  it('decodePacket and reply decoders on random bytes throw only R30xProtocolError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.boolean(), (data, withHeader) => {
        const input = withHeader ? Buffer.concat([bytes('EF01FFFFFFFF'), data]) : Buffer.from(data);
        onlyCodecErrors(() => decodePacket(input));
      }),
      { numRuns: 3000 },
    );
  });

  it('reply decoders on arbitrary valid packets throw only R30xProtocolError', () => {
    fc.assert(
      fc.property(packetArb, (p) => {
        const pkt = decodePacket(encodePacket(p));
        for (const decode of [decodeConfirmation, decodeSearchReply, decodeMatchReply, decodeTemplateNumReply, decodeReadSysParaReply]) {
          onlyCodecErrors(() => decode(pkt));
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('every truncation of a valid packet throws a truncation error', () => {
    fc.assert(
      fc.property(packetArb, fc.nat(), (p, n) => {
        const raw = encodePacket(p);
        const cut = raw.subarray(0, n % raw.length);
        expect(() => decodePacket(cut)).toThrowError(/truncated/);
      }),
      { numRuns: 1000 },
    );
  });

  it('deframer never throws on random streams and only emits checksum-valid packets', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 10 }), (chunks) => {
        const deframer = new R30xDeframer();
        for (const c of chunks) {
          const r = deframer.push(c);
          for (const p of r.packets) expect(decodePacket(encodePacket(p))).toEqual(p);
          for (const e of r.errors) expect(e).toBeInstanceOf(R30xProtocolError);
        }
        expect(deframer.buffered).toBeLessThanOrEqual(9 + 256 + 2);
      }),
      { numRuns: 2000 },
    );
  });
});
