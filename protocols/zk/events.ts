/**
 * Realtime events (CMD_REG_EVENT, 500).
 *
 * Subscribing: send REG_EVENT with a LE u32 flag mask, EF_ATTLOG = 1 for punches
 * [pyzk base.py reg_event / live_capture]. Zero unsubscribes.
 *
 * Event packets [zk-protocol protocol.md "Realtime Packet Payload"]: command
 * REG_EVENT, the session field holds the event code, reply id 0. The client
 * answers each with ACK_OK carrying its own session id and reply id 0
 * [zk-protocol sections/realtime.md].
 *
 * Attendance payloads differ per firmware; the length tells them apart
 * [pyzk base.py live_capture; PRs #25 (32), #154 (37), #171 (10, 14)]:
 *   10: userId u16 | verify u8 | status u8 | time6
 *   12: userId u32 | verify u8 | status u8 | time6
 *   14: userId u16 | verify u8 | status u8 | time6 | 4 unknown
 *   32: userId 24 bytes NUL-padded | verify u8 | status u8 | time6
 *   36: as 32 + 4 unknown;  37: as 32 + 5 unknown;  52: as 32 + 20 unknown (may repeat)
 * time6 = year-2000, month, day, hour, minute, second [realtime.md].
 * pyzk calls byte 24 "status" and byte 25 "punch"; a public 32-byte capture
 * (kurenai-ryu/pyzk issue #8) has 0x0f there, the face verify type, so byte 24
 * is the verify type and byte 25 the punch state.
 */
import { CMD, EF, LIVE_ATT_LENGTHS } from './constants.js';
import type { LiveAttLength } from './constants.js';
import { ZkProtocolError, asBuffer, requireUint } from './errors.js';
import type { ZkPacket, ZkPacketFields } from './frame.js';
import type { NaiveDateTime } from './time.js';
import { decodeTimeHex6, encodeTimeHex6 } from './time.js';

export interface ZkLiveAttendance {
  /** PIN as text (numeric layouts are rendered in decimal). */
  readonly userId: string;
  readonly verify: number;
  /** Punch state. */
  readonly status: number;
  readonly deviceTime: NaiveDateTime;
  /** Which payload layout carried it, for diagnostics. */
  readonly layout: LiveAttLength;
}

/** A realtime packet split into its event code and payload. */
export interface ZkEvent {
  readonly event: number;
  readonly data: Buffer;
}

/** Data of the REG_EVENT request: LE u32 flag mask. */
export function encodeRegEventRequest(flags: number): Buffer {
  requireUint(flags, 0xffffffff, 'flags');
  const out = Buffer.alloc(4);
  out.writeUInt32LE(flags, 0);
  return out;
}

/** Tell a realtime packet from a reply; throws if `packet` is not REG_EVENT. */
export function decodeEventPacket(packet: ZkPacket): ZkEvent {
  if (packet.command !== CMD.REG_EVENT) {
    throw new ZkProtocolError(`expected REG_EVENT (${CMD.REG_EVENT}), got command ${packet.command}`, 'byte 0');
  }
  return { event: packet.sessionId, data: packet.data };
}

/** The realtime packet a terminal sends (for the simulator). */
export function eventPacketFields(event: number, data: Uint8Array): ZkPacketFields {
  return { command: CMD.REG_EVENT, sessionId: event, replyId: 0, data };
}

/** The acknowledgement a client sends for every realtime packet. */
export function eventAckFields(sessionId: number): ZkPacketFields {
  return { command: CMD.ACK_OK, sessionId, replyId: 0 };
}

const TEXT_PIN = 24;
const NUMERIC16 = new Set<number>([10, 14]);

function decodeOne(buf: Buffer, off: number, layout: LiveAttLength): ZkLiveAttendance {
  let userId: string;
  let p: number; // offset of the verify byte
  if (layout === 12) {
    userId = String(buf.readUInt32LE(off));
    p = off + 4;
  } else if (NUMERIC16.has(layout)) {
    userId = String(buf.readUInt16LE(off));
    p = off + 2;
  } else {
    const field = buf.subarray(off, off + TEXT_PIN);
    const end = field.indexOf(0);
    userId = field.subarray(0, end < 0 ? TEXT_PIN : end).toString('latin1');
    p = off + TEXT_PIN;
  }
  return { userId, verify: buf[p] ?? 0, status: buf[p + 1] ?? 0, deviceTime: decodeTimeHex6(buf, p + 2), layout };
}

/**
 * Decode the data of an EF_ATTLOG event. Returns every punch it carries (52-byte
 * records may arrive back to back). Unknown lengths are an error, not a guess.
 */
export function decodeLiveAttendance(bytes: Uint8Array): ZkLiveAttendance[] {
  const buf = asBuffer(bytes);
  const n = buf.length;
  if (n >= 52) {
    if (n % 52 !== 0) {
      throw new ZkProtocolError(`live attendance payload of ${n} bytes is not a whole number of 52-byte records`, `byte ${n - (n % 52)}`);
    }
    const out: ZkLiveAttendance[] = [];
    for (let off = 0; off < n; off += 52) out.push(decodeOne(buf, off, 52));
    return out;
  }
  const layout = LIVE_ATT_LENGTHS.find((l) => l === n);
  if (layout === undefined) {
    throw new ZkProtocolError(`unknown live attendance payload length ${n} (known: ${LIVE_ATT_LENGTHS.join(', ')})`, `byte ${n}`);
  }
  return [decodeOne(buf, 0, layout)];
}

/** Decode a whole realtime packet if it is an attendance event; other events give undefined. */
export function decodeLiveAttendancePacket(packet: ZkPacket): ZkLiveAttendance[] | undefined {
  const { event, data } = decodeEventPacket(packet);
  return event === EF.ATTLOG ? decodeLiveAttendance(data) : undefined;
}

/** Encode one punch in the given firmware layout (what a terminal would send). */
export function encodeLiveAttendance(ev: Omit<ZkLiveAttendance, 'layout'>, layout: LiveAttLength): Buffer {
  if (!LIVE_ATT_LENGTHS.includes(layout)) throw new ZkProtocolError(`unknown live layout ${String(layout)}`, 'layout');
  requireUint(ev.verify, 0xff, 'verify');
  requireUint(ev.status, 0xff, 'status');
  const out = Buffer.alloc(layout);
  let p: number;
  if (layout === 12 || NUMERIC16.has(layout)) {
    const max = layout === 12 ? 0xffffffff : 0xffff;
    const id = /^\d{1,10}$/.test(ev.userId) ? Number(ev.userId) : NaN;
    if (!(id <= max) || String(id) !== ev.userId) {
      throw new ZkProtocolError(`layout ${layout} stores userId as a number 0..${max}, got ${JSON.stringify(ev.userId)}`, 'userId');
    }
    if (layout === 12) out.writeUInt32LE(id, 0);
    else out.writeUInt16LE(id, 0);
    p = layout === 12 ? 4 : 2;
  } else {
    if (ev.userId.length > TEXT_PIN || !/^[\u0001-\u00ff]*$/.test(ev.userId)) {
      throw new ZkProtocolError(`userId must be at most ${TEXT_PIN} latin1 chars without NUL`, 'userId');
    }
    out.write(ev.userId, 0, 'latin1');
    p = TEXT_PIN;
  }
  out[p] = ev.verify;
  out[p + 1] = ev.status;
  out.set(encodeTimeHex6(ev.deviceTime), p + 2);
  return out;
}
