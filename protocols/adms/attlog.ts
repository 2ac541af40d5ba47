/**
 * ATTLOG upload body (`POST /iclock/cdata?SN=..&table=ATTLOG&Stamp=..`) and its ack.
 *
 * Facts from ZKTeco "Attendance PUSH Communication Protocol" (doc V4.0, section 11.2):
 *  - one record per LF-separated line, fields separated by HT:
 *    Pin, Time ("YYYY-MM-DD HH:MM:SS"), Status, Verify, Workcode, Reserved1, Reserved2,
 *    then (newer firmware) MaskFlag, Temperature, ConvTemperature, TimeOffset, ExtendData;
 *  - the older V2.0.1 doc notes some devices omit the last three fields;
 *  - the server answers `OK:${n}`, n = records processed; the doc's example for nine
 *    lines is `OK:9` with Content-Length 4, i.e. no space after the colon.
 * Real captures also show an empty Workcode and a trailing HT
 * ("1156\t2024-08-05 12:40:57\t1\t1\t\t0\t0\t") and Status/Verify values up to 255.
 *
 * Time is the terminal's wall clock with no zone: we keep it naive and let the
 * caller apply the site's configured zone. Converting here would bake in a guess.
 */
import { AdmsProtocolError } from './handshake.js';

export interface NaiveDateTime {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
}

export interface AttlogPunch {
  /** 1-based line number in the body, to trace a punch back to the raw upload. */
  readonly line: number;
  readonly pin: string;
  readonly deviceTime: NaiveDateTime;
  /** Attendance state (0 check-in, 1 check-out, …; devices use up to 255). */
  readonly status: number;
  /** Verify mode (e.g. 1 fingerprint, 15 face; device-specific, up to 255). */
  readonly verify: number;
  /** Null when the field is absent or empty. */
  readonly workcode: string | null;
}

export interface AttlogLineError {
  readonly line: number;
  readonly reason: string;
  readonly error: AdmsProtocolError;
}

export interface AttlogParseResult {
  readonly punches: AttlogPunch[];
  readonly errors: AttlogLineError[];
}

/** PIN charset is our choice: digits in practice, some sites use letters, '_' or '-'. */
const PIN = /^[A-Za-z0-9_-]{1,24}$/;
const WORKCODE = /^[A-Za-z0-9_-]{1,24}$/;
const DATETIME = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/;
const SMALL_INT = /^\d{1,3}$/;
/** Earlier years are a reset/dead RTC battery, later ones a typo; report, don't store. */
const MIN_YEAR = 1970;
const MAX_YEAR = 2099;

const isLeap = (y: number): boolean => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

export function daysInMonth(year: number, month: number): number {
  return month === 2 && isLeap(year) ? 29 : (DAYS[month - 1] ?? 0);
}

class FieldError extends Error {
  constructor(
    readonly field: number,
    message: string,
  ) {
    super(message);
  }
}

/** Parses "YYYY-MM-DD HH:MM:SS" and checks it is a real calendar time. */
export function parseDeviceTime(text: string): NaiveDateTime | string {
  const m = DATETIME.exec(text);
  if (!m) return `time ${JSON.stringify(text.slice(0, 40))} is not "YYYY-MM-DD HH:MM:SS"`;
  const [year, month, day, hour, minute, second] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  if (year < MIN_YEAR || year > MAX_YEAR) return `year ${year} outside ${MIN_YEAR}..${MAX_YEAR}`;
  if (month < 1 || month > 12) return `month ${month} is not 1..12`;
  if (day < 1 || day > daysInMonth(year, month)) return `day ${day} does not exist in ${year}-${String(month).padStart(2, '0')}`;
  if (hour > 23 || minute > 59 || second > 59) return `time of day ${m[4]}:${m[5]}:${m[6]} is out of range`;
  return { year, month, day, hour, minute, second };
}

function byte(text: string | undefined, field: number, name: string): number {
  if (text === undefined) throw new FieldError(field, `missing ${name}`);
  const n = SMALL_INT.test(text) ? Number(text) : NaN;
  if (!(n <= 255)) throw new FieldError(field, `${name} ${JSON.stringify(text.slice(0, 40))} is not an integer 0..255`);
  return n;
}

function parseLine(text: string, line: number): AttlogPunch {
  const fields = text.split('\t');
  if (fields.length < 2) throw new FieldError(1, 'no tab-separated fields');
  const pin = fields[0] ?? '';
  if (!PIN.test(pin)) throw new FieldError(1, `PIN ${JSON.stringify(pin.slice(0, 40))} is not 1-24 letters/digits/_/-`);
  const deviceTime = parseDeviceTime(fields[1] ?? '');
  if (typeof deviceTime === 'string') throw new FieldError(2, deviceTime);
  const status = byte(fields[2], 3, 'status');
  const verify = byte(fields[3], 4, 'verify');
  const raw = fields[4];
  const workcode = raw === undefined || raw === '' ? null : raw;
  if (workcode !== null && !WORKCODE.test(workcode)) {
    throw new FieldError(5, `workcode ${JSON.stringify(workcode.slice(0, 40))} is not 1-24 letters/digits/_/-`);
  }
  // Reserved and newer fields (mask, temperature, offset, GPS) are not used yet.
  return { line, pin, deviceTime, status, verify, workcode };
}

/**
 * Never throws for bad content: each unusable line becomes an entry in `errors`
 * and the remaining lines are still parsed, so one garbled punch cannot cost the
 * rest of the batch. Blank lines (and the usual trailing LF) are skipped.
 */
export function parseAttlogBody(text: string): AttlogParseResult {
  const punches: AttlogPunch[] = [];
  const errors: AttlogLineError[] = [];
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  body.split('\n').forEach((rawLine, index) => {
    const line = index + 1;
    const content = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
    if (content.trim() === '') return;
    try {
      punches.push(parseLine(content, line));
    } catch (e) {
      if (!(e instanceof FieldError)) throw e;
      const error = new AdmsProtocolError(e.message, `line ${line}, field ${e.field}`);
      errors.push({ line, reason: e.message, error });
    }
  });
  return { punches, errors };
}

/** `OK:<n>` as in the PUSH doc example (see file comment). */
export function formatAttlogAck(count: number): string {
  if (!Number.isSafeInteger(count) || count < 0) {
    throw new AdmsProtocolError(`count ${String(count)} is not a non-negative integer`, 'argument count');
  }
  return `OK:${count}`;
}
