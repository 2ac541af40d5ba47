/**
 * ZK time encodings. Terminals keep a wall clock with no time zone, so every
 * value here is a naive local date-time; attaching a zone is the driver's job
 * (it knows where the office is).
 *
 * Encoded u32 [adrobinoga/zk-protocol sections/terminal.md "Get Time"; pyzk
 * base.py __encode_time/__decode_time]: every month counts as 31 days and every
 * year as 12 such months:
 *   t = ((year % 100) * 372 + (month - 1) * 31 + day - 1) * 86400
 *       + (hour * 60 + minute) * 60 + second
 *
 * 6-byte form used by live events [zk-protocol sections/realtime.md
 * "Attendace Realtime Log"; pyzk __decode_timehex]:
 *   year - 2000, month, day, hour, minute, second (one byte each).
 */
import { ZkProtocolError, asBuffer, requireBytes } from './errors.js';

/** A wall-clock reading of the terminal. No zone, no offset, no DST. */
export interface NaiveDateTime {
  readonly year: number;
  readonly month: number; // 1..12
  readonly day: number; // 1..31
  readonly hour: number; // 0..23
  readonly minute: number; // 0..59
  readonly second: number; // 0..59
}

const SECONDS_PER_DAY = 86_400;

export function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

export function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/**
 * Reject anything that is not a real calendar date-time. The 31-days-a-month
 * encoding can express 31 February; a terminal never produces it, so seeing
 * one means the bytes are not a timestamp.
 */
export function validateNaive(t: NaiveDateTime, minYear: number, maxYear: number, where?: string): void {
  const fail = (field: string, msg: string): never => {
    throw new ZkProtocolError(msg, where ?? field);
  };
  const check = (field: keyof NaiveDateTime, min: number, max: number): void => {
    const v = t[field];
    if (!Number.isInteger(v) || v < min || v > max) fail(field, `${field} ${String(v)} outside ${min}..${max}`);
  };
  check('year', minYear, maxYear);
  check('month', 1, 12);
  check('hour', 0, 23);
  check('minute', 0, 59);
  check('second', 0, 59);
  const dim = daysInMonth(t.year, t.month);
  check('day', 1, 31);
  if (t.day > dim) fail('day', `day ${t.day} does not exist in ${t.year}-${pad(t.month)} (${dim} days)`);
}

/** Encode to the u32 form. Only 2000..2099 round-trips: the formula keeps year % 100. */
export function encodeZkTime(t: NaiveDateTime): number {
  validateNaive(t, 2000, 2099);
  const days = (t.year % 100) * 12 * 31 + (t.month - 1) * 31 + (t.day - 1);
  return days * SECONDS_PER_DAY + (t.hour * 60 + t.minute) * 60 + t.second;
}

/**
 * Decode the u32 form. Years past 2099 are reported as such (up to 2133 fits
 * in a u32) rather than wrapped, since the firmware only counts upward.
 */
export function decodeZkTime(value: number, where = 'time'): NaiveDateTime {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new ZkProtocolError(`encoded time must be a u32, got ${String(value)}`, where);
  }
  let rest = value;
  const second = rest % 60;
  rest = Math.floor(rest / 60);
  const minute = rest % 60;
  rest = Math.floor(rest / 60);
  const hour = rest % 24;
  rest = Math.floor(rest / 24);
  const day = (rest % 31) + 1;
  rest = Math.floor(rest / 31);
  const month = (rest % 12) + 1;
  const year = Math.floor(rest / 12) + 2000;
  const t: NaiveDateTime = { year, month, day, hour, minute, second };
  if (day > daysInMonth(year, month)) {
    throw new ZkProtocolError(`encoded time 0x${value.toString(16)} names ${year}-${pad(month)}-${pad(day)}, which does not exist`, where);
  }
  return t;
}

/** Read an encoded time at `offset` (LE u32), reporting errors at that byte. */
export function readZkTime(bytes: Uint8Array, offset: number): NaiveDateTime {
  const buf = asBuffer(bytes);
  requireBytes(buf, offset, 4, 'encoded time');
  return decodeZkTime(buf.readUInt32LE(offset), `byte ${offset}`);
}

export function writeZkTime(buf: Buffer, offset: number, t: NaiveDateTime): void {
  buf.writeUInt32LE(encodeZkTime(t), offset);
}

/** Decode the 6-byte live-event form at `offset`. */
export function decodeTimeHex6(bytes: Uint8Array, offset = 0): NaiveDateTime {
  requireBytes(bytes, offset, 6, '6-byte time');
  const b = (i: number): number => bytes[offset + i] ?? 0;
  const t: NaiveDateTime = { year: 2000 + b(0), month: b(1), day: b(2), hour: b(3), minute: b(4), second: b(5) };
  validateNaive(t, 2000, 2255, `byte ${offset}`);
  return t;
}

/** Encode the 6-byte live-event form (years 2000..2255 fit the first byte). */
export function encodeTimeHex6(t: NaiveDateTime): Buffer {
  validateNaive(t, 2000, 2255);
  return Buffer.from([t.year - 2000, t.month, t.day, t.hour, t.minute, t.second]);
}

/** Data of a GET_TIME reply (ACK_OK carrying a LE u32) [terminal.md "Get Time"]. */
export function decodeGetTimeReply(data: Uint8Array): NaiveDateTime {
  return readZkTime(data, 0);
}

/** Data of a SET_TIME request (LE u32) [terminal.md "Set Time"]. */
export function encodeSetTimeRequest(t: NaiveDateTime): Buffer {
  const out = Buffer.alloc(4);
  writeZkTime(out, 0, t);
  return out;
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

/** "YYYY-MM-DD HH:MM:SS", the form logs and the central store use for naive times. */
export function formatNaive(t: NaiveDateTime): string {
  return `${t.year}-${pad(t.month)}-${pad(t.day)} ${pad(t.hour)}:${pad(t.minute)}:${pad(t.second)}`;
}

/** Total order for naive times (negative, zero, positive), e.g. to sort a log. */
export function compareNaive(a: NaiveDateTime, b: NaiveDateTime): number {
  return (
    a.year - b.year || a.month - b.month || a.day - b.day || a.hour - b.hour || a.minute - b.minute || a.second - b.second
  );
}

