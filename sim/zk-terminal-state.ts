/**
 * Device-side state of the simulated ZK terminal: options, per-session state,
 * its drifting wall clock, its attendance log, and the framer of its serial
 * line. No I/O; `zk-terminal.ts` owns the sockets.
 */
import {
  PACKET_HEADER_SIZE,
  TCP_HEADER_SIZE,
  TCP_MAGIC,
  decodeTcpFrame,
  encodeAttendanceRecord,
  type AttRecordSize,
  type LiveAttLength,
  type NaiveDateTime,
  type ZkAttendanceRecord,
  type ZkFreeSizes,
  type ZkPacket,
} from '../protocols/zk/index.js';

export interface ZkSimOptions {
  /** IANA zone of the device clock, e.g. 'Asia/Makassar'. */
  zone: string;
  /** 0 = no auth; else CONNECT answers ACK_UNAUTH and CMD_AUTH must carry makeCommKey(commKey, sessionId). */
  commKey?: number;
  /** Firmware variant of the ATTLOG records (default 40). */
  recordSize?: 8 | 16 | 40 | 49;
  /** Layout of realtime EF_ATTLOG payloads (default 36, pyzk's "class 2"). */
  liveLayout?: LiveAttLength;
  /** Device clock minus true time at start. */
  clockOffsetMs?: number;
  /** Extra drift, parts per million of elapsed real time. */
  clockDriftPpm?: number;
  /** Largest DATA payload per packet when answering READ_BUFFER (default MAX_CHUNK_TCP; UDP caps at 1024). */
  maxChunk?: number;
  /** Attendance log capacity reported by GET_FREE_SIZES (default 100000). */
  capacity?: number;
  /** First session id handed out (then +1 per CONNECT); lets tests replay captured bytes. */
  firstSessionId?: number;
}

export interface ZkSimFaults {
  /** Close the TCP connection (stop answering / forget the session on UDP) after serving this many READ_BUFFER chunks; once. */
  dropAfterChunks?: number;
  /** The next READ_BUFFER answer carries half the bytes it announces (once). */
  shortChunk?: boolean;
  /** Answer nothing and send no events until cleared (a hung terminal). */
  ignoreRequests?: boolean;
}

/**
 * Test hooks: plain functions the test sets, run synchronously inside the device.
 * `onRequest` runs when a request has arrived and before the device acts on it, so
 * a punch made there lands exactly between the previous request and this one (e.g.
 * between the client's record count and its CLEAR_ATTLOG) with no timing involved.
 * A hook that throws makes the device answer ACK_ERROR, as for bad data: record what
 * the hook saw and assert afterwards.
 */
export interface ZkSimHooks {
  onRequest?: (command: number) => void;
}

export interface ZkSimStats {
  connects: number;
  authFailures: number;
  chunksServed: number;
  eventsSent: number;
  eventsAcked: number;
  clears: number;
  setTimes: number;
  /** DISABLEDEVICE / ENABLEDEVICE requests answered (also counts repeats). */
  disables: number;
  enables: number;
  /** Punches made while disabled, recorded later when the device was enabled again. */
  heldPunches: number;
}

/** Where one session's packets go. `drop` ends the connection (TCP), forgets the peer (UDP) or resets (stream). */
export interface Link {
  readonly kind: 'tcp' | 'udp' | 'stream';
  send(inner: Buffer): void;
  /** `graceful`: flush what was sent first (EXIT) instead of cutting the line (fault). */
  drop(graceful?: boolean): void;
}

/** Per-session protocol state (TCP connection, UDP peer, or the one session of a stream). */
export class Session {
  id = 0;
  connected = false;
  authed = false;
  eventFlags = 0;
  pendingAcks = 0;
  /** The data set snapshotted by PREPARE_BUFFER, until FREE_DATA. */
  buffer: Buffer | undefined;
  constructor(readonly link: Link) {}

  reset(): void {
    this.connected = false;
    this.authed = false;
    this.eventFlags = 0;
    this.pendingAcks = 0;
    this.buffer = undefined;
  }
}

/** OPTIONS_RRQ answers ("name=value\0" [terminal.md]); other names get ACK_ERROR, as on devices lacking them. */
export const DEVICE_OPTIONS: Readonly<Record<string, string>> = {
  '~SerialNumber': 'SIM0000000001',
  '~DeviceName': 'ZK-SIM',
  '~Platform': 'ZMM220_TFT',
  '~ZKFPVersion': '10',
  '~PIN2Width': '9',
  MAC: '00:17:61:00:00:01',
};
export const FIRMWARE_VERSION = 'Ver 6.60 Sim 2024';
const USERS_CAPACITY = 10_000;
const FINGERS_CAPACITY = 3_000;

const HOUR_MS = 3_600_000;

/** Wall-clock conversions for one IANA zone, with the zone offset cached per UTC hour. */
export class ZoneClock {
  private readonly fmt: Intl.DateTimeFormat;
  private readonly offsets = new Map<number, number>();

  constructor(readonly zone: string) {
    // Throws RangeError for an unknown zone, which is what a constructor caller wants.
    this.fmt = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  }

  /** Zone offset (local minus UTC, ms) in force at `ms`. Offsets change on whole UTC hours in practice. */
  offsetAt(ms: number): number {
    const key = Math.floor(ms / HOUR_MS);
    const cached = this.offsets.get(key);
    if (cached !== undefined) return cached;
    const at = key * HOUR_MS;
    const parts = this.fmt.formatToParts(new Date(at));
    const get = (type: string): number => Number(parts.find((p) => p.type === type)?.value ?? '0');
    const local = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour') % 24, get('minute'), get('second'));
    const offset = local - at;
    if (this.offsets.size > 10_000) this.offsets.clear();
    this.offsets.set(key, offset);
    return offset;
  }

  /** The wall-clock reading at instant `ms` (truncated to whole seconds). */
  naiveAt(ms: number): NaiveDateTime {
    const d = new Date(Math.floor((ms + this.offsetAt(ms)) / 1000) * 1000);
    return {
      year: d.getUTCFullYear(),
      month: d.getUTCMonth() + 1,
      day: d.getUTCDate(),
      hour: d.getUTCHours(),
      minute: d.getUTCMinutes(),
      second: d.getUTCSeconds(),
    };
  }

  /** The instant a wall-clock reading names (the earlier one in a DST overlap). */
  instantOf(t: NaiveDateTime): number {
    const asUtc = Date.UTC(t.year, t.month - 1, t.day, t.hour, t.minute, t.second);
    const first = asUtc - this.offsetAt(asUtc);
    const second = asUtc - this.offsetAt(first);
    return Math.min(first, second);
  }
}

/**
 * A terminal clock: true time plus an offset, plus drift in parts per million
 * of the real time elapsed since the clock was last set.
 */
export class DeviceClock {
  private readonly wall: ZoneClock;
  private baseMs: number;
  private offsetMs: number;

  constructor(zone: string, offsetMs = 0, readonly driftPpm = 0, nowMs: number = Date.now()) {
    this.wall = new ZoneClock(zone);
    this.baseMs = nowMs;
    this.offsetMs = offsetMs;
  }

  /** The instant the device believes it is when the true time is `atMs`. */
  deviceInstant(atMs: number = Date.now()): number {
    return atMs + this.offsetMs + ((atMs - this.baseMs) * this.driftPpm) / 1e6;
  }

  /** What the display shows at true time `atMs`. */
  read(atMs: number = Date.now()): NaiveDateTime {
    return this.wall.naiveAt(this.deviceInstant(atMs));
  }

  /** SET_TIME: from now on the clock shows `t` (in its zone); drift restarts from here. */
  set(t: NaiveDateTime, nowMs: number = Date.now()): void {
    this.offsetMs = this.wall.instantOf(t) - nowMs;
    this.baseMs = nowMs;
  }
}

/**
 * The attendance log as stored, plus its wire encoding kept up to date on
 * every append, so a PREPARE_BUFFER of 100,000 records costs one copy. The
 * snapshot is byte-identical to encodeAttendanceLog(records, recordSize).
 */
export class AttendanceStore {
  private readonly list: ZkAttendanceRecord[] = [];
  private readonly serials = new Map<string, number>();
  private body: Buffer = Buffer.alloc(0);
  private used = 0;

  constructor(readonly recordSize: AttRecordSize) {}

  get records(): readonly ZkAttendanceRecord[] {
    return this.list;
  }

  get count(): number {
    return this.list.length;
  }

  /** Users the terminal knows (every PIN ever seen, as enrolled users survive a log clear). */
  get users(): number {
    return this.serials.size;
  }

  /** Build a record in this firmware's layout (the 8-byte layout keys on the serial, 16-byte has none). */
  makeRecord(userId: string, deviceTime: NaiveDateTime, status: number, verify: number): ZkAttendanceRecord {
    if (this.recordSize === 16) return { userId, deviceTime, status, verify, workcode: 0 }; // as decoded back
    let userSn: number;
    if (this.recordSize === 8) {
      userSn = /^\d{1,5}$/.test(userId) ? Number(userId) : NaN; // encodeAttendanceRecord rejects a mismatch
    } else {
      userSn = this.serials.get(userId) ?? this.serials.size + 1;
    }
    return { userSn, userId, deviceTime, status, verify };
  }

  /** Encodes first, so a record the layout cannot carry throws and leaves the log untouched. */
  append(rec: ZkAttendanceRecord): void {
    const bytes = encodeAttendanceRecord(rec, this.recordSize);
    if (this.used + bytes.length > this.body.length) {
      const grown = Buffer.alloc(Math.max(4096, this.body.length * 2, this.used + bytes.length));
      this.body.copy(grown, 0, 0, this.used);
      this.body = grown;
    }
    bytes.copy(this.body, this.used);
    this.used += bytes.length;
    this.list.push(rec);
    if (!this.serials.has(rec.userId)) this.serials.set(rec.userId, rec.userSn ?? this.serials.size + 1);
  }

  /** The ATTLOG data set: u32 LE size of the records, then the records (own copy). */
  snapshot(): Buffer {
    const out = Buffer.allocUnsafe(4 + this.used);
    out.writeUInt32LE(this.used, 0);
    this.body.copy(out, 4, 0, this.used);
    return out;
  }

  /** GET_FREE_SIZES counters; the 92-byte form (with face counters) as terminal.md describes. */
  freeSizes(recordsCapacity: number): ZkFreeSizes {
    const users = this.users;
    const records = this.count;
    return {
      users, fingers: 0, records, oplogs: 0, admins: 0, passwords: 0,
      fingersCapacity: FINGERS_CAPACITY, usersCapacity: USERS_CAPACITY, recordsCapacity,
      fingersAvailable: FINGERS_CAPACITY, usersAvailable: Math.max(0, USERS_CAPACITY - users),
      recordsAvailable: Math.max(0, recordsCapacity - records), faces: 0, facesCapacity: 0,
    };
  }

  clear(): void {
    this.list.length = 0;
    this.used = 0;
    this.body = Buffer.alloc(0);
  }
}

/**
 * Frames from a serial byte stream, which has noise between (and inside) frames: skip to
 * the next magic, take `length` bytes, and on a bad frame move one byte on and search again.
 */
export class StreamFramer {
  private pending = Buffer.alloc(0);

  push(chunk: Buffer): ZkPacket[] {
    this.pending = Buffer.concat([this.pending, chunk]);
    const out: ZkPacket[] = [];
    for (;;) {
      const at = this.pending.indexOf(TCP_MAGIC);
      if (at < 0) {
        this.pending = this.pending.subarray(Math.max(0, this.pending.length - (TCP_MAGIC.length - 1)));
        return out;
      }
      this.pending = this.pending.subarray(at);
      if (this.pending.length < TCP_HEADER_SIZE) return out;
      const length = this.pending.readUInt32LE(4);
      if (length >= PACKET_HEADER_SIZE && length <= 1 << 20) {
        if (this.pending.length < TCP_HEADER_SIZE + length) return out;
        try {
          out.push(decodeTcpFrame(this.pending.subarray(0, TCP_HEADER_SIZE + length)));
          this.pending = this.pending.subarray(TCP_HEADER_SIZE + length);
          continue;
        } catch {
          // bad checksum: resync below
        }
      }
      this.pending = this.pending.subarray(1);
    }
  }

  reset(): void {
    this.pending = Buffer.alloc(0);
  }
}
