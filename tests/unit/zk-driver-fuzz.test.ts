import { describe, expect, it } from 'vitest';
import { createServer, type Socket } from 'node:net';
import fc from 'fast-check';
import { pino } from 'pino';
import { CMD, EF, decodeTcpFrame, encodeTcpFrame, ZkTcpDeframer } from '../../protocols/zk/index.js';
import { EventRecord } from '../../protocols/mqtt/payloads.js';
import { ZkTerminal } from '../../edge/terminals/zk/driver.js';
import { ZkTerminalConfig } from '../../edge/terminals/zk/config.js';
import type { NewRecord } from '../../edge/outbox.js';

/**
 * 100,000 hostile frames from a "terminal" at the gateway's ZK driver, over a real
 * socket: well-framed packets with random commands and payloads (many of them
 * realtime events with garbage inside) and raw garbage. The driver must neither
 * throw nor record anything that is not a valid record.
 */
describe('ZK driver under fuzzed frames', () => {
  it('survives 100,000 random and truncated frames', async () => {
    // Well-framed packets with hostile contents; every 5,000th case is raw garbage or
    // a truncated frame, which breaks the stream and forces a reconnect.
    const packet = fc.oneof(
      fc.record({ command: fc.constantFrom(CMD.REG_EVENT, CMD.ACK_OK, CMD.DATA, CMD.PREPARE_DATA, CMD.ACK_UNAUTH), sessionId: fc.constantFrom(EF.ATTLOG, 0, 7), replyId: fc.integer({ min: 0, max: 0xffff }), data: fc.uint8Array({ maxLength: 80 }) }),
      fc.record({ command: fc.integer({ min: 0, max: 0xffff }), sessionId: fc.integer({ min: 0, max: 0xffff }), replyId: fc.integer({ min: 0, max: 0xffff }), data: fc.uint8Array({ maxLength: 40 }) }),
    );
    const breaker = fc.oneof(
      fc.uint8Array({ minLength: 8, maxLength: 64 }).map((b) => Buffer.from(b)),
      packet.map((f) => encodeTcpFrame(f).subarray(0, 9)),
    );
    const framed = fc.sample(packet.map((f) => encodeTcpFrame(f)), { numRuns: 100_000, seed: 20261126 });
    const breakers = fc.sample(breaker, { numRuns: 20, seed: 20261126 });
    const frames = framed.map((f, i) => (i % 5000 === 4999 ? breakers[Math.floor(i / 5000)] ?? f : f));
    let sent = 0;
    let connections = 0;
    const server = createServer((socket: Socket) => {
      connections++;
      const deframer = new ZkTcpDeframer();
      socket.on('error', () => undefined);
      socket.on('data', (chunk: Buffer) => {
        let packets;
        try {
          packets = deframer.push(chunk);
        } catch {
          return socket.destroy();
        }
        for (const p of packets) {
          // Answer the handshake honestly, then flood.
          if (p.command === CMD.CONNECT) socket.write(encodeTcpFrame({ command: CMD.ACK_OK, sessionId: 99, replyId: p.replyId }));
          else if (p.command === CMD.GET_TIME) socket.write(encodeTcpFrame({ command: CMD.ACK_OK, sessionId: 99, replyId: p.replyId, data: Buffer.from([0x10, 0x20, 0x30, 0x2c]) }));
          else if (p.command === CMD.GET_FREE_SIZES) socket.write(encodeTcpFrame({ command: CMD.ACK_OK, sessionId: 99, replyId: p.replyId, data: Buffer.alloc(92) }));
          else if (p.command === CMD.REG_EVENT) {
            socket.write(encodeTcpFrame({ command: CMD.ACK_OK, sessionId: 99, replyId: p.replyId }));
            const flood = () => {
              while (sent < frames.length && socket.writable) {
                const frame = frames[sent++]!;
                // Raw garbage breaks the stream: the driver drops it and reconnects.
                if (!socket.write(frame)) return void socket.once('drain', flood);
                if (frame.length < 8 || !isFramed(frame)) return void socket.end();
              }
            };
            flood();
          }
        }
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as { port: number }).port;

    const recorded: NewRecord[] = [];
    const ctx = {
      record: (r: NewRecord) => (recorded.push(r), true),
      recordMany: (rs: readonly NewRecord[]) => (recorded.push(...rs), rs.map((_, i) => i + 1)),
      highestSeq: () => recorded.length,
      isAcked: () => true,
      getState: () => undefined,
      setState: () => undefined,
    };
    const config = ZkTerminalConfig.parse({ id: 'fuzz', driver: 'zk', host: '127.0.0.1', port, zone: 'Asia/Jakarta', reconnectMinMs: 100, reconnectMaxMs: 100, requestTimeoutMs: 300, reconcileIntervalS: 3600, keepaliveS: 3600 });
    const driver = new ZkTerminal(config, ctx, pino({ level: 'silent' }));
    driver.start();
    const deadline = Date.now() + 60_000;
    while (sent < frames.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await driver.stop();
    await new Promise<void>((r) => server.close(() => r()));

    expect(sent).toBe(100_000);
    expect(connections).toBeGreaterThan(1); // garbage forced reconnects, and the driver came back each time
    for (const r of recorded) expect(EventRecord.safeParse({ ...r, seq: 1 }).success, JSON.stringify(r)).toBe(true);
  }, 90_000);
});

function isFramed(frame: Buffer): boolean {
  try {
    decodeTcpFrame(frame);
    return true;
  } catch {
    return false;
  }
}
