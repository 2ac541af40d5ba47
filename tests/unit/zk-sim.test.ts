import { connect as tcpConnect, type Socket } from 'node:net';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { Duplex, PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import {
  CMD,
  EF,
  MAX_CHUNK_TCP,
  MAX_CHUNK_UDP,
  ZkBulkAssembler,
  ZkProtocolError,
  ZkTcpDeframer,
  decodeAttendanceLog,
  decodeFreeSizes,
  decodeGetTimeReply,
  decodeLiveAttendancePacket,
  decodePacket,
  decodePrepareBufferReply,
  decodePrepareData,
  decodeTcpFrame,
  encodeAttendanceLog,
  encodePacket,
  encodePrepareBufferRequest,
  encodeReadBufferRequest,
  encodeRegEventRequest,
  encodeSetTimeRequest,
  eventAckFields,
  makeCommKey,
  nextReplyId,
  wrapTcp,
  type NaiveDateTime,
  type ZkPacket,
} from '../../protocols/zk/index.js';
import { ZkTerminalSim, type ZkSimOptions } from '../../sim/zk-terminal.js';
import { hex } from '../helpers/codec.js';

const naiveMs = (t: NaiveDateTime): number => Date.UTC(t.year, t.month - 1, t.day, t.hour, t.minute, t.second);

/** A minimal ZK client over TCP, UDP or a stream pair: sends packets, queues whatever arrives. */
class Client {
  sessionId = 0;
  replyId = 0;
  closed = false;
  private readonly queue: ZkPacket[] = [];
  private waiter: { resolve: (p: ZkPacket) => void; reject: (e: Error) => void } | undefined;

  private constructor(private readonly write: (inner: Buffer) => void, private readonly end: () => void) {}

  static tcp(port: number): Promise<Client> {
    return new Promise((resolve, reject) => {
      const sock: Socket = tcpConnect(port, '127.0.0.1');
      const c = new Client((inner) => sock.write(wrapTcp(inner)), () => sock.destroy());
      c.raw = (bytes) => sock.write(bytes);
      const deframer = new ZkTcpDeframer();
      sock.on('data', (chunk: Buffer) => deframer.push(chunk).forEach((p) => c.arrive(p)));
      sock.on('close', () => c.fail('connection closed'));
      sock.on('error', () => undefined);
      sock.once('connect', () => resolve(c));
      sock.once('error', reject);
    });
  }

  static udp(port: number): Promise<Client> {
    return new Promise((resolve) => {
      const sock: UdpSocket = createSocket('udp4');
      const c = new Client((inner) => sock.send(inner, port, '127.0.0.1'), () => sock.close());
      c.raw = (bytes) => sock.send(bytes, port, '127.0.0.1');
      sock.on('message', (msg) => c.arrive(decodePacket(msg)));
      sock.bind(0, '127.0.0.1', () => resolve(c));
    });
  }

  /** The two ends of a byte stream: the sim reads `toSim` and writes `fromSim`. */
  static stream(toSim: PassThrough, fromSim: PassThrough): Client {
    const c = new Client((inner) => toSim.write(wrapTcp(inner)), () => toSim.end());
    c.raw = (bytes) => toSim.write(bytes);
    const deframer = new ZkTcpDeframer();
    fromSim.on('data', (chunk: Buffer) => deframer.push(chunk).forEach((p) => c.arrive(p)));
    return c;
  }

  raw: (bytes: Buffer) => void = () => undefined;

  private arrive(p: ZkPacket): void {
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = undefined;
      w.resolve(p);
    } else this.queue.push(p);
  }

  private fail(why: string): void {
    this.closed = true;
    this.waiter?.reject(new Error(why));
    this.waiter = undefined;
  }

  next(timeoutMs = 2000): Promise<ZkPacket> {
    const queued = this.queue.shift();
    if (queued) return Promise.resolve(queued);
    if (this.closed) return Promise.reject(new Error('connection closed'));
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        this.waiter = undefined;
        reject(new Error('timeout'));
      }, timeoutMs);
      this.waiter = {
        resolve: (p) => (clearTimeout(t), resolve(p)),
        reject: (e) => (clearTimeout(t), reject(e)),
      };
    });
  }

  send(command: number, data?: Uint8Array): void {
    this.write(encodePacket({ command, sessionId: this.sessionId, replyId: this.replyId, data }));
  }

  sendPacket(inner: Buffer): void {
    this.write(inner);
  }

  /** One request, one reply; the reply must echo the reply id. */
  async request(command: number, data?: Uint8Array, timeoutMs?: number): Promise<ZkPacket> {
    this.send(command, data);
    const p = await this.next(timeoutMs);
    expect(p.replyId).toBe(this.replyId);
    this.replyId = nextReplyId(this.replyId);
    return p;
  }

  async connect(commKey?: number): Promise<ZkPacket> {
    let p = await this.request(CMD.CONNECT);
    this.sessionId = p.sessionId;
    if (p.command === CMD.ACK_UNAUTH && commKey !== undefined) p = await this.request(CMD.AUTH, makeCommKey(commKey, this.sessionId));
    return p;
  }

  /** PREPARE_DATA, DATA..., ACK_OK for one READ_BUFFER / ATTLOG_RRQ; returns the announced size and the DATA payloads. */
  async collect(command: number, data?: Uint8Array): Promise<{ announced: number; parts: Buffer[] }> {
    this.send(command, data);
    const prep = await this.next();
    expect(prep.replyId).toBe(this.replyId);
    const announced = decodePrepareData(prep);
    const parts: Buffer[] = [];
    for (;;) {
      const p = await this.next();
      expect(p.replyId).toBe(this.replyId);
      if (p.command === CMD.ACK_OK) break;
      expect(p.command).toBe(CMD.DATA);
      parts.push(p.data);
    }
    this.replyId = nextReplyId(this.replyId);
    return { announced, parts };
  }

  /** pyzk-style buffered read of the attendance log; `onChunk` runs after every chunk. */
  async readAttLog(maxChunk: number, onChunk?: (i: number, asm: ZkBulkAssembler) => void): Promise<Buffer> {
    const reply = decodePrepareBufferReply(await this.request(CMD.PREPARE_BUFFER, encodePrepareBufferRequest(CMD.ATTLOG_RRQ)));
    if (reply.kind === 'inline') return reply.data;
    if (reply.kind === 'rejected') throw new Error(`rejected ${reply.replyCode}`);
    const asm = new ZkBulkAssembler(reply.totalSize, maxChunk);
    for (const [i, chunk] of asm.plan.entries()) {
      const { parts } = await this.collect(CMD.READ_BUFFER, encodeReadBufferRequest(chunk));
      parts.forEach((part) => asm.push(part));
      onChunk?.(i, asm);
    }
    expect((await this.request(CMD.FREE_DATA)).command).toBe(CMD.ACK_OK);
    return asm.finish();
  }

  close(): void {
    if (!this.closed) this.end();
    this.closed = true;
  }
}

const sims: ZkTerminalSim[] = [];
const clients: Client[] = [];
afterEach(async () => {
  clients.splice(0).forEach((c) => c.close());
  await Promise.all(sims.splice(0).map((s) => s.close()));
});

function makeSim(options: Partial<ZkSimOptions> = {}): ZkTerminalSim {
  const sim = new ZkTerminalSim({ zone: 'Asia/Makassar', ...options });
  sims.push(sim);
  return sim;
}
async function tcpClient(sim: ZkTerminalSim): Promise<{ client: Client; port: number }> {
  const port = await sim.listenTcp(0);
  const client = await Client.tcp(port);
  clients.push(client);
  return { client, port };
}
async function until(cond: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('ZK terminal simulator: public captured frames', () => {
  it('answers captured CONNECT requests byte for byte like the devices did', async () => {
    // bulentv/js_zklib issue #53, "RAW TCP Stream" of a ZKTeco K40: the client sent
    // 5050827d08000000e80316fc00000100 and the terminal answered ACK_OK in session 0x6ba0.
    // (adrobinoga/zk-protocol documents CONNECT only as packet(id=CMD_CONNECT), no capture.)
    const sim = makeSim({ firstSessionId: 0x6ba0 });
    const { client } = await tcpClient(sim);
    client.raw(hex('5050827d08000000e80316fc00000100'));
    const ack = await client.next();
    expect(wrapTcp(encodePacket(ack))).toEqual(hex('5050827d08000000d0078e8ca06b0100'));
    expect(decodeTcpFrame(hex('5050827d08000000d0078e8ca06b0100'))).toMatchObject({ command: CMD.ACK_OK, sessionId: 0x6ba0, replyId: 1 });

    // fananimi/pyzk test.py test_tcp_connect / test_udp_connect: pyzk's first frame
    // e80317fc00000000 and the ACK_OK in session 0xfb2f its mock replays.
    const sim2 = makeSim({ firstSessionId: 0xfb2f });
    const { client: c2 } = await tcpClient(sim2);
    c2.raw(hex('5050827d08000000e80317fc00000000'));
    const ack2 = await c2.next();
    expect(ack2.checksum).toBe(0xfcff); // decodePacket verified it
    expect(wrapTcp(encodePacket(ack2))).toEqual(hex('5050827d08000000d007fffc2ffb0000'));

    const sim3 = makeSim({ firstSessionId: 0xfb2f });
    const u = await Client.udp(await sim3.listenUdp(0));
    clients.push(u);
    u.raw(hex('e80317fc00000000'));
    expect(encodePacket(await u.next())).toEqual(hex('d007fffc2ffb0000'));
    expect(sim.stats.connects + sim2.stats.connects + sim3.stats.connects).toBe(3);
  });

  it('echoes session and reply id for the example packet of zk-protocol protocol.md', async () => {
    // protocol.md (rev bba6165), "Example of a regular type packet": CMD_OPTIONS_RRQ "~OS\0",
    // session 0xc0c5, reply 5. The sim does not know ~OS and answers ACK_ERROR, as terminal.md
    // says devices do for missing parameters.
    const sim = makeSim({ firstSessionId: 0xc0c5 });
    const { client } = await tcpClient(sim);
    expect((await client.connect()).sessionId).toBe(0xc0c5);
    client.raw(hex('50 50 82 7D 0C 00 00 00  0B 00 58 EF C5 C0 05 00 7E 4F 53 00'));
    expect(await client.next()).toMatchObject({ command: CMD.ACK_ERROR, sessionId: 0xc0c5, replyId: 5 });
    client.replyId = 6;
    const sn = await client.request(CMD.OPTIONS_RRQ, Buffer.from('~SerialNumber\0'));
    expect(sn.command).toBe(CMD.ACK_OK);
    expect(sn.data.toString('latin1')).toMatch(/^~SerialNumber=\w+\0$/);
  });
});

describe('ZK terminal simulator: sessions', () => {
  it('comm key: pyzk test.py frames and makeCommKey vectors; wrong key -> ACK_UNAUTH', async () => {
    // pyzk test.py test_tcp_unauth / test_tcp_auth: session 0x45cf, AUTH for password 12
    // carries 614d323c, for 45 carries 61c9323c; the mock replies are the device's answers.
    const sim = makeSim({ commKey: 45, firstSessionId: 0x45cf });
    const { client } = await tcpClient(sim);
    client.raw(hex('5050827d08000000e80317fc00000000'));
    expect(wrapTcp(encodePacket(await client.next()))).toEqual(hex('5050827d08000000d5075bb2cf450000'));
    client.raw(hex('5050827d0c0000004e044e2ccf450100614d323c')); // password 12: wrong
    expect(wrapTcp(encodePacket(await client.next()))).toEqual(hex('5050827d08000000d5075ab2cf450100'));
    expect(sim.stats.authFailures).toBe(1);
    client.sessionId = 0x45cf;
    client.replyId = 2;
    expect((await client.request(CMD.GET_TIME)).command).toBe(CMD.ACK_UNAUTH); // nothing before auth
    client.raw(hex('5050827d0c0000004e044db0cf45010061c9323c')); // password 45: right
    expect(wrapTcp(encodePacket(await client.next()))).toEqual(hex('5050827d08000000d0075fb2cf450100'));
    client.replyId = 3;
    expect((await client.request(CMD.GET_TIME)).command).toBe(CMD.ACK_OK);

    // The codec tests' public vector: makeCommKey(123456, 4242) = 267f32e9.
    const sim2 = makeSim({ commKey: 123456, firstSessionId: 4242 });
    const { client: c2 } = await tcpClient(sim2);
    const unauth = await c2.connect();
    expect(unauth).toMatchObject({ command: CMD.ACK_UNAUTH, sessionId: 4242 });
    expect((await c2.request(CMD.AUTH, makeCommKey(123457, 4242))).command).toBe(CMD.ACK_UNAUTH);
    expect((await c2.request(CMD.AUTH, Buffer.from([1]))).command).toBe(CMD.ACK_UNAUTH);
    expect(makeCommKey(123456, 4242)).toEqual(hex('267f32e9'));
    expect((await c2.request(CMD.AUTH, hex('267f32e9')))).toMatchObject({ command: CMD.ACK_OK, sessionId: 4242 });
    expect(sim2.stats.authFailures).toBe(2);
  });

  it('GET_TIME shows the offset clock in the device zone; SET_TIME resets it; drift accrues', async () => {
    const sim = makeSim({ zone: 'Asia/Jayapura', clockOffsetMs: 90_000 });
    const { client } = await tcpClient(sim);
    await client.connect();
    const before = Date.now();
    const got = decodeGetTimeReply((await client.request(CMD.GET_TIME)).data);
    const wit = before + 90_000 + 9 * 3_600_000; // WIT = UTC+9, no DST
    expect(naiveMs(got)).toBeGreaterThanOrEqual(Math.floor(wit / 1000) * 1000 - 1000);
    expect(naiveMs(got)).toBeLessThanOrEqual(Date.now() + 90_000 + 9 * 3_600_000);

    const target: NaiveDateTime = { year: 2030, month: 1, day: 2, hour: 3, minute: 4, second: 5 };
    expect((await client.request(CMD.SET_TIME, encodeSetTimeRequest(target))).command).toBe(CMD.ACK_OK);
    const after = decodeGetTimeReply((await client.request(CMD.GET_TIME)).data);
    expect(naiveMs(after) - naiveMs(target)).toBeLessThanOrEqual(1000);
    expect(sim.stats.setTimes).toBe(1);
    expect((await client.request(CMD.SET_TIME, hex('0000'))).command).toBe(CMD.ACK_ERROR);

    const drifting = makeSim({ zone: 'Asia/Jakarta', clockDriftPpm: 1000 });
    const at = new Date(Date.now() + 1_000_000); // 1000 s later, 1000 ppm -> 1 s ahead
    expect(naiveMs(drifting.deviceNow(at)) - (Math.floor(at.getTime() / 1000) * 1000 + 7 * 3_600_000)).toBeGreaterThanOrEqual(999);
  });

  it('answers the small commands, unknown ones, and plain ATTLOG_RRQ; EXIT closes', async () => {
    const sim = makeSim({ recordSize: 16, capacity: 5000 });
    sim.addRecords(30, { userIds: ['7', '8', '9'] });
    const { client } = await tcpClient(sim);
    expect((await client.request(CMD.GET_TIME)).command).toBe(CMD.ACK_UNAUTH); // before CONNECT
    await client.connect();
    expect((await client.request(CMD.DISABLEDEVICE)).command).toBe(CMD.ACK_OK);
    const sizes = decodeFreeSizes((await client.request(CMD.GET_FREE_SIZES)).data);
    expect(sizes).toMatchObject({ users: 3, records: 30, recordsCapacity: 5000, recordsAvailable: 4970 });
    expect((await client.request(4242)).command).toBe(CMD.ACK_UNKNOWN);
    const { announced, parts } = await client.collect(CMD.ATTLOG_RRQ);
    const whole = Buffer.concat(parts);
    expect(announced).toBe(whole.length);
    expect(decodeAttendanceLog(whole, { recordCount: sizes.records }).records).toEqual(sim.records);
    expect((await client.request(CMD.CLEAR_ATTLOG)).command).toBe(CMD.ACK_OK);
    expect(sim.records).toHaveLength(0);
    expect(sim.stats.clears).toBe(1);
    expect((await client.request(CMD.ENABLEDEVICE)).command).toBe(CMD.ACK_OK);
    expect((await client.request(CMD.EXIT)).command).toBe(CMD.ACK_OK);
    await until(() => client.closed);
  });
});

describe('ZK terminal simulator: bulk download', () => {
  it('100,000 records over TCP come back byte-identical in well under 10 s', async () => {
    const sim = makeSim({ zone: 'Asia/Jakarta' });
    const t0 = performance.now();
    sim.addRecords(100_000);
    expect(performance.now() - t0).toBeLessThan(1000);
    const { client } = await tcpClient(sim);
    await client.connect();
    const count = decodeFreeSizes((await client.request(CMD.GET_FREE_SIZES)).data).records;
    expect(count).toBe(100_000);
    // A punch during the download must not shift the snapshot taken by PREPARE_BUFFER.
    const data = await client.readAttLog(MAX_CHUNK_TCP, (i) => i === 0 && sim.punch('1001'));
    expect(performance.now() - t0).toBeLessThan(10_000);
    const log = decodeAttendanceLog(data, { recordCount: count });
    expect(log.recordSize).toBe(40);
    expect(log.records).toHaveLength(100_000);
    expect(data.equals(encodeAttendanceLog(sim.records.slice(0, 100_000), 40))).toBe(true);
    expect(log.records[99_999]).toEqual(sim.records[99_999]);
    expect(sim.records).toHaveLength(100_001);
    expect(sim.stats.chunksServed).toBe(Math.ceil(data.length / MAX_CHUNK_TCP));
  });

  it('5,000 records over UDP, in 1024-byte DATA datagrams, plus inline DATA for a small log', async () => {
    const sim = makeSim({ recordSize: 49 });
    sim.addRecords(5000);
    const client = await Client.udp(await sim.listenUdp(0));
    clients.push(client);
    await client.connect();
    const prep = await client.request(CMD.PREPARE_BUFFER, encodePrepareBufferRequest(CMD.ATTLOG_RRQ));
    const total = decodePrepareBufferReply(prep);
    expect(total).toEqual({ kind: 'buffered', totalSize: 4 + 5000 * 49 });
    const first = await client.collect(CMD.READ_BUFFER, encodeReadBufferRequest({ offset: 0, size: MAX_CHUNK_UDP }));
    expect(first.announced).toBe(MAX_CHUNK_UDP);
    expect(first.parts.map((p) => p.length)).toEqual(Array(16).fill(1024));
    const data = await client.readAttLog(MAX_CHUNK_UDP);
    expect(decodeAttendanceLog(data, { recordCount: 5000 }).records).toEqual(sim.records);

    const small = makeSim({ recordSize: 8 });
    small.addRecords(20, { userIds: ['1', '2'] });
    const c2 = await Client.udp(await small.listenUdp(0));
    clients.push(c2);
    await c2.connect();
    const inline = await c2.readAttLog(MAX_CHUNK_UDP); // 4 + 160 bytes: DATA straight away
    expect(decodeAttendanceLog(inline, { recordSize: 8 }).records).toEqual(small.records);
    expect(small.stats.chunksServed).toBe(0);
  });
});

describe('ZK terminal simulator: realtime events', () => {
  it('sends each punch as an EF_ATTLOG packet to registered sessions and counts the ACKs', async () => {
    const sim = makeSim({ zone: 'Asia/Makassar', clockOffsetMs: -5000 });
    const port = await sim.listenTcp(0);
    const [live, quiet] = [await Client.tcp(port), await Client.tcp(port)];
    clients.push(live, quiet);
    await live.connect();
    await quiet.connect();
    expect((await live.request(CMD.REG_EVENT, encodeRegEventRequest(EF.ATTLOG))).command).toBe(CMD.ACK_OK);
    const at = new Date('2025-03-04T00:15:30Z'); // 08:15:25 WITA on the device, 5 s slow
    sim.punch('1007', at, { status: 1, verify: 15 });
    sim.punch('ABC-9', at); // sent although the first is not acknowledged yet
    const ev = await live.next();
    expect(ev).toMatchObject({ command: CMD.REG_EVENT, sessionId: EF.ATTLOG, replyId: 0 });
    expect(decodeLiveAttendancePacket(ev)).toEqual([
      { userId: '1007', verify: 15, status: 1, deviceTime: { year: 2025, month: 3, day: 4, hour: 8, minute: 15, second: 25 }, layout: 36 },
    ]);
    expect(sim.deviceNow(at)).toEqual({ year: 2025, month: 3, day: 4, hour: 8, minute: 15, second: 25 });
    live.sendPacket(encodePacket(eventAckFields(live.sessionId)));
    expect(decodeLiveAttendancePacket(await live.next())?.[0]?.userId).toBe('ABC-9');
    live.sendPacket(encodePacket(eventAckFields(live.sessionId)));
    await until(() => sim.stats.eventsAcked === 2);
    expect(sim.stats.eventsSent).toBe(2);
    await expect(quiet.next(100)).rejects.toThrow('timeout');
    expect(sim.records.map((r) => r.userId)).toEqual(['1007', 'ABC-9']);
  });
});

describe('ZK terminal simulator: disabled device', () => {
  it('holds punches while disabled, also after the disabling session ends, and records them with their time on ENABLEDEVICE', async () => {
    const sim = makeSim({ zone: 'Asia/Makassar' });
    sim.addRecords(2, { userIds: ['1', '2'] });
    const port = await sim.listenTcp(0);
    const [admin, live] = [await Client.tcp(port), await Client.tcp(port)];
    clients.push(admin, live);
    await admin.connect();
    await live.connect();
    expect((await live.request(CMD.REG_EVENT, encodeRegEventRequest(EF.ATTLOG))).command).toBe(CMD.ACK_OK);

    expect((await admin.request(CMD.DISABLEDEVICE)).command).toBe(CMD.ACK_OK);
    expect(sim.disabled).toBe(true);
    const at = new Date('2025-03-04T00:15:30Z'); // 08:15:30 WITA
    const punched = sim.punch('1007', at, { status: 1, verify: 15 });
    expect(sim.heldPunches).toBe(1);
    expect(sim.records).toHaveLength(2); // not in the log: the terminal showed "working"
    expect(decodeFreeSizes((await admin.request(CMD.GET_FREE_SIZES)).data).records).toBe(2);
    await expect(live.next(100)).rejects.toThrow('timeout'); // and no realtime event

    // The session that disabled the device ends (EXIT, then the line drops): still disabled.
    expect((await admin.request(CMD.EXIT)).command).toBe(CMD.ACK_OK);
    await until(() => admin.closed);
    expect(decodeFreeSizes((await live.request(CMD.GET_FREE_SIZES)).data).records).toBe(2);
    expect(sim.disabled).toBe(true);
    expect(sim.heldPunches).toBe(1);

    // Any session's ENABLEDEVICE releases it: the punch is recorded and pushed live.
    const other = await Client.tcp(port);
    clients.push(other);
    await other.connect();
    expect((await other.request(CMD.ENABLEDEVICE)).command).toBe(CMD.ACK_OK);
    expect(sim.disabled).toBe(false);
    expect(sim.heldPunches).toBe(0);
    const wallTime = { year: 2025, month: 3, day: 4, hour: 8, minute: 15, second: 30 };
    expect(sim.records).toHaveLength(3);
    expect(sim.records[2]).toMatchObject({ userId: '1007', deviceTime: wallTime, status: 1, verify: 15 });
    expect(punched).toMatchObject({ userId: '1007', deviceTime: wallTime, status: 1, verify: 15 });
    expect(decodeLiveAttendancePacket(await live.next())).toEqual([{ userId: '1007', verify: 15, status: 1, deviceTime: wallTime, layout: 36 }]);
    expect(sim.stats).toMatchObject({ disables: 1, enables: 1, heldPunches: 1 });
    // The released record is in the download, byte for byte as if punched then.
    const data = await other.readAttLog(MAX_CHUNK_TCP);
    expect(decodeAttendanceLog(data, { recordCount: 3 }).records).toEqual(sim.records);
  });

  it('re-enables itself after the optional DISABLEDEVICE timeout (u32 LE seconds), then records the held punch', async () => {
    const sim = makeSim();
    const { client } = await tcpClient(sim);
    await client.connect();
    const oneSecond = Buffer.alloc(4);
    oneSecond.writeUInt32LE(1);
    expect((await client.request(CMD.DISABLEDEVICE, oneSecond)).command).toBe(CMD.ACK_OK);
    expect(sim.disabled).toBe(true);
    sim.punch('1001');
    expect(sim.records).toHaveLength(0);
    await until(() => !sim.disabled, 5000);
    expect(sim.records.map((r) => r.userId)).toEqual(['1001']);
    expect(sim.heldPunches).toBe(0);
  });

  it('a punch made between the count and CLEAR_ATTLOG is erased when the device is not disabled, and kept when it is', async () => {
    // The race the driver must avoid, at the device: onRequest runs when CLEAR_ATTLOG arrives.
    const sim = makeSim();
    sim.addRecords(3);
    const { client } = await tcpClient(sim);
    await client.connect();
    sim.hooks.onRequest = (command) => {
      if (command === CMD.CLEAR_ATTLOG) sim.punch('RACE');
    };
    expect(decodeFreeSizes((await client.request(CMD.GET_FREE_SIZES)).data).records).toBe(3);
    expect((await client.request(CMD.CLEAR_ATTLOG)).command).toBe(CMD.ACK_OK);
    expect(sim.records).toHaveLength(0); // the punch went with the clear

    sim.addRecords(3);
    expect((await client.request(CMD.DISABLEDEVICE)).command).toBe(CMD.ACK_OK);
    expect(decodeFreeSizes((await client.request(CMD.GET_FREE_SIZES)).data).records).toBe(3);
    expect((await client.request(CMD.CLEAR_ATTLOG)).command).toBe(CMD.ACK_OK);
    expect(sim.records).toHaveLength(0);
    expect((await client.request(CMD.ENABLEDEVICE)).command).toBe(CMD.ACK_OK);
    expect(sim.records.map((r) => r.userId)).toEqual(['RACE']);
  });
});

describe('ZK terminal simulator: faults', () => {
  it('dropAfterChunks closes the connection mid-download, once', async () => {
    const sim = makeSim();
    sim.addRecords(3000); // 120,004 bytes: 8 chunks of 16 KiB
    const { client, port } = await tcpClient(sim);
    await client.connect();
    sim.faults.dropAfterChunks = 2;
    let chunks = 0;
    await expect(client.readAttLog(16 * 1024, () => chunks++)).rejects.toThrow('connection closed');
    expect(chunks).toBe(2);
    expect(sim.stats.chunksServed).toBe(2);
    expect(sim.faults.dropAfterChunks).toBeUndefined();
    const again = await Client.tcp(port);
    clients.push(again);
    await again.connect();
    expect((await again.readAttLog(16 * 1024)).length).toBe(4 + 3000 * 40);
  });

  it('shortChunk sends fewer bytes than announced and the assembler refuses the result', async () => {
    const sim = makeSim();
    sim.addRecords(1000);
    const { client } = await tcpClient(sim);
    await client.connect();
    sim.faults.shortChunk = true;
    const err: unknown = await client.readAttLog(8 * 1024).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ZkProtocolError);
    expect(String(err)).toMatch(/incomplete/);
    expect(sim.faults.shortChunk).toBe(false);
    expect((await client.readAttLog(8 * 1024)).length).toBe(4 + 1000 * 40); // once only
  });

  it('ignoreRequests makes the terminal hang until cleared', async () => {
    const sim = makeSim();
    const { client } = await tcpClient(sim);
    await client.connect();
    sim.faults.ignoreRequests = true;
    await expect(client.request(CMD.GET_TIME, undefined, 150)).rejects.toThrow('timeout');
    sim.faults.ignoreRequests = false;
    client.replyId = nextReplyId(client.replyId);
    expect((await client.request(CMD.GET_TIME)).command).toBe(CMD.ACK_OK);
  });
});

describe('ZK terminal simulator: transports and robustness', () => {
  it('serves a stream pair with TCP framing (serial), even fed one byte at a time', async () => {
    const sim = makeSim({ liveLayout: 32 });
    sim.addRecords(100);
    const toSim = new PassThrough();
    const fromSim = new PassThrough();
    sim.attachStream(Duplex.from({ readable: toSim, writable: fromSim }));
    const client = Client.stream(toSim, fromSim);
    const connect = wrapTcp(encodePacket({ command: CMD.CONNECT, sessionId: 0, replyId: 0 }));
    for (const b of connect) toSim.write(Buffer.of(b));
    const ack = await client.next();
    expect(ack.command).toBe(CMD.ACK_OK);
    client.sessionId = ack.sessionId;
    // Line noise before, between and inside a write is skipped; the session survives.
    const getTime = wrapTcp(encodePacket({ command: CMD.GET_TIME, sessionId: ack.sessionId, replyId: 1 }));
    const getSizes = wrapTcp(encodePacket({ command: CMD.GET_FREE_SIZES, sessionId: ack.sessionId, replyId: 2 }));
    client.raw(Buffer.concat([Buffer.from('\r\nnoise\r\n'), getTime, Buffer.from('\0\xff'), getSizes]));
    expect(await client.next()).toMatchObject({ command: CMD.ACK_OK, replyId: 1 });
    expect(decodeFreeSizes((await client.next()).data).records).toBe(100);
    client.replyId = 3;
    expect(decodeAttendanceLog(await client.readAttLog(MAX_CHUNK_TCP), { recordCount: 100 }).records).toEqual(sim.records);
    expect((await client.request(CMD.REG_EVENT, encodeRegEventRequest(EF.ATTLOG))).command).toBe(CMD.ACK_OK);
    sim.punch('1001');
    expect(decodeLiveAttendancePacket(await client.next())?.[0]).toMatchObject({ userId: '1001', layout: 32 });
  });

  it('garbage on TCP drops only that connection; garbage on UDP is ignored', async () => {
    const sim = makeSim();
    const port = await sim.listenTcp(0);
    const garbage = [
      Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'),
      hex('5050827d08000000e80318fc00000000'), // bad checksum
      hex('5050827dffffff7f'), // absurd length
    ];
    for (const g of garbage) {
      const bad = await Client.tcp(port);
      clients.push(bad);
      bad.raw(g);
      await until(() => bad.closed);
    }
    const good = await Client.tcp(port);
    clients.push(good);
    expect((await good.connect()).command).toBe(CMD.ACK_OK);

    const udp = await Client.udp(await sim.listenUdp(0));
    clients.push(udp);
    udp.raw(hex('0102'));
    udp.raw(hex('e80318fc00000000'));
    expect((await udp.connect()).command).toBe(CMD.ACK_OK);
  });
});
