/**
 * A simulated ZKTeco attendance terminal speaking the ZK binary protocol over
 * TCP, UDP and a byte stream (serial), for tests and the demo. All encoding
 * goes through the pure codec in protocols/zk; the device behaviour follows
 * adrobinoga/zk-protocol (protocol.md, sections/*.md) and fananimi/pyzk base.py:
 *  - CONNECT answers ACK_OK with a fresh session id (ACK_UNAUTH with a comm
 *    key); a second CONNECT on the same connection keeps the id [terminal.md].
 *  - Small data sets (< 1 KiB) answer PREPARE_BUFFER with DATA inline, larger
 *    ones with ACK_OK + "data stat"; each READ_BUFFER gets PREPARE_DATA, DATA
 *    packet(s), ACK_OK, all with the request's reply id [ex_data.md].
 *  - On UDP the DATA packets carry 1024 bytes each: pyzk's UDP loop reads
 *    1024 + 8 byte datagrams and counts 1024 per DATA [base.py __recieve_chunk].
 *  - Realtime packets: command REG_EVENT, event code in the session field,
 *    reply id 0; the client acknowledges each with ACK_OK [realtime.md].
 *  - DISABLEDEVICE makes the whole device (not one session) refuse fingerprint,
 *    keypad and card input until ENABLEDEVICE; clients disable it around reads
 *    and clears [other.md "Enable/Disable Device"]. It stays disabled when the
 *    session that disabled it drops. An optional u32 LE argument is a timeout in
 *    seconds after which the device enables itself (pyzatt disable_device(timer),
 *    the SDK's DisableDeviceWithTimeOut); without it only ENABLEDEVICE ends it.
 * Known simplification: real devices put session 0 in the DATA packets of a
 * buffered read (js_zklib #53, pyzk test.py captures); the sim uses the session id.
 */
import { createServer, isIPv6, type Server, type Socket } from 'node:net';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import {
  CMD,
  EF,
  MAX_CHUNK_TCP,
  ZkTcpDeframer,
  decodePacket,
  decodePrepareBufferRequest,
  decodeReadBufferRequest,
  decodeZkTime,
  encodeFreeSizes,
  encodeLiveAttendance,
  encodePacket,
  encodePrepareBufferReply,
  encodePrepareData,
  encodeZkTime,
  eventPacketFields,
  verifyCommKey,
  wrapTcp,
  type LiveAttLength,
  type NaiveDateTime,
  type ZkAttendanceRecord,
  type ZkPacket,
  type ZkPacketFields,
} from '../protocols/zk/index.js';
import { AttendanceStore, DEVICE_OPTIONS, DeviceClock, FIRMWARE_VERSION, Session, StreamFramer } from './zk-terminal-state.js';
import type { Link, ZkSimFaults, ZkSimHooks, ZkSimOptions, ZkSimStats } from './zk-terminal-state.js';

export type { ZkSimFaults, ZkSimHooks, ZkSimOptions, ZkSimStats } from './zk-terminal-state.js';

const INLINE_LIMIT = 1024; // ex_data.md: "small sets of data (approx. less than 1KB)" come back as DATA
const UDP_DATA_SIZE = 1024;

export class ZkTerminalSim {
  faults: ZkSimFaults = {};
  hooks: ZkSimHooks = {};
  readonly stats: ZkSimStats = { connects: 0, authFailures: 0, chunksServed: 0, eventsSent: 0, eventsAcked: 0, clears: 0, setTimes: 0, disables: 0, enables: 0, heldPunches: 0 };

  private readonly clock: DeviceClock;
  private readonly store: AttendanceStore;
  private readonly commKey: number;
  private readonly liveLayout: LiveAttLength;
  private readonly maxChunk: number;
  private readonly capacity: number;
  private nextSession: number;
  private dropArmedAt: number | undefined;
  private readonly sessions = new Set<Session>();
  private readonly udpPeers = new Map<string, Session>();
  private readonly servers: Server[] = [];
  private readonly sockets = new Set<Socket>();
  private readonly udpSockets: UdpSocket[] = [];
  private readonly detachers: Array<() => void> = [];
  /** Set while disabled (device-wide, whichever session sent DISABLEDEVICE); the timer of a timed disable. */
  private disabledState: { timer: NodeJS.Timeout | undefined } | undefined;
  /** Punches made while disabled, in order, waiting for the device to be enabled. */
  private readonly held: ZkAttendanceRecord[] = [];

  constructor(options: ZkSimOptions) {
    this.clock = new DeviceClock(options.zone, options.clockOffsetMs ?? 0, options.clockDriftPpm ?? 0);
    this.store = new AttendanceStore(options.recordSize ?? 40);
    this.commKey = options.commKey ?? 0;
    this.liveLayout = options.liveLayout ?? 36;
    this.maxChunk = options.maxChunk ?? MAX_CHUNK_TCP;
    this.capacity = options.capacity ?? 100_000;
    this.nextSession = options.firstSessionId ?? 0x4a21;
    if (!Number.isInteger(this.maxChunk) || this.maxChunk < 1) throw new RangeError(`maxChunk must be a positive integer, got ${this.maxChunk}`);
    if (!(this.nextSession >= 1 && this.nextSession <= 0xfffe)) throw new RangeError('firstSessionId must be in 1..65534');
  }

  /** The attendance log as stored on the device (held punches are not in it yet). */
  get records(): readonly ZkAttendanceRecord[] {
    return this.store.records;
  }

  /** True between DISABLEDEVICE and ENABLEDEVICE (or the disable timeout). */
  get disabled(): boolean {
    return this.disabledState !== undefined;
  }

  /** Punches waiting for the device to be enabled again. */
  get heldPunches(): number {
    return this.held.length;
  }

  deviceNow(at?: Date): NaiveDateTime {
    return this.clock.read(at?.getTime());
  }

  // ---- device side -------------------------------------------------------

  /** Pre-fills the log (history from before the test), whether or not the device is disabled. */
  addRecords(n: number, options: { startAt?: Date; spacingMs?: number; userIds?: string[] } = {}): void {
    const spacing = options.spacingMs ?? 60_000;
    const start = options.startAt?.getTime() ?? Date.now() - n * spacing;
    const ids = options.userIds ?? Array.from({ length: 40 }, (_, i) => String(1001 + i));
    if (ids.length === 0) throw new RangeError('userIds must not be empty');
    for (let i = 0; i < n; i++) {
      const userId = ids[i % ids.length] ?? '1';
      const rec = this.store.makeRecord(userId, this.clock.read(start + i * spacing), Math.floor(i / ids.length) % 2, 1);
      this.store.append(rec);
    }
  }

  /**
   * An employee punches at `at`. While the device is disabled it shows "working"
   * and takes no punch: the employee waits and punches again once the screen clears.
   * The sim models that second attempt by holding the punch and recording it when
   * the device is enabled again (see enable()), with its original time so a test
   * knows which record to expect. Returns the punch: its userId, deviceTime, status
   * and verify are what the log holds or will hold (a held punch of a user new to
   * the device may get another internal serial, userSn, when it is recorded).
   */
  punch(userId: string, at: Date = new Date(), opts: { status?: number; verify?: number } = {}): ZkAttendanceRecord {
    const rec = this.store.makeRecord(userId, this.clock.read(at.getTime()), opts.status ?? 0, opts.verify ?? 1);
    encodeLiveAttendance(rec, this.liveLayout); // validates before anything is stored or held
    if (this.disabledState) {
      this.held.push(rec);
      this.stats.heldPunches++;
    } else {
      this.record(rec);
    }
    return rec;
  }

  /** Stores a punch and pushes it to the sessions registered for EF_ATTLOG. */
  private record(rec: ZkAttendanceRecord): void {
    const live = encodeLiveAttendance(rec, this.liveLayout);
    this.store.append(rec);
    if (this.faults.ignoreRequests) return;
    const inner = encodePacket(eventPacketFields(EF.ATTLOG, live));
    for (const s of this.sessions) {
      if (!s.connected || !s.authed || (s.eventFlags & EF.ATTLOG) === 0) continue;
      s.pendingAcks++;
      this.stats.eventsSent++;
      s.link.send(inner);
    }
  }

  // ---- transports --------------------------------------------------------

  listenTcp(port = 0, host = '127.0.0.1'): Promise<number> {
    const server = createServer((socket) => this.acceptTcp(socket));
    this.servers.push(server);
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject).on('error', () => undefined);
        const addr = server.address();
        resolve(typeof addr === 'object' && addr ? addr.port : port);
      });
    });
  }

  listenUdp(port = 0, host = '127.0.0.1'): Promise<number> {
    const sock = createSocket(isIPv6(host) ? 'udp6' : 'udp4');
    this.udpSockets.push(sock);
    sock.on('message', (msg, rinfo) => {
      let packet: ZkPacket;
      try {
        packet = decodePacket(msg);
      } catch {
        return; // malformed datagram: ignore, like a device would
      }
      const key = `${rinfo.address}:${rinfo.port}`;
      let s = this.udpPeers.get(key);
      if (!s) {
        s = new Session({
          kind: 'udp',
          send: (inner) => sock.send(inner, rinfo.port, rinfo.address, () => undefined),
          drop: () => {
            const known = this.udpPeers.get(key);
            if (known) this.sessions.delete(known);
            this.udpPeers.delete(key);
          },
        });
        // Only a CONNECT creates state; anything else is answered from a throwaway session.
        if (packet.command === CMD.CONNECT) {
          this.udpPeers.set(key, s);
          this.sessions.add(s);
        }
      }
      this.safeHandle(s, packet);
    });
    return new Promise((resolve, reject) => {
      sock.once('error', reject);
      sock.bind(port, host, () => {
        sock.off('error', reject).on('error', () => undefined);
        resolve(sock.address().port);
      });
    });
  }

  /** Serial transport: TCP framing over a byte stream (assumption: the serial framing is undocumented). One session. */
  attachStream(stream: NodeJS.ReadWriteStream): void {
    const framer = new StreamFramer();
    const link: Link = {
      kind: 'stream',
      send: (inner) => {
        stream.write(wrapTcp(inner));
      },
      drop: () => {
        framer.reset();
        s.reset();
      },
    };
    const s = new Session(link);
    this.sessions.add(s);
    const onData = (chunk: Buffer | string): void => {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : chunk;
      for (const p of framer.push(bytes)) this.safeHandle(s, p);
    };
    const onError = (): void => undefined;
    stream.on('data', onData);
    stream.on('error', onError);
    this.detachers.push(() => {
      stream.removeListener('data', onData);
      stream.removeListener('error', onError);
      this.sessions.delete(s);
    });
  }

  /** DISABLEDEVICE: `timeoutS` > 0 re-enables by itself after that many seconds; a repeat restarts the timeout. */
  private disable(timeoutS: number): void {
    clearTimeout(this.disabledState?.timer);
    const timer = timeoutS > 0 ? setTimeout(() => this.enable(), timeoutS * 1000) : undefined;
    timer?.unref();
    this.disabledState = { timer };
  }

  /** ENABLEDEVICE (or the disable timeout): the held punches are recorded now, in the order they were made. */
  private enable(): void {
    if (!this.disabledState) return;
    clearTimeout(this.disabledState.timer);
    this.disabledState = undefined;
    // Rebuilt on release: the internal serial of a user first seen in a held punch is assigned now.
    for (const rec of this.held.splice(0)) this.record(this.store.makeRecord(rec.userId, rec.deviceTime, rec.status, rec.verify));
  }

  async close(): Promise<void> {
    clearTimeout(this.disabledState?.timer);
    for (const detach of this.detachers.splice(0)) detach();
    for (const socket of this.sockets) socket.destroy();
    const closing = [
      ...this.servers.splice(0).map((server) => new Promise<void>((resolve) => server.close(() => resolve()))),
      ...this.udpSockets.splice(0).map(
        (sock) =>
          new Promise<void>((resolve) => {
            try {
              sock.close(() => resolve());
            } catch {
              resolve(); // never bound, or already closed
            }
          }),
      ),
    ];
    this.sockets.clear();
    this.sessions.clear();
    this.udpPeers.clear();
    await Promise.all(closing);
  }

  private acceptTcp(socket: Socket): void {
    this.sockets.add(socket);
    socket.setNoDelay(true);
    const deframer = new ZkTcpDeframer();
    const s = new Session({
      kind: 'tcp',
      send: (inner) => {
        if (!socket.destroyed) socket.write(wrapTcp(inner));
      },
      drop: (graceful) => {
        if (graceful) socket.end();
        else socket.destroy();
      },
    });
    this.sessions.add(s);
    socket.on('data', (chunk: Buffer) => {
      let packets: ZkPacket[];
      try {
        packets = deframer.push(chunk);
      } catch {
        socket.destroy(); // no resync on TCP: drop the connection, keep serving others
        return;
      }
      for (const p of packets) {
        if (socket.destroyed) return;
        this.safeHandle(s, p);
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.sessions.delete(s);
      this.sockets.delete(socket);
    });
  }

  // ---- protocol ----------------------------------------------------------

  private safeHandle(s: Session, p: ZkPacket): void {
    try {
      this.handle(s, p);
    } catch {
      try {
        this.reply(s, p, CMD.ACK_ERROR); // bad data inside a well-formed packet
      } catch {
        s.link.drop();
      }
    }
  }

  private reply(s: Session, req: ZkPacket, command: number, data?: Uint8Array): void {
    const fields: ZkPacketFields = { command, sessionId: s.id, replyId: req.replyId, data };
    s.link.send(encodePacket(fields));
  }

  private handle(s: Session, p: ZkPacket): void {
    if (this.faults.ignoreRequests) return;
    const { command } = p;
    if (command === CMD.ACK_OK) {
      // The client's acknowledgement of a realtime packet; never answered.
      if (s.pendingAcks > 0) {
        s.pendingAcks--;
        this.stats.eventsAcked++;
      }
      return;
    }
    this.hooks.onRequest?.(command);
    if (command === CMD.CONNECT) {
      this.stats.connects++;
      if (!s.connected) {
        s.connected = true;
        s.id = this.nextSession;
        this.nextSession = this.nextSession >= 0xfffe ? 1 : this.nextSession + 1;
        s.authed = this.commKey === 0;
      }
      this.reply(s, p, s.authed ? CMD.ACK_OK : CMD.ACK_UNAUTH);
      return;
    }
    if (command === CMD.AUTH && s.connected) {
      const ok = this.commKey === 0 || (p.data.length >= 4 && verifyCommKey(p.data, this.commKey, s.id));
      if (ok) s.authed = true;
      else this.stats.authFailures++;
      this.reply(s, p, ok ? CMD.ACK_OK : CMD.ACK_UNAUTH);
      return;
    }
    if (!s.connected || !s.authed) {
      this.reply(s, p, CMD.ACK_UNAUTH);
      return;
    }
    switch (command) {
      case CMD.EXIT:
        this.reply(s, p, CMD.ACK_OK);
        s.reset();
        if (s.link.kind !== 'stream') s.link.drop(true); // a serial line stays open
        return;
      case CMD.DISABLEDEVICE:
        // Optional u32 LE timeout in seconds; none (pyzk) or a short field (php_zklib sends 2 zero bytes) = until enabled.
        this.disable(p.data.length >= 4 ? p.data.readUInt32LE(0) : 0);
        this.stats.disables++;
        this.reply(s, p, CMD.ACK_OK);
        return;
      case CMD.ENABLEDEVICE:
        this.stats.enables++;
        this.reply(s, p, CMD.ACK_OK); // the answer first, then the live events of the punches it releases
        this.enable();
        return;
      case CMD.REFRESHDATA:
      case CMD.OPTIONS_WRQ:
        this.reply(s, p, CMD.ACK_OK);
        return;
      case CMD.OPTIONS_RRQ: {
        const name = p.data.toString('latin1').split('\0')[0] ?? '';
        const value = DEVICE_OPTIONS[name];
        if (value === undefined) this.reply(s, p, CMD.ACK_ERROR);
        else this.reply(s, p, CMD.ACK_OK, Buffer.from(`${name}=${value}\0`, 'latin1'));
        return;
      }
      case CMD.GET_VERSION:
        this.reply(s, p, CMD.ACK_OK, Buffer.from(`${FIRMWARE_VERSION}\0`, 'latin1'));
        return;
      case CMD.GET_FREE_SIZES:
        this.reply(s, p, CMD.ACK_OK, encodeFreeSizes(this.store.freeSizes(this.capacity)));
        return;
      case CMD.GET_TIME: {
        const data = Buffer.alloc(4);
        data.writeUInt32LE(encodeZkTime(this.clock.read()));
        this.reply(s, p, CMD.ACK_OK, data);
        return;
      }
      case CMD.SET_TIME: {
        this.clock.set(decodeZkTime(p.data.readUInt32LE(0))); // short or impossible time -> ACK_ERROR
        this.stats.setTimes++;
        this.reply(s, p, CMD.ACK_OK);
        return;
      }
      case CMD.REG_EVENT:
        s.eventFlags = p.data.readUInt32LE(0); // RangeError on short data -> ACK_ERROR
        this.reply(s, p, CMD.ACK_OK);
        return;
      case CMD.CLEAR_ATTLOG:
        this.store.clear();
        this.stats.clears++;
        this.reply(s, p, CMD.ACK_OK);
        return;
      case CMD.ATTLOG_RRQ:
        this.sendData(s, p, this.store.snapshot());
        return;
      case CMD.PREPARE_BUFFER:
        this.prepareBuffer(s, p);
        return;
      case CMD.READ_BUFFER:
        this.readBuffer(s, p);
        return;
      case CMD.FREE_DATA:
        s.buffer = undefined;
        this.reply(s, p, CMD.ACK_OK);
        return;
      default:
        this.reply(s, p, CMD.ACK_UNKNOWN);
    }
  }

  private prepareBuffer(s: Session, p: ZkPacket): void {
    const req = decodePrepareBufferRequest(p.data);
    if (req.command !== CMD.ATTLOG_RRQ) {
      this.reply(s, p, CMD.ACK_ERROR); // only the attendance log is simulated
      return;
    }
    const data = this.store.snapshot(); // later punches do not shift the offsets of this download
    if (data.length < INLINE_LIMIT) {
      s.buffer = undefined;
      this.reply(s, p, CMD.DATA, data);
      return;
    }
    s.buffer = data;
    this.reply(s, p, CMD.ACK_OK, encodePrepareBufferReply(data.length));
  }

  private readBuffer(s: Session, p: ZkPacket): void {
    const buf = s.buffer;
    const chunk = decodeReadBufferRequest(p.data);
    if (!buf || chunk.size === 0 || chunk.offset >= buf.length) {
      this.reply(s, p, CMD.ACK_ERROR);
      return;
    }
    const drop = this.faults.dropAfterChunks;
    if (drop === undefined) {
      this.dropArmedAt = undefined;
    } else {
      this.dropArmedAt ??= this.stats.chunksServed;
      if (this.stats.chunksServed - this.dropArmedAt >= drop) {
        this.faults.dropAfterChunks = undefined;
        this.dropArmedAt = undefined;
        s.link.drop();
        return;
      }
    }
    const bytes = buf.subarray(chunk.offset, Math.min(buf.length, chunk.offset + chunk.size));
    if (this.faults.shortChunk) {
      this.faults.shortChunk = false;
      this.sendData(s, p, bytes.subarray(0, Math.floor(bytes.length / 2)), bytes.length);
    } else {
      this.sendData(s, p, bytes);
    }
    this.stats.chunksServed++;
  }

  /** PREPARE_DATA(announced) + DATA packet(s) + ACK_OK, all with the request's reply id [ex_data.md]. */
  private sendData(s: Session, p: ZkPacket, bytes: Buffer, announced = bytes.length): void {
    this.reply(s, p, CMD.PREPARE_DATA, encodePrepareData(announced));
    const piece = s.link.kind === 'udp' ? Math.min(this.maxChunk, UDP_DATA_SIZE) : this.maxChunk;
    for (let off = 0; off < bytes.length; off += piece) {
      this.reply(s, p, CMD.DATA, bytes.subarray(off, off + piece));
    }
    this.reply(s, p, CMD.ACK_OK);
  }
}
