import { DateTime } from 'luxon';
import {
  CMD,
  EF,
  MAX_CHUNK_TCP,
  MAX_CHUNK_UDP,
  ZkProtocolError,
  decodeAttendanceLog,
  decodeFreeSizes,
  decodeGetTimeReply,
  decodeLiveAttendancePacket,
  encodeRegEventRequest,
  encodeSetTimeRequest,
  type ZkAttendanceRecord,
  type ZkLiveAttendance,
  type ZkPacket,
} from '../../../protocols/zk/index.js';
import type { ZkTerminalConfig } from './config.js';
import type { NewRecord } from '../../outbox.js';
import { deviceTimeToUtc, naiveToIso, type TerminalDriver } from '../terminal.js';
import { TerminalBase } from '../base.js';
import { ZkAuthError, ZkSession } from './session.js';
import { SerialTransport, TcpTransport, UdpTransport, type ZkTransport } from './transport.js';

interface Cursor {
  /** Records of the log already handled (the log only grows until cleared). */
  count: number;
  /** Identity of record count-1, to notice a log that was cleared or rewritten. */
  lastKey: string;
}

type PunchFields = Pick<ZkAttendanceRecord, 'userId' | 'deviceTime' | 'status' | 'verify'>;

const punchKey = (r: PunchFields) => `${r.userId}|${naiveToIso(r.deviceTime)}|${r.status}`;

/**
 * A ZK-protocol terminal (TCP, UDP, or serial when marked experimental). Live
 * punches arrive as realtime events; because only one client gets them and events
 * can be missed while disconnected, the whole log is also downloaded periodically
 * and compared: a persisted cursor skips what was handled, the outbox dedupes the
 * rest. The clock is read on every keepalive; its skew corrects punch times.
 */
export class ZkTerminal extends TerminalBase<ZkTerminalConfig> implements TerminalDriver {
  readonly driver = 'zk';
  private session: ZkSession | undefined;
  private stopped = true;
  private loop: Promise<void> | undefined;
  private skewMs: number | null = null;
  private lastRecordedSkew: { skewMs: number; alarm: boolean } | undefined;
  /** A pull whose clear waits for the central's ack: count on the device and outbox position. */
  private pendingClear: { count: number; upToSeq: number } | undefined;
  private jobs: Promise<unknown> = Promise.resolve();
  readonly stats = { reconciles: 0, downloaded: 0, newFromPull: 0, liveEvents: 0, clears: 0, badFrames: 0 };

  private get where(): string {
    const c = this.config;
    return c.transport === 'serial' ? `${c.serialPort} (serial)` : `${c.host}:${c.port}/${c.transport}`;
  }

  start(): void {
    this.stopped = false;
    this.loop = this.run();
  }

  private transport(): ZkTransport {
    const c = this.config;
    if (c.transport === 'udp') return new UdpTransport(c.host!, c.port);
    if (c.transport === 'serial') return new SerialTransport(c.serialPort!, c.baudRate);
    return new TcpTransport(c.host!, c.port);
  }

  private async run(): Promise<void> {
    let backoff = this.config.reconnectMinMs;
    while (!this.stopped) {
      let reason = 'stopped';
      try {
        await this.connectAndServe();
        backoff = this.config.reconnectMinMs;
      } catch (err) {
        reason = (err as Error).message;
        if (err instanceof ZkAuthError) {
          this.setState('error', reason);
          this.log.error({ terminal: this.id, where: this.where }, reason);
          backoff = this.config.reconnectMaxMs; // retrying a wrong key quickly only fills logs
        } else {
          this.setState('offline', reason);
          this.log.warn({ where: this.where, retryInMs: backoff }, `terminal unreachable: ${reason}`);
        }
      } finally {
        this.session?.close();
        this.session = undefined;
      }
      if (this.stopped) break;
      await this.pause(backoff);
      backoff = Math.min(this.config.reconnectMaxMs, backoff * 2);
    }
  }

  private async connectAndServe(): Promise<void> {
    const session = new ZkSession(this.transport(), { commKey: this.config.commKey, timeoutMs: this.config.requestTimeoutMs });
    this.session = session;
    const closed = new Promise<Error>((resolve) => session.once('close', (err: Error) => resolve(err)));
    session.on('event', (packet: ZkPacket) => this.onEvent(packet));
    await session.open();
    this.log.info({ where: this.where }, 'terminal connected');
    this.setState('online');
    await this.measureClock(session);
    if (this.config.liveEvents) {
      const reply = await session.request(CMD.REG_EVENT, encodeRegEventRequest(EF.ATTLOG));
      if (reply.command !== CMD.ACK_OK) this.log.warn({ reply: reply.command }, 'terminal refused live events; relying on periodic downloads');
    }
    let nextReconcile = 0;
    while (!this.stopped) {
      if (Date.now() >= nextReconcile) {
        await this.exclusive(() => this.reconcile(session));
        nextReconcile = Date.now() + this.config.reconcileIntervalS * 1000;
      }
      const wait = Math.min(this.config.keepaliveS * 1000, Math.max(0, nextReconcile - Date.now()));
      const result = await Promise.race([closed, this.pause(wait).then(() => undefined)]);
      if (result instanceof Error) throw result;
      if (!this.stopped) await this.measureClock(session);
    }
  }

  /** One multi-request job at a time (a bulk read must not interleave with another). */
  private exclusive<T>(job: () => Promise<T>): Promise<T> {
    const run = this.jobs.then(job, job);
    this.jobs = run.catch(() => undefined);
    return run;
  }

  private connected(): ZkSession {
    if (!this.session || this.state !== 'online') throw new Error(`terminal ${this.id} is not connected (${this.where})`);
    return this.session;
  }

  async syncClock(): Promise<string> {
    const session = this.connected();
    return this.exclusive(async () => {
      const before = this.skewMs;
      const now = DateTime.fromMillis(Date.now(), { zone: this.zone });
      const reply = await session.request(CMD.SET_TIME, encodeSetTimeRequest({ year: now.year, month: now.month, day: now.day, hour: now.hour, minute: now.minute, second: now.second }));
      if (reply.command !== CMD.ACK_OK) throw new Error(`terminal ${this.id} refused SET_TIME`);
      await this.measureClock(session);
      return `${this.id}: clock set (skew was ${(before ?? 0) / 1000} s, now ${(this.skewMs ?? 0) / 1000} s)`;
    });
  }

  async downloadLogs(): Promise<string> {
    const session = this.connected();
    const before = this.stats.newFromPull;
    await this.exclusive(() => this.reconcile(session));
    return `${this.id}: log downloaded, ${this.stats.newFromPull - before} new punch(es)`;
  }

  private async measureClock(session: ZkSession): Promise<void> {
    const sentAt = Date.now();
    const reply = await session.request(CMD.GET_TIME);
    const midpoint = (sentAt + Date.now()) / 2;
    const deviceMs = Date.parse(deviceTimeToUtc(naiveToIso(decodeGetTimeReply(reply.data)), this.zone));
    // The terminal shows whole seconds: round, or every punch would wobble by a fraction.
    const skewMs = Math.round((deviceMs + 500 - midpoint) / 1000) * 1000;
    this.skewMs = skewMs;
    const alarm = Math.abs(skewMs) > this.config.clockSkewAlarmS * 1000;
    let synced = false;
    if (alarm && this.config.syncClock) {
      const now = DateTime.fromMillis(Date.now(), { zone: this.zone });
      const set = await session.request(CMD.SET_TIME, encodeSetTimeRequest({ year: now.year, month: now.month, day: now.day, hour: now.hour, minute: now.minute, second: now.second }));
      synced = set.command === CMD.ACK_OK;
      this.log.warn({ skewMs, synced }, 'terminal clock was off; set to the gateway clock');
    }
    const last = this.lastRecordedSkew;
    if (!last || last.alarm !== alarm || Math.abs(last.skewMs - skewMs) >= 2000 || synced) {
      if (alarm && !last?.alarm) this.log.warn({ skewMs, thresholdS: this.config.clockSkewAlarmS }, 'terminal clock skew above threshold');
      this.lastRecordedSkew = { skewMs, alarm };
      this.ctx.record({ kind: 'terminal_clock', terminal: this.id, skewMs, alarm, at: new Date().toISOString(), ...(synced && { synced }) });
    }
    if (synced) this.skewMs = 0;
  }

  private toPunch(r: PunchFields, historical: boolean): NewRecord {
    const deviceTime = naiveToIso(r.deviceTime);
    return {
      kind: 'punch',
      terminal: this.id,
      employee: r.userId,
      deviceTime,
      zone: this.zone,
      time: deviceTimeToUtc(deviceTime, this.zone, this.skewMs),
      skewMs: this.skewMs,
      status: String(r.status),
      verify: String(r.verify),
      receivedAt: new Date().toISOString(),
      ...(historical && { historical }),
    };
  }

  private onEvent(packet: ZkPacket): void {
    let punches: ZkLiveAttendance[] | undefined;
    try {
      punches = decodeLiveAttendancePacket(packet);
    } catch (err) {
      if (!(err instanceof ZkProtocolError)) throw err;
      this.stats.badFrames++;
      this.log.warn({ err: err.message, bytes: packet.data.length }, 'unreadable live event ignored; the next download will catch the punch');
      return;
    }
    for (const p of punches ?? []) {
      this.stats.liveEvents++;
      const accepted = this.ctx.record(this.toPunch(p, false));
      this.log.info({ employee: p.userId, deviceTime: naiveToIso(p.deviceTime), duplicate: !accepted }, 'live punch');
    }
  }

  /** Downloads the whole log, commits what is new, and clears the device when safe. */
  private async reconcile(session: ZkSession): Promise<void> {
    const sizes = decodeFreeSizes((await session.request(CMD.GET_FREE_SIZES)).data);
    await this.clearIfSafe(session, sizes.records);
    if (sizes.records === 0) return;
    const started = Date.now();
    let nextReport = 0.1;
    const data = await session.readBuffered(CMD.ATTLOG_RRQ, this.config.maxChunkBytes ?? (this.config.transport === 'udp' ? MAX_CHUNK_UDP : MAX_CHUNK_TCP), (p) => {
      if (p.received / p.total >= nextReport || p.received === p.total) {
        this.log.info({ received: p.received, total: p.total, percent: Math.round((100 * p.received) / p.total) }, 'downloading attendance log');
        nextReport = Math.floor((10 * p.received) / p.total + 1) / 10;
      }
    });
    const log = decodeAttendanceLog(data, this.config.recordSize ? { recordSize: this.config.recordSize } : { recordCount: sizes.records });
    // A log shorter than the count the terminal reported came back short: keep the cursor, retry next round.
    if (log.records.length < sizes.records) {
      throw new Error(`attendance log came back short: ${log.records.length} of ${sizes.records} records`);
    }
    const cursorKey = `zk:${this.id}:cursor`;
    const saved = this.ctx.getState(cursorKey);
    const cursor: Cursor = saved ? (JSON.parse(saved) as Cursor) : { count: 0, lastKey: '' };
    const anchor = log.records[cursor.count - 1];
    const start = cursor.count > 0 && cursor.count <= log.records.length && anchor && punchKey(anchor) === cursor.lastKey ? cursor.count : 0;
    const seqs = this.ctx.recordMany(log.records.slice(start).map((r) => this.toPunch(r, true)));
    const last = log.records[log.records.length - 1]!;
    this.ctx.setState(cursorKey, JSON.stringify({ count: log.records.length, lastKey: punchKey(last) } satisfies Cursor));
    this.stats.reconciles++;
    this.stats.downloaded += log.records.length;
    this.stats.newFromPull += seqs.length;
    this.log.info(
      { records: log.records.length, recordSize: log.recordSize, compared: log.records.length - start, new: seqs.length, ms: Date.now() - started },
      seqs.length > 0 ? 'log download found punches missed live' : 'log download complete, nothing new',
    );
    if (this.config.clearAfterPull && log.records.length === sizes.records) {
      this.pendingClear = { count: log.records.length, upToSeq: this.ctx.highestSeq() };
    }
  }

  /**
   * Clearing loses data unless everything is safe centrally: only when enabled, when
   * the central acked every record committed by the time of the pull, and when the
   * terminal still holds exactly the records that were pulled (no punch since).
   */
  private async clearIfSafe(session: ZkSession, countNow: number): Promise<void> {
    const pending = this.pendingClear;
    if (!pending) return;
    if (!this.ctx.isAcked(pending.upToSeq)) {
      this.log.info({ waitingForSeq: pending.upToSeq }, 'log clear postponed: central has not acked the pull yet');
      return;
    }
    this.pendingClear = undefined;
    if (countNow !== pending.count) {
      this.log.info({ pulled: pending.count, now: countNow }, 'log clear skipped: new punches since the pull');
      return;
    }
    const reply = await session.request(CMD.CLEAR_ATTLOG);
    if (reply.command !== CMD.ACK_OK) return void this.log.warn({ reply: reply.command }, 'terminal refused to clear its log');
    this.stats.clears++;
    this.ctx.setState(`zk:${this.id}:cursor`, JSON.stringify({ count: 0, lastKey: '' } satisfies Cursor));
    this.log.info({ records: countNow }, 'terminal log cleared after the central acked every punch');
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wakeUp();
    this.session?.close();
    await this.loop;
  }
}
