import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { CMD, type ZkAttendanceRecord } from '../../protocols/zk/index.js';
import { ZkTerminal } from '../../edge/terminals/zk/driver.js';
import { ZkTerminalConfig } from '../../edge/terminals/zk/config.js';
import { Outbox, type NewRecord } from '../../edge/outbox.js';
import { naiveToIso, type TerminalContext } from '../../edge/terminals/terminal.js';
import { ZkTerminalSim } from '../../sim/zk-terminal.js';
import { eventually, type LogLine } from '../helpers/proc.js';

/**
 * The ZK driver disables the terminal (CMD_DISABLEDEVICE) around the record count,
 * the clear and the download, and enables it again afterwards and on every connect.
 * Real driver, real outbox, simulated terminal on a real TCP loopback socket; the
 * simulator's onRequest hook punches at an exact point of the exchange, so the race
 * is hit every run without relying on timing.
 */

/** A gateway around one ZK driver: the real outbox, and a central that acks each commit at once. */
class Gateway {
  readonly lines: LogLine[] = [];
  /** Punches committed to the outbox, as `employee@deviceTime`, in commit order. */
  readonly committed: string[] = [];
  readonly driver: ZkTerminal;
  private readonly dir = mkdtempSync(join(tmpdir(), 'zk-disable-'));
  private readonly outbox = new Outbox(this.dir);

  constructor(port: number, settings: Record<string, unknown>) {
    const ctx: TerminalContext = {
      record: (r) => this.commit([r]).length > 0,
      recordMany: (rs) => this.commit(rs),
      highestSeq: () => this.outbox.highestSeq(),
      isAcked: (seq) => this.outbox.lastAckedSeq() >= seq,
      getState: (key) => this.outbox.getState(key),
      setState: (key, value) => this.outbox.setState(key, value),
    };
    const config = ZkTerminalConfig.parse({ id: 'zk-door', driver: 'zk', host: '127.0.0.1', port, zone: 'Asia/Jakarta', reconnectMinMs: 100, reconnectMaxMs: 200, ...settings });
    const log = pino({ level: 'info' }, { write: (line: string) => void this.lines.push(JSON.parse(line) as LogLine) });
    this.driver = new ZkTerminal(config, ctx, log);
  }

  private commit(records: readonly NewRecord[]): number[] {
    const seqs = this.outbox.appendMany(records);
    for (const r of this.outbox.pending(this.outbox.lastAckedSeq(), 1_000_000)) {
      if (r.kind === 'punch') this.committed.push(`${r.employee}@${r.deviceTime}`);
    }
    this.outbox.ack(this.outbox.highestSeq());
    return seqs;
  }

  async close(): Promise<void> {
    await this.driver.stop();
    this.outbox.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

const key = (r: Pick<ZkAttendanceRecord, 'userId' | 'deviceTime'>): string => `${r.userId}@${naiveToIso(r.deviceTime)}`;

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(prefill: number, settings: Record<string, unknown>): Promise<{ sim: ZkTerminalSim; gw: Gateway }> {
  const sim = new ZkTerminalSim({ zone: 'Asia/Jakarta' });
  cleanups.push(() => sim.close());
  sim.addRecords(prefill, { startAt: new Date('2026-11-20T00:00:00Z'), spacingMs: 60_000 });
  const gw = new Gateway(await sim.listenTcp(0), settings);
  cleanups.push(() => gw.close());
  return { sim, gw };
}

describe('ZK driver: terminal disabled while its log is counted, cleared and read', () => {
  it('a punch made between the record count and CLEAR_ATTLOG, and one made during the download, are committed and survive the clears', async () => {
    // No live events: the punch's realtime event is "missed", only the log can save it.
    const { sim, gw } = await setup(3, { liveEvents: false, clearAfterPull: true, reconcileIntervalS: 3600 });
    gw.driver.start();
    await eventually(() => gw.committed.length, (n) => n === 3, 20_000, 'the first pull of 3 records');

    // The central acked the pull, so the next reconcile clears. An employee punches at
    // the moment CLEAR_ATTLOG reaches the terminal (after the count matched), and
    // another while the following download is being prepared.
    const punches: { record: ZkAttendanceRecord; during: string; disabled: boolean; logSize: number }[] = [];
    sim.hooks.onRequest = (command) => {
      if (command === CMD.CLEAR_ATTLOG && punches.length === 0) {
        punches.push({ record: sim.punch('9001', new Date('2026-11-20T02:00:00Z')), during: 'clear', disabled: sim.disabled, logSize: sim.records.length });
      } else if (command === CMD.PREPARE_BUFFER && punches.length === 1) {
        punches.push({ record: sim.punch('9002', new Date('2026-11-20T02:00:05Z')), during: 'download', disabled: sim.disabled, logSize: sim.records.length });
      }
    };

    await gw.driver.downloadLogs(); // count 3 = pulled 3 -> CLEAR_ATTLOG; 9001 punched then
    expect(sim.stats.clears).toBe(1);
    expect(punches).toHaveLength(1);
    // The clear did not take 9001: the terminal was busy, and took it once enabled again.
    expect(sim.records.map(key)).toEqual([key(punches[0]!.record)]);
    expect(punches[0]).toMatchObject({ during: 'clear', disabled: true, logSize: 3 });
    expect(sim.disabled).toBe(false);

    await gw.driver.downloadLogs(); // downloads 9001; 9002 is punched during this download
    expect(punches[1]).toMatchObject({ during: 'download', disabled: true });
    await gw.driver.downloadLogs(); // count 2 != pulled 1: no clear; downloads 9002
    const expected = punches.map((p) => key(p.record));
    expect(gw.committed.slice(3)).toEqual(expected);

    await gw.driver.downloadLogs(); // count 2 = pulled 2 -> cleared again
    expect(sim.stats.clears).toBe(2);
    expect(sim.records).toHaveLength(0);
    expect(gw.committed.filter((k) => expected.includes(k))).toEqual(expected); // once each
    expect(sim.disabled).toBe(false);
    expect(sim.stats.disables).toBe(sim.stats.enables - 1); // every disable enabled again (+1: the enable on connect)

    const download = gw.lines.find((l) => l.msg === 'log download found punches missed live' && l.new === 1);
    expect(download?.disabledMs).toEqual(expect.any(Number));
  });

  it('re-enables, on reconnect, a terminal left disabled by a connection dropped mid-download', async () => {
    // 200 records = 8,004 bytes, read in 1 KiB chunks; the terminal drops the line after 2.
    const { sim, gw } = await setup(200, { maxChunkBytes: 1024, reconcileIntervalS: 3600 });
    sim.faults.dropAfterChunks = 2;
    let connects = 0;
    let atReconnect: { disabled: boolean; punch: ZkAttendanceRecord } | undefined;
    let atNextRead: { disabled: boolean; logged: string[] } | undefined;
    sim.hooks.onRequest = (command) => {
      if (command === CMD.CONNECT && ++connects === 2) {
        // While the gateway was away an employee tried to punch: "working", try again.
        atReconnect = { disabled: sim.disabled, punch: sim.punch('7777', new Date('2026-11-20T05:00:00Z')) };
      } else if (command === CMD.DISABLEDEVICE && connects === 2 && !atNextRead) {
        atNextRead = { disabled: sim.disabled, logged: sim.records.slice(200).map(key) };
      }
    };
    gw.driver.start();

    const committed = await eventually(() => gw.committed, (c) => c.length === 201, 20_000, 'all 201 punches after the reconnect');
    expect(atReconnect?.disabled).toBe(true); // the drop left it disabled
    expect(committed).toContain(key(atReconnect!.punch));
    // Enabled as soon as the gateway was back, not only at the end of its next log read.
    expect(atNextRead).toEqual({ disabled: false, logged: [key(atReconnect!.punch)] });
    expect(sim.disabled).toBe(false);
    expect(sim.heldPunches).toBe(0);
    expect(gw.lines.some((l) => l.level === 40 && String(l.msg).startsWith('could not re-enable the terminal'))).toBe(true);
  });

  it('stopping the gateway mid-download leaves the terminal enabled (the read finishes, then ENABLEDEVICE)', async () => {
    const { sim, gw } = await setup(200, { maxChunkBytes: 1024, reconcileIntervalS: 3600 });
    let stopping: Promise<void> | undefined;
    let disabledAtStop = false;
    sim.hooks.onRequest = (command) => {
      if (command === CMD.READ_BUFFER && !stopping) {
        disabledAtStop = sim.disabled;
        stopping = gw.driver.stop();
      }
    };
    gw.driver.start();
    await eventually(() => stopping !== undefined, (started) => started, 20_000, 'the download to start');
    await stopping;
    expect(disabledAtStop).toBe(true);
    await eventually(() => sim.disabled, (d) => !d, 5000, 'the terminal enabled');
  });
});
