import { DateTime } from 'luxon';
import {
  CMD,
  EF,
  MAX_CHUNK_TCP,
  MAX_CHUNK_UDP,
  ZkProtocolError,
  commandName,
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
  /** Set while this driver holds the terminal disabled (see whileDisabled). */
  private disabledSince: number | undefined;
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
    await this.enableOnConnect(session);
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

  /**
   * Downloads the whole log, commits what is new, and clears the device when safe.
   * The record count, the clear and the download run with the terminal disabled
   * (see whileDisabled); decoding and committing run after it takes punches again.
   */
  private async reconcile(session: ZkSession): Promise<void> {
    const { value: pulled, disabledMs } = await this.whileDisabled(session, (disabled) => this.countClearAndDownload(session, disabled));
    if (!pulled) return;
    const { count, data, started } = pulled;
    const log = decodeAttendanceLog(data, this.config.recordSize ? { recordSize: this.config.recordSize } : { recordCount: count });
    // A log shorter than the count the terminal reported came back short: keep the cursor, retry next round.
    if (log.records.length < count) {
      throw new Error(`attendance log came back short: ${log.records.length} of ${count} records`);
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
      { records: log.records.length, recordSize: log.recordSize, compared: log.records.length - start, new: seqs.length, ms: Date.now() - started, disabledMs },
      seqs.length > 0 ? 'log download found punches missed live' : 'log download complete, nothing new',
    );
    if (this.config.clearAfterPull && log.records.length === count) {
      this.pendingClear = { count: log.records.length, upToSeq: this.ctx.highestSeq() };
    }
  }

  /**
   * The part of a reconcile that needs the terminal disabled: the record count, the
   * clear, and the download, whose size must match that count (the record size is
   * derived from it). Returns undefined when the log is empty (or was just cleared).
   */
  private async countClearAndDownload(session: ZkSession, disabled: boolean): Promise<{ count: number; data: Buffer; started: number } | undefined> {
    const sizes = decodeFreeSizes((await session.request(CMD.GET_FREE_SIZES)).data);
    // A terminal that would not disable itself may take a punch between the count and
    // the clear: no clear this round (the pending one waits), the download goes on.
    const count = disabled ? await this.clearIfSafe(session, sizes.records) : sizes.records;
    if (count === 0) return undefined;
    const started = Date.now();
    let nextReport = 0.1;
    const data = await session.readBuffered(CMD.ATTLOG_RRQ, this.config.maxChunkBytes ?? (this.config.transport === 'udp' ? MAX_CHUNK_UDP : MAX_CHUNK_TCP), (p) => {
      if (p.received / p.total >= nextReport || p.received === p.total) {
        this.log.info({ received: p.received, total: p.total, percent: Math.round((100 * p.received) / p.total) }, 'downloading attendance log');
        nextReport = Math.floor((10 * p.received) / p.total + 1) / 10;
      }
    });
    return { count, data, started };
  }

  /**
   * Runs `job` with the terminal disabled: CMD_DISABLEDEVICE (1003) before, and
   * CMD_ENABLEDEVICE (1002) after, whatever happened. A disabled terminal takes no
   * fingerprint, keypad or card input ("working" on its screen; the employee punches
   * again a moment later), which is what clients do "when reading several parameters
   * or when uploading data" [adrobinoga/zk-protocol sections/other.md, "Enable/Disable
   * Device"; fananimi/pyzk README: disable_device "ensures no activity on the device
   * while the process is run", then enable_device]. Without it a punch landing between the
   * record count and CLEAR_ATTLOG is erased by the clear, and lost for good when its
   * live event was missed too. No timeout argument is sent: firmware that ignores it
   * would differ from firmware that honours it, and a download longer than the timeout
   * would re-open the race; enableOnConnect recovers a terminal left disabled instead.
   * `disabledMs` is how long punches were refused (undefined when the terminal refused
   * to disable). The job gets `disabled` so it can skip what is unsafe without it.
   */
  private async whileDisabled<T>(session: ZkSession, job: (disabled: boolean) => Promise<T>): Promise<{ value: T; disabledMs: number | undefined }> {
    const since = Date.now();
    let reply: ZkPacket;
    try {
      reply = await session.request(CMD.DISABLEDEVICE);
    } catch (err) {
      // No answer: the terminal may have disabled itself all the same. Closing the
      // session makes the reconnect send ENABLEDEVICE (enableOnConnect).
      session.close({ enableDevice: true });
      throw err;
    }
    const disabled = reply.command === CMD.ACK_OK;
    if (disabled) this.disabledSince = since;
    if (!disabled) {
      this.log.warn({ where: this.where, reply: commandName(reply.command) }, 'terminal refused DISABLEDEVICE: log clear skipped this round, log downloaded while it takes punches');
    }
    let value: T;
    try {
      value = await job(disabled);
    } finally {
      if (disabled) await this.enableAfter(session, since);
    }
    return { value, disabledMs: disabled ? Date.now() - since : undefined };
  }

  /**
   * ENABLEDEVICE after a disabled job. Never throws, so what was downloaded is still
   * committed; on failure it warns and closes the session: the reconnect enables the
   * terminal (enableOnConnect).
   */
  private async enableAfter(session: ZkSession, since: number): Promise<void> {
    const problem = await this.enable(session);
    this.disabledSince = undefined;
    if (problem === undefined) return;
    if (this.stopped) {
      this.log.info({ where: this.where, disabledMs: Date.now() - since }, 'stopped during a log read: ENABLEDEVICE was sent on the way out, and the next connect enables the terminal in any case');
      return;
    }
    this.log.warn(
      { where: this.where, disabledMs: Date.now() - since, err: problem },
      'could not re-enable the terminal after reading its log: it may show "working" and refuse punches until the gateway reconnects and enables it (automatic, within seconds); if it stays busy longer, check the network cable, then restart the terminal',
    );
    session.close();
  }

  /**
   * A terminal stays disabled when the connection that disabled it drops before
   * ENABLEDEVICE [zk-protocol sections/other.md: only the enable command, or a
   * timeout given to the disable, ends it]: a gateway cut or killed mid-download
   * would leave it refusing punches until someone restarts it. So every connect
   * enables it once; enabling a terminal that is enabled changes nothing. A failure
   * here is only a warning: the terminal may well be enabled already, and a dead link
   * shows on the next request.
   */
  private async enableOnConnect(session: ZkSession): Promise<void> {
    const problem = await this.enable(session);
    if (problem === undefined) return;
    this.log.warn({ where: this.where, err: problem }, 'could not enable the terminal on connect: if it shows "working" and refuses punches, restart the terminal');
  }

  /** ENABLEDEVICE; undefined when the terminal acked it, else what went wrong. Never throws. */
  private async enable(session: ZkSession): Promise<string | undefined> {
    try {
      const reply = await session.request(CMD.ENABLEDEVICE);
      return reply.command === CMD.ACK_OK ? undefined : `it answered ${commandName(reply.command)}`;
    } catch (err) {
      return err instanceof Error ? err.message : String(err);
    }
  }

  /**
   * Clearing loses data unless everything is safe centrally: only with clearAfterPull, when
   * the central acked every record committed by the time of the pull, and when the
   * terminal still holds exactly the records that were pulled (no punch since). The
   * caller has disabled the terminal, so no punch can land between that count and the
   * clear. Returns how many records the terminal holds afterwards.
   */
  private async clearIfSafe(session: ZkSession, countNow: number): Promise<number> {
    const pending = this.pendingClear;
    if (!pending) return countNow;
    if (!this.ctx.isAcked(pending.upToSeq)) {
      this.log.info({ waitingForSeq: pending.upToSeq }, 'log clear postponed: central has not acked the pull yet');
      return countNow;
    }
    this.pendingClear = undefined;
    if (countNow !== pending.count) {
      this.log.info({ pulled: pending.count, now: countNow }, 'log clear skipped: new punches since the pull');
      return countNow;
    }
    const reply = await session.request(CMD.CLEAR_ATTLOG);
    if (reply.command !== CMD.ACK_OK) {
      this.log.warn({ reply: reply.command }, 'terminal refused to clear its log');
      return countNow;
    }
    this.stats.clears++;
    this.ctx.setState(`zk:${this.id}:cursor`, JSON.stringify({ count: 0, lastKey: '' } satisfies Cursor));
    this.log.info({ records: countNow }, 'terminal log cleared after the central acked every punch');
    return 0;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wakeUp();
    // Cut mid-read, the terminal would stay disabled ("working") while the gateway is
    // down: let the read finish and enable it, for at most one request timeout. After
    // that ENABLEDEVICE goes out unanswered before EXIT (lost if the terminal resets the
    // line first: the next connect enables it in any case).
    if (this.disabledSince !== undefined) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.jobs, new Promise<void>((resolve) => (timer = setTimeout(resolve, this.config.requestTimeoutMs)))]);
      clearTimeout(timer);
    }
    this.session?.close({ enableDevice: this.disabledSince !== undefined });
    await this.loop;
  }
}
