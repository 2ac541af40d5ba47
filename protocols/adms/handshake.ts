/**
 * ZKTeco "ADMS" / iclock PUSH protocol: query validation and the handshake
 * (`GET /iclock/cdata?SN=..&options=all`) reply. Body text only; HTTP is the
 * caller's job.
 *
 * Facts from ZKTeco "Attendance PUSH Communication Protocol" (PUSH SDK, doc V4.0
 * 2021-01, push protocol 2.4.2; section 6 "initialisation", section 3 "definitions"):
 *  - reply line 1 is `GET OPTION FROM: ${SerialNumber}`, then `Key=Value` lines joined by LF;
 *  - keys: ${Table}Stamp (ATTLOG, OPERLOG, ATTPHOTO, BIODATA, IDCARD, ERRORLOG), ErrorDelay,
 *    Delay (s), TransTimes (HH:MM;… up to 10), TransInterval (min, 0 = off),
 *    TransFlag (servers should use "TransData AttLog\tOpLog…"), TimeZone (hours if
 *    |tz| < 12, else minutes, e.g. 330), Realtime (0/1), Encrypt, ServerVer, PushProtVer;
 *  - SerialNumber is letters, digits, or both.
 * The older "PUSH SDK Communication Protocol V2.0.1" (2011) uses the same query names.
 */
import { ProtocolError } from '../errors.js';

/** The only error this codec throws or reports. */
export class AdmsProtocolError extends ProtocolError {
  constructor(message: string, where: string) {
    super(message, where, 'adms');
  }
}

export type AdmsResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: AdmsProtocolError };

/** Doc: letters and/or digits. The 32-char cap is ours: real SNs are ~13 chars. */
export const SERIAL_NUMBER_PATTERN = /^[A-Za-z0-9]{1,32}$/;

export function assertSerialNumber(sn: string, where: string): string {
  if (!SERIAL_NUMBER_PATTERN.test(sn)) {
    throw new AdmsProtocolError(`serial number ${JSON.stringify(sn.slice(0, 40))} is not 1-32 letters/digits`, where);
  }
  return sn;
}

/** Table names the doc lets a device upload to /iclock/cdata. */
export const ADMS_TABLES = ['ATTLOG', 'OPERLOG', 'ATTPHOTO', 'BIODATA', 'IDCARD', 'ERRORLOG', 'options'] as const;
export type AdmsTable = (typeof ADMS_TABLES)[number];
const TABLES: ReadonlySet<string> = new Set(ADMS_TABLES);
const isTable = (t: string): t is AdmsTable => TABLES.has(t);

export interface AdmsQuery {
  readonly sn: string;
  readonly table: AdmsTable | null;
  /** Opaque resume marker the device sends back (digits, e.g. "9999"). */
  readonly stamp: string | null;
  /** `options=all` marks the handshake request. */
  readonly options: 'all' | null;
  readonly pushver: string | null;
}

/**
 * Validates the parameters we act on; others (language, DeviceType, INFO, …)
 * are ignored. A repeated parameter is refused: which copy a proxy or framework
 * picks differs, and an SN must never be ambiguous.
 */
export function parseQuery(query: string | URLSearchParams): AdmsResult<AdmsQuery> {
  try {
    const params = typeof query === 'string' ? new URLSearchParams(query) : query;
    const one = (name: string): string | null => {
      const all = params.getAll(name);
      if (all.length > 1) throw new AdmsProtocolError(`parameter ${name} given ${all.length} times`, `query parameter ${name}`);
      return all[0] ?? null;
    };
    const sn = one('SN');
    if (sn === null) throw new AdmsProtocolError('missing SN', 'query parameter SN');
    assertSerialNumber(sn, 'query parameter SN');
    const table = one('table');
    if (table !== null && !isTable(table)) {
      throw new AdmsProtocolError(`unsupported table ${JSON.stringify(table.slice(0, 40))}`, 'query parameter table');
    }
    const stamp = one('Stamp');
    if (stamp !== null && !/^\d{1,20}$/.test(stamp)) {
      throw new AdmsProtocolError(`Stamp ${JSON.stringify(stamp.slice(0, 40))} is not 1-20 digits`, 'query parameter Stamp');
    }
    const options = one('options');
    if (options !== null && options !== 'all') {
      throw new AdmsProtocolError(`options must be "all", got ${JSON.stringify(options.slice(0, 40))}`, 'query parameter options');
    }
    const pushver = one('pushver');
    if (pushver !== null && !/^\d{1,3}(\.\d{1,3}){0,3}$/.test(pushver)) {
      throw new AdmsProtocolError(`pushver ${JSON.stringify(pushver.slice(0, 40))} is not a dotted version`, 'query parameter pushver');
    }
    return { ok: true, value: { sn, table, stamp, options, pushver } };
  } catch (error) {
    if (error instanceof AdmsProtocolError) return { ok: false, error };
    throw error;
  }
}

/** TransFlag string IDs (doc section 6, "format 2"). */
export const TRANS_FLAGS = [
  'AttLog', 'OpLog', 'AttPhoto', 'EnrollUser', 'ChgUser', 'EnrollFP', 'ChgFP', 'FPImag', 'FACE', 'UserPic', 'WORKCODE', 'BioPhoto',
] as const;
export type TransFlag = (typeof TRANS_FLAGS)[number];

export interface HandshakeOptions {
  readonly sn: string;
  /** Per-table resume stamps: "None", or digits ("0" asks for a full re-upload). */
  readonly stamps?: Readonly<Partial<Record<'ATTLOG' | 'OPERLOG' | 'ATTPHOTO', string>>>;
  /** Seconds between retries after a failed connection (doc suggests 30-300). */
  readonly errorDelay: number;
  /** Seconds between command polls (doc suggests 2-60). */
  readonly delay: number;
  /** "HH:MM" times for scheduled upload, at most 10. */
  readonly transTimes: readonly string[];
  /** Minutes between upload checks; 0 disables. */
  readonly transInterval: number;
  readonly transFlags: readonly TransFlag[];
  /** Whole hours (-11..11) or minutes when |tz| > 60 (doc: 330 = UTC+5:30). */
  readonly timeZone: number;
  readonly realtime: boolean;
  readonly serverVer?: string;
  readonly pushProtVer?: string;
}

const TIME_OF_DAY = /^([01]\d|2[0-3]):[0-5]\d$/;

function intIn(value: number, min: number, max: number, key: string): string {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new AdmsProtocolError(`${key} ${String(value)} is not an integer in ${min}..${max}`, `option ${key}`);
  }
  return String(value);
}

/** Values are written raw into `Key=Value` lines, so CR/LF would inject lines. */
function plain(value: string, key: string, pattern: RegExp): string {
  if (!pattern.test(value)) throw new AdmsProtocolError(`${key} ${JSON.stringify(value.slice(0, 40))} is malformed`, `option ${key}`);
  return value;
}

export function formatHandshakeReply(options: HandshakeOptions): string {
  const lines = [`GET OPTION FROM: ${assertSerialNumber(options.sn, 'option sn')}`];
  for (const table of ['ATTLOG', 'OPERLOG', 'ATTPHOTO'] as const) {
    const stamp = options.stamps?.[table];
    if (stamp !== undefined) lines.push(`${table}Stamp=${plain(stamp, `${table}Stamp`, /^(None|\d{1,20})$/)}`);
  }
  if (options.transTimes.length > 10) throw new AdmsProtocolError('more than 10 TransTimes', 'option TransTimes');
  for (const t of options.transTimes) plain(t, 'TransTimes', TIME_OF_DAY);
  if (options.transFlags.length === 0) throw new AdmsProtocolError('TransFlag needs at least one item', 'option TransFlag');
  const known = new Set<string>(TRANS_FLAGS);
  for (const f of options.transFlags) {
    if (!known.has(f)) throw new AdmsProtocolError(`unknown TransFlag item ${JSON.stringify(f)}`, 'option TransFlag');
  }
  // Doc: -12 < tz < 12 means hours; |tz| > 60 means minutes (so +12/+13/+14 go as 720/780/840).
  const tz = options.timeZone;
  const tzOk = Number.isInteger(tz) && ((tz > -12 && tz < 12) || (Math.abs(tz) > 60 && Math.abs(tz) <= 840));
  if (!tzOk) throw new AdmsProtocolError(`TimeZone ${String(tz)} is neither hours (-11..11) nor minutes (61..840)`, 'option TimeZone');
  lines.push(
    `ErrorDelay=${intIn(options.errorDelay, 1, 86400, 'ErrorDelay')}`,
    `Delay=${intIn(options.delay, 1, 86400, 'Delay')}`,
    `TransTimes=${options.transTimes.join(';')}`,
    `TransInterval=${intIn(options.transInterval, 0, 1440, 'TransInterval')}`,
    `TransFlag=TransData ${options.transFlags.join('\t')}`,
    `TimeZone=${tz}`,
    `Realtime=${options.realtime ? 1 : 0}`,
    // We cannot decrypt ZKTeco's encrypted transfer, so never ask for it.
    'Encrypt=None',
  );
  const version = /^[0-9A-Za-z.:/ -]{1,40}$/;
  if (options.serverVer !== undefined) lines.push(`ServerVer=${plain(options.serverVer, 'ServerVer', version)}`);
  if (options.pushProtVer !== undefined) lines.push(`PushProtVer=${plain(options.pushProtVer, 'PushProtVer', /^\d{1,3}(\.\d{1,3}){0,3}$/)}`);
  return lines.join('\n');
}

export interface HandshakeReply {
  readonly sn: string;
  /** Key → raw value, in the order received. */
  readonly options: ReadonlyMap<string, string>;
}

/** Inverse of formatHandshakeReply, for device simulators and tests. Accepts CRLF. */
export function parseHandshakeReply(text: string): HandshakeReply {
  const lines = text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  while (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
  const first = /^GET OPTION FROM: ?(.*)$/.exec(lines[0] ?? '');
  if (!first) throw new AdmsProtocolError('first line must be "GET OPTION FROM: <SN>"', 'line 1');
  const sn = assertSerialNumber(first[1] ?? '', 'line 1');
  const options = new Map<string, string>();
  lines.slice(1).forEach((line, i) => {
    const eq = line.indexOf('=');
    if (eq <= 0) throw new AdmsProtocolError('expected Key=Value', `line ${i + 2}`);
    const key = line.slice(0, eq);
    if (options.has(key)) throw new AdmsProtocolError(`duplicate key ${key}`, `line ${i + 2}`);
    options.set(key, line.slice(eq + 1));
  });
  return { sn, options };
}
