import { EventEmitter } from 'node:events';
import {
  CMD,
  USHRT_MAX,
  ZkBulkAssembler,
  commandName,
  decodePrepareBufferReply,
  decodePrepareData,
  encodePrepareBufferRequest,
  encodeReadBufferRequest,
  eventAckFields,
  makeCommKey,
  nextReplyId,
  type ZkPacket,
} from '../../../protocols/zk/index.js';
import type { ZkTransport } from './transport.js';

/** The terminal refused our comm key: a config problem, not a network one. */
export class ZkAuthError extends Error {}

/** The terminal answered something the protocol does not allow at this point. */
export class ZkReplyError extends Error {}

interface Pending {
  /** Returns true when the packet completed the request. */
  onPacket(packet: ZkPacket): boolean;
  fail(err: Error): void;
  timer: NodeJS.Timeout;
}

export interface BulkProgress {
  received: number;
  total: number;
}

/**
 * One protocol session with a terminal over a transport: CONNECT (+ AUTH with the
 * comm key), then one request at a time, matched to its reply; realtime event
 * packets interleave at any moment, are emitted as 'event' and acknowledged at
 * once, as the terminal requires before it sends the next one.
 */
export class ZkSession extends EventEmitter {
  private sessionId = 0;
  private replyId = USHRT_MAX - 1;
  private pending: Pending | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly transport: ZkTransport,
    private readonly options: { commKey: number; timeoutMs: number },
  ) {
    super();
    transport.on('packet', (p: ZkPacket) => this.onPacket(p));
    transport.on('close', () => this.onClose(new Error('connection closed by the terminal or the network')));
    transport.on('error', (err: Error) => this.onClose(new Error(`unreadable data from terminal: ${err.message}`)));
  }

  async open(): Promise<void> {
    await this.transport.open(this.options.timeoutMs);
    let reply = await this.request(CMD.CONNECT);
    this.sessionId = reply.sessionId;
    if (reply.command === CMD.ACK_UNAUTH) {
      reply = await this.request(CMD.AUTH, makeCommKey(this.options.commKey, this.sessionId));
      if (reply.command !== CMD.ACK_OK) {
        throw new ZkAuthError(
          `terminal refused comm key ${this.options.commKey === 0 ? '0 (none)' : '(configured value)'}: set commKey to the terminal's "Comm Key" (Menu > Comm. > Connection)`,
        );
      }
    } else if (reply.command !== CMD.ACK_OK) {
      throw new ZkReplyError(`CONNECT answered ${commandName(reply.command)}`);
    }
  }

  private onPacket(packet: ZkPacket): void {
    if (packet.command === CMD.REG_EVENT) {
      this.transport.send(eventAckFields(this.sessionId));
      this.emit('event', packet);
      return;
    }
    const pending = this.pending;
    if (!pending) return; // a late reply to a request that already timed out
    if (pending.onPacket(packet)) {
      clearTimeout(pending.timer);
      this.pending = undefined;
    }
  }

  private onClose(err: Error): void {
    if (this.closed) return;
    this.closed = true;
    const pending = this.pending;
    this.pending = undefined;
    if (pending) {
      clearTimeout(pending.timer);
      pending.fail(err);
    }
    this.emit('close', err);
  }

  /** Runs one exchange at a time; `collect` sees every non-event packet until it says done. */
  private exchange<T>(command: number, data: Uint8Array | undefined, collect: (packet: ZkPacket, done: (value: T) => void) => void, timeoutMs = this.options.timeoutMs): Promise<T> {
    const run = () =>
      new Promise<T>((resolve, reject) => {
        if (this.closed) return reject(new Error('session closed'));
        this.replyId = nextReplyId(this.replyId);
        let finished = false;
        const arm = () =>
          setTimeout(() => {
            this.pending = undefined;
            reject(new Error(`no answer to ${commandName(command)} within ${timeoutMs} ms`));
          }, timeoutMs);
        const pending: Pending = {
          onPacket: (packet) => {
            try {
              collect(packet, (value) => {
                finished = true;
                resolve(value);
              });
            } catch (err) {
              finished = true;
              reject(err instanceof Error ? err : new Error(String(err)));
            }
            if (!finished) {
              // Multi-packet answers: each packet restarts the clock.
              clearTimeout(pending.timer);
              pending.timer = arm();
            }
            return finished;
          },
          fail: reject,
          timer: arm(),
        };
        this.pending = pending;
        this.transport.send({ command, sessionId: this.sessionId, replyId: this.replyId, ...(data && { data }) });
      });
    const result = this.queue.then(run, run);
    this.queue = result.catch(() => undefined);
    return result;
  }

  /**
   * A plain request: its reply, recognised by the echoed reply id. A late reply to
   * an earlier request (e.g. the ACK_OK that trails a data chunk) is skipped, or
   * every later answer would be taken for the previous question.
   */
  request(command: number, data?: Uint8Array, timeoutMs?: number): Promise<ZkPacket> {
    return this.exchange<ZkPacket>(
      command,
      data,
      (packet, done) => {
        if (packet.replyId === this.replyId) done(packet);
      },
      timeoutMs,
    );
  }

  /** A request whose answer is DATA, or PREPARE_DATA + DATA... + ACK_OK. */
  private requestData(command: number, data: Uint8Array, timeoutMs?: number): Promise<Buffer> {
    let expected: number | undefined;
    const parts: Buffer[] = [];
    let got = 0;
    return this.exchange<Buffer>(
      command,
      data,
      (packet, done) => {
        // Some firmware leaves the reply id of DATA packets at 0, so only acks are
        // matched by id; a stale ACK_OK trailing the previous chunk is skipped.
        const isData = packet.command === CMD.DATA || packet.command === CMD.PREPARE_DATA;
        if (!isData && packet.replyId !== this.replyId) return;
        if (expected === undefined) {
          if (packet.command === CMD.DATA) return done(packet.data);
          if (packet.command !== CMD.PREPARE_DATA) throw new ZkReplyError(`expected DATA or PREPARE_DATA, got ${commandName(packet.command)}`);
          expected = decodePrepareData(packet);
          if (expected === 0) return done(Buffer.alloc(0));
          return;
        }
        if (packet.command === CMD.DATA) {
          parts.push(packet.data);
          got += packet.data.length;
          // The trailing ACK_OK is optional on some firmware: finish on the byte count.
          if (got >= expected) done(Buffer.concat(parts));
        } else if (packet.command === CMD.ACK_OK) {
          done(Buffer.concat(parts));
        }
      },
      timeoutMs,
    );
  }

  /**
   * The buffered bulk read (PREPARE_BUFFER 1503, READ_BUFFER 1504 per chunk,
   * FREE_DATA). The result is exactly the announced size or an error.
   */
  async readBuffered(innerCommand: number, maxChunk: number, onProgress?: (p: BulkProgress) => void): Promise<Buffer> {
    // PREPARE_BUFFER answers with one packet: DATA (small sets inline) or ACK_OK + size.
    const first = await this.request(CMD.PREPARE_BUFFER, encodePrepareBufferRequest(innerCommand));
    const reply = decodePrepareBufferReply(first);
    if (reply.kind === 'inline') return reply.data;
    if (reply.kind === 'rejected') throw new ZkReplyError(`terminal refused the buffered read (${commandName(reply.replyCode)})`);
    const assembler = new ZkBulkAssembler(reply.totalSize, maxChunk);
    try {
      for (const chunk of assembler.plan) {
        const data = await this.requestData(CMD.READ_BUFFER, encodeReadBufferRequest(chunk));
        if (data.length !== chunk.size) throw new ZkReplyError(`chunk at ${chunk.offset}: asked ${chunk.size} bytes, got ${data.length}`);
        assembler.push(data);
        onProgress?.({ received: assembler.received, total: reply.totalSize });
      }
      return assembler.finish();
    } finally {
      if (!this.closed) await this.request(CMD.FREE_DATA).catch(() => undefined);
    }
  }

  /**
   * EXIT and close. `enableDevice`: send ENABLEDEVICE first, for a terminal this
   * session may have left disabled; like EXIT it is not waited for (a terminal stays
   * disabled after the connection drops, see ZkTerminal.enableOnConnect).
   */
  close(options: { enableDevice?: boolean } = {}): void {
    if (!this.closed) {
      try {
        if (options.enableDevice) {
          this.replyId = nextReplyId(this.replyId);
          this.transport.send({ command: CMD.ENABLEDEVICE, sessionId: this.sessionId, replyId: this.replyId });
        }
        this.transport.send({ command: CMD.EXIT, sessionId: this.sessionId, replyId: nextReplyId(this.replyId) });
      } catch {
        // best effort
      }
    }
    this.transport.close();
    this.onClose(new Error('session closed'));
  }
}
