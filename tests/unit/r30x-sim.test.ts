import { describe, it, expect, afterEach } from 'vitest';
import { createServer, connect, type Socket } from 'node:net';
import { Duplex, PassThrough } from 'node:stream';
import {
  R30xDeframer,
  decodeConfirmation,
  decodeReadSysParaReply,
  decodeSearchReply,
  decodeTemplateNumReply,
  genImg,
  img2Tz,
  readSysPara,
  search,
  templateNum,
  vfyPwd,
  type R30xPacket,
} from '../../protocols/r30x/index.js';
import { R30xModuleSim, type R30xSimOptions } from '../../sim/r30x-module.js';

const bytes = (hex: string): Buffer => Buffer.from(hex.replace(/\s+/g, ''), 'hex');
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex').toUpperCase().match(/../g)?.join(' ') ?? '';
const tick = (ms = 15): Promise<void> => new Promise((r) => setTimeout(r, ms));

// Byte-exact vectors, same sources as tests/unit/r30x.test.ts:
//  [ZFM70] ZFM-70 manual: GenImg command and its no-finger ack.
//  [ZW101] public TX/RX log of a ZW101 module: Img2Tz, Search(1,1,16) → page 1 score 80,
//          TemplateNum → 1, OK ack.
//  [LOCK]  public STM32 lock firmware comment: Search(1,0,1000) and its not-found ack.
//  [PWD]   VfyPwd with the default password (Adafruit checkPassword()).
const V = {
  genImg: 'EF 01 FF FF FF FF 01 00 03 01 00 05', // [ZFM70][ZW101]
  img2Tz1: 'EF 01 FF FF FF FF 01 00 04 02 01 00 08', // [ZW101]
  search1_1_16: 'EF 01 FF FF FF FF 01 00 08 04 01 00 01 00 10 00 1F', // [ZW101]
  search1_0_1000: 'EF 01 FF FF FF FF 01 00 08 04 01 00 00 03 E8 00 F9', // [LOCK]
  templateNum: 'EF 01 FF FF FF FF 01 00 03 1D 00 21', // [R303A][ZW101]
  vfyPwd0: 'EF 01 FF FF FF FF 01 00 07 13 00 00 00 00 00 1B', // [PWD]
  ackNoFinger: 'EF 01 FF FF FF FF 07 00 03 02 00 0C', // [ZFM70]
  ackOk: 'EF 01 FF FF FF FF 07 00 03 00 00 0A', // [ZW101]
  ackSearchHit1_80: 'EF 01 FF FF FF FF 07 00 07 00 00 01 00 50 00 5F', // [ZW101]
  ackSearchNotFound: 'EF 01 FF FF FF FF 07 00 07 09 00 00 00 00 00 17', // [LOCK]
  ackTemplateNum1: 'EF 01 FF FF FF FF 07 00 05 00 00 01 00 0D', // [ZW101]
};

/** Host end of an in-memory serial line: what it writes reaches the sim, and back. */
class Host {
  private received = Buffer.alloc(0);
  constructor(
    private readonly write: (b: Buffer) => void,
    readable: NodeJS.ReadableStream,
  ) {
    readable.on('data', (chunk: Buffer) => (this.received = Buffer.concat([this.received, chunk])));
  }
  /** Sends bytes (optionally in pieces) and returns everything received after a short settle. */
  async send(data: Buffer | string, pieces = 1): Promise<Buffer> {
    const buf = typeof data === 'string' ? bytes(data) : data;
    const size = Math.ceil(buf.length / pieces);
    for (let i = 0; i < buf.length; i += size) {
      this.write(buf.subarray(i, i + size));
      if (pieces > 1) await tick(1);
    }
    await tick();
    const out = this.received;
    this.received = Buffer.alloc(0);
    return out;
  }
  async packets(data: Buffer | string): Promise<R30xPacket[]> {
    const { packets, errors } = new R30xDeframer().push(await this.send(data));
    expect(errors).toEqual([]);
    return packets;
  }
  async one(data: Buffer | string): Promise<R30xPacket> {
    const packets = await this.packets(data);
    expect(packets).toHaveLength(1);
    return packets[0]!;
  }
}

function memoryLine(options?: R30xSimOptions): { sim: R30xModuleSim; host: Host } {
  const toModule = new PassThrough();
  const toHost = new PassThrough();
  const sim = new R30xModuleSim(options);
  sim.attachStream(Duplex.from({ readable: toModule, writable: toHost }));
  return { sim, host: new Host((b) => toModule.write(b), toHost) };
}

describe('R30x module simulator, byte-exact against public vectors', () => {
  it('answers GenImg with no finger with the ZFM-70 manual ack', async () => {
    const { host } = memoryLine();
    expect(toHex(await host.send(V.genImg))).toBe(V.ackNoFinger);
  });

  it('runs GenImg → Img2Tz → Search to a match, then the finger is lifted [ZW101]', async () => {
    const { sim, host } = memoryLine();
    for (let page = 1; page <= 20; page++) sim.enroll(page);
    sim.placeFinger(1, { score: 80 });
    expect(toHex(await host.send(V.genImg))).toBe(V.ackOk);
    expect(toHex(await host.send(V.img2Tz1))).toBe(V.ackOk);
    const reply = await host.send(V.search1_1_16);
    expect(toHex(reply)).toBe(V.ackSearchHit1_80);
    const [packet] = new R30xDeframer().push(reply).packets;
    expect(decodeSearchReply(packet!).match).toEqual({ pageId: 1, score: 80 });
    expect(toHex(await host.send(V.genImg))).toBe(V.ackNoFinger);
    expect(sim.stats).toEqual({ packets: 4, searches: 1, matches: 1, badChecksums: 0 });
  });

  it('decodes a match flow with the codec for a page and score of our choosing', async () => {
    const { sim, host } = memoryLine();
    sim.enroll(217);
    sim.placeFinger(217, { score: 0x0113 });
    expect(decodeConfirmation(await host.one(genImg())).name).toBe('OK');
    expect(decodeConfirmation(await host.one(img2Tz(2))).ok).toBe(true);
    expect(decodeSearchReply(await host.one(search(2, 0, 300))).match).toEqual({ pageId: 217, score: 0x0113 });
    // A search range that excludes the page does not find it.
    sim.placeFinger(217);
    await host.one(genImg());
    await host.one(img2Tz(1));
    expect(decodeSearchReply(await host.one(search(1, 0, 217))).confirmation.name).toBe('NOT_FOUND');
  });

  it('answers an unknown finger with the public not-found ack [LOCK]', async () => {
    const { sim, host } = memoryLine();
    sim.enroll(3);
    sim.placeFinger('unknown');
    await host.send(V.genImg);
    await host.send(V.img2Tz1);
    expect(toHex(await host.send(V.search1_0_1000))).toBe(V.ackSearchNotFound);
    expect(toHex(await host.send(V.genImg))).toBe(V.ackNoFinger);
    expect(sim.stats).toMatchObject({ searches: 1, matches: 0 });
  });

  it('reports a bad image, then no finger; Img2Tz without an image is 0x15', async () => {
    const { sim, host } = memoryLine();
    expect(decodeConfirmation(await host.one(img2Tz(1))).name).toBe('INVALID_IMAGE');
    sim.placeFinger(1, { badImage: true });
    expect(decodeConfirmation(await host.one(genImg())).name).toBe('ENROLL_FAIL');
    expect(decodeConfirmation(await host.one(genImg())).name).toBe('NO_FINGER');
  });

  it('answers TemplateNum [ZW101] and ReadSysPara', async () => {
    const { sim, host } = memoryLine();
    sim.enroll(0);
    expect(toHex(await host.send(V.templateNum))).toBe(V.ackTemplateNum1);
    sim.enroll(5);
    expect(decodeTemplateNumReply(await host.one(templateNum())).count).toBe(2);
    expect(decodeReadSysParaReply(await host.one(readSysPara())).params).toEqual({
      statusRegister: 0x0004,
      systemId: 0x0009,
      librarySize: 300,
      securityLevel: 3,
      address: 0xffffffff,
      packetSizeCode: 2,
      packetSizeBytes: 128,
      baudMultiplier: 6,
      baudRate: 57600,
    });
  });

  it('verifies the password: default vector OK, wrong one 0x13, commands locked until verified', async () => {
    expect(toHex(await memoryLine().host.send(V.vfyPwd0))).toBe(V.ackOk);
    const { host } = memoryLine({ password: 0x1234 });
    expect(decodeConfirmation(await host.one(V.vfyPwd0)).name).toBe('WRONG_PASSWORD');
    expect(decodeConfirmation(await host.one(genImg())).name).toBe('PASSWORD_REQUIRED');
    expect(decodeConfirmation(await host.one(vfyPwd(0x1234))).ok).toBe(true);
    expect(toHex(await host.send(V.genImg))).toBe(V.ackNoFinger);
  });

  it('answers a bad checksum with 0x01 and ignores other addresses', async () => {
    const { sim, host } = memoryLine();
    const corrupt = bytes(V.genImg);
    corrupt[11] = 0x06;
    expect(toHex(await host.send(corrupt))).toBe('EF 01 FF FF FF FF 07 00 03 01 00 0B');
    expect(decodeConfirmation(await host.one(corrupt)).name).toBe('RECEIVE_ERROR');
    expect((await host.send(genImg(0x12345678))).length).toBe(0);
    const corruptOther = genImg(0x12345678);
    corruptOther[11] = 0;
    expect((await host.send(corruptOther)).length).toBe(0);
    expect(sim.stats).toEqual({ packets: 1, searches: 0, matches: 0, badChecksums: 3 });
  });

  it('answers on its own address only', async () => {
    const { host } = memoryLine({ address: 0x12345678 });
    expect((await host.send(V.genImg)).length).toBe(0);
    const ack = await host.one(genImg(0x12345678));
    expect(ack.address).toBe(0x12345678);
    expect(decodeConfirmation(ack).name).toBe('NO_FINGER');
  });

  it('skips garbage and reassembles packets split across chunks', async () => {
    const { host } = memoryLine();
    const noisy = Buffer.concat([bytes('00 FF EF 13 37'), bytes(V.genImg), bytes('55 AA'), bytes(V.templateNum)]);
    const reply = await host.send(noisy, noisy.length);
    expect(toHex(reply)).toBe(`${V.ackNoFinger} EF 01 FF FF FF FF 07 00 05 00 00 00 00 0C`);
  });

  it('stops answering after detach', async () => {
    const { sim, host } = memoryLine();
    sim.detach();
    expect((await host.send(V.genImg)).length).toBe(0);
  });
});

describe('R30x module simulator over a TCP socket', () => {
  const cleanup: (() => void)[] = [];
  afterEach(() => cleanup.splice(0).forEach((f) => f()));

  it('runs the match flow on a net.Socket pair on 127.0.0.1', async () => {
    const sim = new R30xModuleSim();
    sim.enroll(1);
    const server = createServer((socket) => sim.attachStream(socket));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    const client: Socket = connect(address.port, '127.0.0.1');
    cleanup.push(() => {
      sim.detach();
      client.destroy();
      server.close();
    });
    await new Promise<void>((r) => client.once('connect', () => r()));
    const host = new Host((b) => client.write(b), client);
    sim.placeFinger(1, { score: 80 });
    await tick(20);
    expect(toHex(await host.send(V.genImg))).toBe(V.ackOk);
    expect(toHex(await host.send(V.img2Tz1))).toBe(V.ackOk);
    expect(toHex(await host.send(V.search1_1_16))).toBe(V.ackSearchHit1_80);
  });
});
