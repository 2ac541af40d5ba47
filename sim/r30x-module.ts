import {
  DEFAULT_ADDRESS,
  DEFAULT_MAX_FRAME_PAYLOAD,
  FRAME_PREFIX_LENGTH,
  HEADER_HI,
  HEADER_LO,
  Instruction,
  PacketId,
  R30xDeframer,
  encodePacket,
  type R30xPacket,
} from '../protocols/r30x/index.js';

/**
 * A simulated R30x / AS608 / ZFM fingerprint module on a serial byte stream.
 *
 * It answers the host-side commands the codec builds (GenImg, Img2Tz, Search,
 * TemplateNum, ReadSysPara, VfyPwd, plus Empty and DeleteChar) with ack packets
 * (pid 07) built by the codec's `encodePacket`, using the confirmation codes of the
 * R30x/R503/ZFM-70 manuals (see protocols/r30x/constants.ts for the sources):
 *  - GenImg:  00 image taken, 02 no finger on the sensor, 03 image capture failed;
 *  - Img2Tz:  00, or 15 when there is no valid image to extract features from;
 *  - Search:  00 + page u16 + score u16, or 09 (not found) + 0000 0000, the form
 *             public captures show for a miss;
 *  - VfyPwd:  00, or 13 for a wrong password;
 *  - any packet whose checksum is wrong: 01 ("error when receiving the packet");
 *  - a command whose parameters have the wrong length or an instruction this sim
 *    does not implement: 01 as well (our choice; the manuals list no code for it).
 * Packets for another address and non-command packets are ignored; garbage between
 * packets is skipped by the codec's `R30xDeframer`.
 *
 * With a non-zero password, every command other than VfyPwd is refused with 21
 * ("password must be verified") until VfyPwd succeeds, as the R503 manual describes.
 */
export interface R30xSimOptions {
  /** Module address; default 0xFFFFFFFF (factory). */
  address?: number;
  /** Module password; default 0 (factory, no verification needed). */
  password?: number;
  /** Number of library pages; default 300. */
  librarySize?: number;
}

export interface R30xSimStats {
  /** Frames with a valid checksum, for any address. */
  packets: number;
  /** Search commands executed. */
  searches: number;
  /** Searches that reported a match. */
  matches: number;
  /** Frames whose checksum was wrong, for any address. */
  badChecksums: number;
}

/** What the sensor "sees": one placement of a finger. */
interface Placement {
  readonly pageId: number | 'unknown';
  readonly score: number;
  readonly badImage: boolean;
}

const CODE = {
  OK: 0x00,
  RECEIVE_ERROR: 0x01,
  NO_FINGER: 0x02,
  ENROLL_FAIL: 0x03,
  NOT_FOUND: 0x09,
  BAD_LOCATION: 0x0b,
  WRONG_PASSWORD: 0x13,
  INVALID_IMAGE: 0x15,
  PASSWORD_REQUIRED: 0x21,
} as const;

const CHECKSUM_ERROR = /checksum 0x[0-9A-F]{4} != computed 0x[0-9A-F]{4}/;
const STREAM_BYTE = /^stream byte (\d+)$/;

function checkU(value: number, max: number, name: string): number {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new RangeError(`${name} ${String(value)} is not an integer in 0..${max}`);
  }
  return value;
}

export class R30xModuleSim {
  readonly address: number;
  readonly librarySize: number;
  private readonly password: number;
  private readonly library = new Set<number>();
  private readonly statsValue: R30xSimStats = { packets: 0, searches: 0, matches: 0, badChecksums: 0 };

  private finger: Placement | null = null;
  private image: Placement | null = null;
  private readonly charBuffers: [Placement | null, Placement | null] = [null, null];
  private passwordVerified: boolean;
  private lastSearchMatched = false;

  private stream: NodeJS.ReadWriteStream | null = null;
  private deframer = new R30xDeframer();
  /**
   * Copy of the bytes the deframer may still report on (from its current offset),
   * so a frame with a bad checksum can be located and its address read: the codec
   * reports such frames only as an error with a stream offset.
   */
  private mirror: Buffer = Buffer.alloc(0);
  private mirrorStart = 0;
  private readonly onData = (chunk: Buffer | string): void => this.receive(typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : chunk);
  private readonly onError = (): void => {
    // A serial port going away is the host's problem; the module just stops answering.
  };

  constructor(options: R30xSimOptions = {}) {
    this.address = checkU(options.address ?? DEFAULT_ADDRESS, 0xffffffff, 'address');
    this.password = checkU(options.password ?? 0, 0xffffffff, 'password');
    this.librarySize = checkU(options.librarySize ?? 300, 0xffff, 'librarySize');
    this.passwordVerified = this.password === 0;
  }

  get stats(): Readonly<R30xSimStats> {
    return { ...this.statsValue };
  }

  /** Pages holding a template, ascending. */
  get enrolled(): number[] {
    return [...this.library].sort((a, b) => a - b);
  }

  attachStream(stream: NodeJS.ReadWriteStream): void {
    this.detach();
    this.stream = stream;
    this.deframer = new R30xDeframer();
    this.mirror = Buffer.alloc(0);
    this.mirrorStart = 0;
    stream.on('data', this.onData);
    stream.on('error', this.onError);
  }

  detach(): void {
    if (!this.stream) return;
    this.stream.removeListener('data', this.onData);
    this.stream.removeListener('error', this.onError);
    this.stream = null;
  }

  enroll(pageId: number): void {
    checkU(pageId, this.librarySize - 1, 'pageId');
    this.library.add(pageId);
  }

  /**
   * The next GenImg takes this finger's image (or, with badImage, fails with 03 and
   * the finger is gone). Img2Tz + Search then find `pageId` with `score` (default
   * 80) if that page is enrolled and inside the searched range, else NOT_FOUND.
   * The finger stays on the sensor until one Search has used its features.
   */
  placeFinger(pageId: number | 'unknown', opts: { score?: number; badImage?: boolean } = {}): void {
    if (pageId !== 'unknown') checkU(pageId, 0xffff, 'pageId');
    const score = checkU(opts.score ?? 80, 0xffff, 'score');
    this.finger = { pageId, score, badImage: opts.badImage ?? false };
  }

  /** True while a placed finger has not yet been consumed by a Search. */
  get fingerPlaced(): boolean {
    return this.finger !== null;
  }

  // ------------------------------------------------------------ byte stream

  private receive(chunk: Buffer): void {
    this.mirror = this.mirror.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.mirror, chunk]);
    const streamEnd = this.mirrorStart + this.mirror.length;
    const { packets, errors } = this.deframer.push(chunk);
    const handled = new Set<number>();
    for (const error of errors) {
      if (!CHECKSUM_ERROR.test(error.message)) continue; // garbage: skipped silently
      const m = STREAM_BYTE.exec(error.where);
      if (!m) continue;
      const checksumAt = Number(m[1]);
      if (handled.has(checksumAt)) continue;
      handled.add(checksumAt);
      this.statsValue.badChecksums++;
      const frame = this.locateFrame(checksumAt);
      if (frame && frame.address === this.address && frame.pid === PacketId.COMMAND) {
        this.reply([CODE.RECEIVE_ERROR]);
      }
    }
    for (const packet of packets) {
      this.statsValue.packets++;
      if (packet.address !== this.address || packet.pid !== PacketId.COMMAND) continue;
      this.reply(this.execute(packet));
    }
    // Keep only what the deframer still holds; earlier bytes can no longer be reported on.
    const keepFrom = streamEnd - this.deframer.buffered;
    this.mirror = Buffer.from(this.mirror.subarray(keepFrom - this.mirrorStart));
    this.mirrorStart = keepFrom;
  }

  /** Finds the frame whose checksum field starts at absolute offset `checksumAt`. */
  private locateFrame(checksumAt: number): { address: number; pid: number } | null {
    const lowest = Math.max(this.mirrorStart, checksumAt - FRAME_PREFIX_LENGTH - DEFAULT_MAX_FRAME_PAYLOAD);
    for (let k = checksumAt - FRAME_PREFIX_LENGTH; k >= lowest; k--) {
      const rel = k - this.mirrorStart;
      if (this.mirror[rel] !== HEADER_HI || this.mirror[rel + 1] !== HEADER_LO) continue;
      // length field = payload + 2 and the checksum sits right after the payload.
      if (this.mirror.readUInt16BE(rel + 7) !== checksumAt - k - 7) continue;
      return { address: this.mirror.readUInt32BE(rel + 2), pid: this.mirror[rel + 6] ?? 0 };
    }
    return null;
  }

  private reply(payload: number[]): void {
    const bytes = encodePacket({ pid: PacketId.ACK, payload: Uint8Array.from(payload), address: this.address });
    if (this.stream?.writable) this.stream.write(bytes);
  }

  // ------------------------------------------------------------ instructions

  private execute(packet: R30xPacket): number[] {
    const p = packet.payload;
    const instruction = p[0];
    const params = p.length - 1;
    if (instruction === Instruction.VFY_PWD) {
      if (params !== 4) return [CODE.RECEIVE_ERROR];
      if (p.readUInt32BE(1) !== this.password) return [CODE.WRONG_PASSWORD];
      this.passwordVerified = true;
      return [CODE.OK];
    }
    if (!this.passwordVerified) return [CODE.PASSWORD_REQUIRED];
    switch (instruction) {
      case Instruction.GEN_IMG:
        return params === 0 ? this.genImg() : [CODE.RECEIVE_ERROR];
      case Instruction.IMG2TZ:
        return params === 1 ? this.img2Tz(p[1] ?? 0) : [CODE.RECEIVE_ERROR];
      case Instruction.SEARCH:
        return params === 5 ? this.search(p[1] ?? 0, p.readUInt16BE(2), p.readUInt16BE(4)) : [CODE.RECEIVE_ERROR];
      case Instruction.TEMPLATE_NUM:
        return params === 0 ? [CODE.OK, ...u16(this.library.size)] : [CODE.RECEIVE_ERROR];
      case Instruction.READ_SYS_PARA:
        return params === 0 ? this.readSysPara() : [CODE.RECEIVE_ERROR];
      case Instruction.EMPTY:
        if (params !== 0) return [CODE.RECEIVE_ERROR];
        this.library.clear();
        return [CODE.OK];
      case Instruction.DELETE_CHAR: {
        if (params !== 4) return [CODE.RECEIVE_ERROR];
        const start = p.readUInt16BE(1);
        const count = p.readUInt16BE(3);
        if (start + count > this.librarySize) return [CODE.BAD_LOCATION];
        for (let page = start; page < start + count; page++) this.library.delete(page);
        return [CODE.OK];
      }
      default:
        return [CODE.RECEIVE_ERROR];
    }
  }

  private genImg(): number[] {
    const finger = this.finger;
    if (!finger) return [CODE.NO_FINGER];
    if (finger.badImage) {
      this.finger = null; // the user gives up on this attempt
      return [CODE.ENROLL_FAIL];
    }
    this.image = finger;
    return [CODE.OK];
  }

  private img2Tz(id: number): number[] {
    if (!this.image) return [CODE.INVALID_IMAGE];
    // ZFM-70 manual: any buffer id other than 1 acts as CharBuffer2.
    this.charBuffers[id === 1 ? 0 : 1] = this.image;
    return [CODE.OK];
  }

  private search(id: number, start: number, count: number): number[] {
    this.statsValue.searches++;
    const features = this.charBuffers[id === 1 ? 0 : 1];
    // One search "uses up" the placement its features came from: the finger is lifted.
    if (features !== null && features === this.finger) this.finger = null;
    const page = features?.pageId;
    const hit =
      typeof page === 'number' && this.library.has(page) && page >= start && page < start + count && page < this.librarySize;
    this.lastSearchMatched = hit;
    if (!hit || features === null || typeof page !== 'number') return [CODE.NOT_FOUND, 0, 0, 0, 0];
    this.statsValue.matches++;
    return [CODE.OK, ...u16(page), ...u16(features.score)];
  }

  /** Eight u16 words in the manual's order (see decodeReadSysParaReply). */
  private readSysPara(): number[] {
    // Status register bits (manual): 0 busy, 1 matched, 2 password verified, 3 image buffer valid.
    const status = (this.lastSearchMatched ? 2 : 0) | (this.passwordVerified ? 4 : 0) | (this.image ? 8 : 0);
    return [
      CODE.OK,
      ...u16(status),
      ...u16(0x0009), // system identifier: the manual's fixed value
      ...u16(this.librarySize),
      ...u16(3), // security level 1..5
      ...u16(this.address >>> 16),
      ...u16(this.address & 0xffff),
      ...u16(2), // packet size code 2 = 128 bytes
      ...u16(6), // baud N = 6 → 57600 bps, the factory setting
    ];
  }
}

function u16(value: number): [number, number] {
  return [(value >> 8) & 0xff, value & 0xff];
}
