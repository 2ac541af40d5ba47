/**
 * Command builders and ack decoders for the R30x instruction set.
 *
 * Parameter layouts follow the R30x/R503/ZFM-70 user manuals and agree with
 * adafruit/Adafruit-Fingerprint-Sensor-Library (Adafruit_Fingerprint.cpp):
 *  - Img2Tz:      02 | BufferID
 *  - Search:      04 | BufferID | StartPage u16 | PageNum u16  → ack: code | PageID u16 | MatchScore u16
 *  - Store/Load:  06/07 | BufferID | PageID u16
 *  - DeleteChar:  0C | PageID u16 | N u16
 *  - VfyPwd/SetPwd: 13/12 | password u32 BE
 *  - TemplateNum: 1D → ack: code | count u16
 *  - Match:       03 → ack: code | score u16
 *  - ReadSysPara: 0F → ack: code | 16 bytes (see decodeReadSysParaReply)
 */
import {
  BAUD_MULTIPLIER_MAX,
  BAUD_UNIT,
  CONFIRMATION_CODES,
  DEFAULT_ADDRESS,
  Instruction,
  PACKET_SIZE_BYTES,
  PacketId,
  type CharBufferId,
} from './constants.js';
import { encodePacket, R30xProtocolError, type R30xPacket } from './packet.js';

// ---------------------------------------------------------------- builders

function u16(value: number, name: string): [number, number] {
  if (!Number.isInteger(value) || value < 0 || value > 0xffff) {
    throw new R30xProtocolError(`${name} ${String(value)} is not a u16`, `argument ${name}`);
  }
  return [value >> 8, value & 0xff];
}

function u32(value: number, name: string): [number, number, number, number] {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new R30xProtocolError(`${name} ${String(value)} is not a u32`, `argument ${name}`);
  }
  return [(value >>> 24) & 0xff, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff];
}

function bufferId(value: number): CharBufferId {
  // The ZFM-70 manual says other values silently act as buffer 2; refuse them so a
  // caller bug cannot overwrite the wrong buffer.
  if (value !== 1 && value !== 2) {
    throw new R30xProtocolError(`buffer id ${String(value)} is not 1 or 2`, 'argument bufferId');
  }
  return value;
}

function command(payload: number[], address: number): Buffer {
  return encodePacket({ pid: PacketId.COMMAND, payload: Uint8Array.from(payload), address });
}

export const genImg = (address = DEFAULT_ADDRESS): Buffer => command([Instruction.GEN_IMG], address);

export const img2Tz = (id: number, address = DEFAULT_ADDRESS): Buffer =>
  command([Instruction.IMG2TZ, bufferId(id)], address);

export const match = (address = DEFAULT_ADDRESS): Buffer => command([Instruction.MATCH], address);

export const search = (id: number, startPage: number, pageCount: number, address = DEFAULT_ADDRESS): Buffer =>
  command([Instruction.SEARCH, bufferId(id), ...u16(startPage, 'startPage'), ...u16(pageCount, 'pageCount')], address);

export const regModel = (address = DEFAULT_ADDRESS): Buffer => command([Instruction.REG_MODEL], address);

export const store = (id: number, pageId: number, address = DEFAULT_ADDRESS): Buffer =>
  command([Instruction.STORE, bufferId(id), ...u16(pageId, 'pageId')], address);

export const loadChar = (id: number, pageId: number, address = DEFAULT_ADDRESS): Buffer =>
  command([Instruction.LOAD_CHAR, bufferId(id), ...u16(pageId, 'pageId')], address);

export const deleteChar = (pageId: number, count = 1, address = DEFAULT_ADDRESS): Buffer =>
  command([Instruction.DELETE_CHAR, ...u16(pageId, 'pageId'), ...u16(count, 'count')], address);

export const empty = (address = DEFAULT_ADDRESS): Buffer => command([Instruction.EMPTY], address);

export const readSysPara = (address = DEFAULT_ADDRESS): Buffer => command([Instruction.READ_SYS_PARA], address);

export const setPwd = (password: number, address = DEFAULT_ADDRESS): Buffer =>
  command([Instruction.SET_PWD, ...u32(password, 'password')], address);

/** Default module password is 0 (both Adafruit libraries and pyfingerprint). */
export const vfyPwd = (password = 0, address = DEFAULT_ADDRESS): Buffer =>
  command([Instruction.VFY_PWD, ...u32(password, 'password')], address);

export const templateNum = (address = DEFAULT_ADDRESS): Buffer => command([Instruction.TEMPLATE_NUM], address);

// ---------------------------------------------------------------- decoders

export interface Confirmation {
  readonly code: number;
  readonly ok: boolean;
  readonly name: string;
  readonly meaning: string;
}

export interface SearchMatch {
  readonly pageId: number;
  readonly score: number;
}
export interface SearchReply {
  readonly confirmation: Confirmation;
  /** Null unless the module reported a match (code 0x00). */
  readonly match: SearchMatch | null;
}
export interface MatchReply {
  readonly confirmation: Confirmation;
  readonly score: number | null;
}
export interface TemplateNumReply {
  readonly confirmation: Confirmation;
  readonly count: number | null;
}
export interface SystemParameters {
  readonly statusRegister: number;
  /** Manual says fixed 0x0009, but real modules differ (a ZW101 reports 0x2EC8). */
  readonly systemId: number;
  readonly librarySize: number;
  readonly securityLevel: number;
  readonly address: number;
  /** Raw code 0..3 and what it means in bytes (32 << code). */
  readonly packetSizeCode: number;
  readonly packetSizeBytes: number;
  /** Raw N and the resulting N × 9600 bps. */
  readonly baudMultiplier: number;
  readonly baudRate: number;
}
export interface SysParaReply {
  readonly confirmation: Confirmation;
  readonly params: SystemParameters | null;
}

/** Payload byte i sits at packet byte 9 + i; errors name the packet byte. */
const at = (payloadIndex: number): string => `byte ${9 + payloadIndex}`;

export function confirmationOf(code: number): Confirmation {
  const info = CONFIRMATION_CODES.get(code);
  if (info) return { code, ok: code === 0, name: info.name, meaning: info.meaning };
  const hexCode = `0x${code.toString(16).toUpperCase().padStart(2, '0')}`;
  return { code, ok: false, name: 'UNKNOWN', meaning: `reserved/undocumented confirmation code ${hexCode}` };
}

/** Every reply decoder starts here: must be an ack with at least the code byte. */
export function decodeConfirmation(packet: R30xPacket): Confirmation {
  if (packet.pid !== PacketId.ACK) {
    throw new R30xProtocolError(`expected ack packet id 0x07, got 0x0${packet.pid.toString(16)}`, 'byte 6');
  }
  const code = packet.payload[0];
  if (code === undefined) throw new R30xProtocolError('ack has no confirmation code', at(0));
  return confirmationOf(code);
}

/**
 * Checks the payload size for replies that carry data after the code. Failed
 * commands may come back with the code alone, so that form is accepted too.
 */
function expectLength(packet: R30xPacket, confirmation: Confirmation, full: number, what: string): boolean {
  const n = packet.payload.length;
  if (n === full) return true;
  if (n === 1 && !confirmation.ok) return false;
  throw new R30xProtocolError(`${what} ack payload is ${n} bytes, expected ${full}`, at(Math.min(n, full)));
}

export function decodeSearchReply(packet: R30xPacket): SearchReply {
  const confirmation = decodeConfirmation(packet);
  if (!expectLength(packet, confirmation, 5, 'Search') || !confirmation.ok) return { confirmation, match: null };
  return { confirmation, match: { pageId: packet.payload.readUInt16BE(1), score: packet.payload.readUInt16BE(3) } };
}

export function decodeMatchReply(packet: R30xPacket): MatchReply {
  const confirmation = decodeConfirmation(packet);
  if (!expectLength(packet, confirmation, 3, 'Match')) return { confirmation, score: null };
  return { confirmation, score: packet.payload.readUInt16BE(1) };
}

export function decodeTemplateNumReply(packet: R30xPacket): TemplateNumReply {
  const confirmation = decodeConfirmation(packet);
  if (!expectLength(packet, confirmation, 3, 'TemplateNum') || !confirmation.ok) return { confirmation, count: null };
  return { confirmation, count: packet.payload.readUInt16BE(1) };
}

/**
 * ReadSysPara ack: code, then eight big-endian words in the manual's order —
 * status register, system id, library size, security level, address (2 words),
 * packet-size code, baud multiplier. Same offsets as Adafruit getParameters().
 */
export function decodeReadSysParaReply(packet: R30xPacket): SysParaReply {
  const confirmation = decodeConfirmation(packet);
  if (!expectLength(packet, confirmation, 17, 'ReadSysPara') || !confirmation.ok) return { confirmation, params: null };
  const p = packet.payload;
  const packetSizeCode = p.readUInt16BE(13);
  const packetSizeBytes = PACKET_SIZE_BYTES[packetSizeCode];
  if (packetSizeBytes === undefined) {
    throw new R30xProtocolError(`packet size code ${packetSizeCode} is not 0..3`, at(13));
  }
  const baudMultiplier = p.readUInt16BE(15);
  if (baudMultiplier < 1 || baudMultiplier > BAUD_MULTIPLIER_MAX) {
    throw new R30xProtocolError(`baud multiplier ${baudMultiplier} is not 1..${BAUD_MULTIPLIER_MAX}`, at(15));
  }
  return {
    confirmation,
    params: {
      statusRegister: p.readUInt16BE(1),
      systemId: p.readUInt16BE(3),
      librarySize: p.readUInt16BE(5),
      securityLevel: p.readUInt16BE(7),
      address: p.readUInt32BE(9),
      packetSizeCode,
      packetSizeBytes,
      baudMultiplier,
      baudRate: baudMultiplier * BAUD_UNIT,
    },
  };
}
