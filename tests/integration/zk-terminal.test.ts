import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SerialPort } from 'serialport';
import { CMD } from '../../protocols/zk/index.js';
import { ZkTerminalSim } from '../../sim/zk-terminal.js';
import { TestSystem } from '../helpers/system.js';
import { join } from 'node:path';
import { eventually, NodeProcess } from '../helpers/proc.js';

/**
 * ZK-protocol terminals on real sockets and a socat pty: simulated terminals, a real
 * gateway process, the central and influxd.
 */
describe('ZK terminals', () => {
  const tcp = new ZkTerminalSim({ zone: 'Asia/Jakarta', commKey: 12345, clockOffsetMs: 120_000 });
  const udp = new ZkTerminalSim({ zone: 'Asia/Makassar', recordSize: 16 });
  const serial = new ZkTerminalSim({ zone: 'Asia/Jayapura', liveLayout: 32 });
  const badKey = new ZkTerminalSim({ zone: 'Asia/Jakarta', commKey: 4242 });
  const big = new ZkTerminalSim({ zone: 'Asia/Jakarta' });
  const flaky = new ZkTerminalSim({ zone: 'Asia/Makassar', maxChunk: 4096 });
  const clearing = new ZkTerminalSim({ zone: 'Asia/Jakarta' });
  /** What the clearing terminal looked like when its first CLEAR_ATTLOG arrived (see the hook below). */
  let atClear: { disabled: boolean; logSize: number } | undefined;
  let system: TestSystem;
  let serialEnd: SerialPort;

  const zk = (id: string, extra: Record<string, unknown>) => ({ id, driver: 'zk', host: '127.0.0.1', reconnectMinMs: 200, reconnectMaxMs: 1000, keepaliveS: 2, ...extra });

  beforeAll(async () => {
    big.addRecords(100_000, { startAt: new Date('2026-06-01T00:00:00Z'), spacingMs: 60_000 });
    flaky.addRecords(20_000, { startAt: new Date('2026-09-01T00:00:00Z'), spacingMs: 30_000 });
    flaky.faults.dropAfterChunks = 20;
    clearing.addRecords(3, { startAt: new Date('2026-11-25T00:00:00Z'), userIds: ['8101', '8102', '8103'] });
    // An employee punches the moment the gateway's CLEAR_ATTLOG reaches the terminal,
    // after the record count it checked: the race a clear can lose a punch to.
    clearing.hooks.onRequest = (command) => {
      if (command !== CMD.CLEAR_ATTLOG || atClear) return;
      atClear = { disabled: clearing.disabled, logSize: clearing.records.length };
      clearing.punch('8001', new Date('2026-11-26T03:00:00Z'));
    };
    const ports = {
      tcp: await tcp.listenTcp(0),
      udp: await udp.listenUdp(0),
      badKey: await badKey.listenTcp(0),
      big: await big.listenTcp(0),
      flaky: await flaky.listenTcp(0),
      clearing: await clearing.listenTcp(0),
    };
    system = new TestSystem([
      {
        gateway: 'gw-dishub',
        opd: 'dishub',
        zone: 'Asia/Jakarta',
        terminals: [
          zk('zk-tcp', { port: ports.tcp, zone: 'Asia/Jakarta', commKey: 12345, clockSkewAlarmS: 60 }),
          zk('zk-udp', { transport: 'udp', port: ports.udp, zone: 'Asia/Makassar' }),
          // filled in below once the pty exists
        ],
      },
      { gateway: 'gw-arsip', opd: 'arsip', zone: 'Asia/Jakarta', mqtt: { batchSize: 1000 }, terminals: [zk('zk-big', { port: ports.big, zone: 'Asia/Jakarta', reconcileIntervalS: 3, liveEvents: false })] },
      { gateway: 'gw-pupr', opd: 'pupr', zone: 'Asia/Makassar', mqtt: { batchSize: 1000 }, terminals: [zk('zk-flaky', { port: ports.flaky, zone: 'Asia/Makassar', maxChunkBytes: 4096, liveEvents: false })] },
      { gateway: 'gw-setda', opd: 'setda', zone: 'Asia/Jakarta', terminals: [zk('zk-badkey', { port: ports.badKey, zone: 'Asia/Jakarta', commKey: 1111 })] },
      // Live events off: the punch made during the clear has only the log to reach the central.
      { gateway: 'gw-bkd', opd: 'bkd', zone: 'Asia/Jakarta', terminals: [zk('zk-clear', { port: ports.clearing, zone: 'Asia/Jakarta', clearAfterPull: true, liveEvents: false, reconcileIntervalS: 1 })] },
    ]);
    const pty = await system.ptyPair('zk-serial');
    system.offices[0]!.terminals!.push(zk('zk-serial', { transport: 'serial', serialPort: pty.gatewayPath, experimental: true, zone: 'Asia/Jayapura', host: undefined }));
    serialEnd = new SerialPort({ path: pty.devicePath, baudRate: 115200 });
    serialEnd.on('error', () => undefined); // the pty vanishes at teardown
    serial.attachStream(serialEnd);
    await system.start();
  }, 120_000);

  afterAll(async () => {
    await system.stop();
    await Promise.all([tcp, udp, serial, badKey, big, flaky, clearing].map((s) => s.close()));
    if (serialEnd?.isOpen) serialEnd.close();
  }, 60_000);

  const punchesOf = (terminal: string, where = '') => system.punches(`WHERE terminal = '${terminal}' ${where}`);

  it('stores live punches from TCP (WIB), UDP (WITA) and serial (WIT) terminals once each, in UTC', async () => {
    const gw = system.gateways.get('gw-dishub')!;
    for (const id of ['zk-tcp', 'zk-udp', 'zk-serial']) {
      await gw.waitForLog((l) => l.msg === 'terminal connected' && l.terminal === id, 20_000, `${id} connected`);
    }
    await eventually(() => [tcp, udp, serial].map((s) => s.stats.connects), (c) => c.every((n) => n > 0));
    const at = new Date(Math.floor(Date.now() / 1000) * 1000);
    tcp.punch('501', at, { status: 0, verify: 1 });
    udp.punch('502', at, { status: 1, verify: 15 });
    serial.punch('503', at);
    for (const [terminal, employee, zone] of [['zk-tcp', '501', 'Asia/Jakarta'], ['zk-udp', '502', 'Asia/Makassar'], ['zk-serial', '503', 'Asia/Jayapura']] as const) {
      const rows = await eventually(() => punchesOf(terminal, `AND employee = '${employee}'`), (r) => r.length >= 1, 20_000, `${terminal} punch`);
      expect(rows, terminal).toHaveLength(1);
      expect(rows[0]).toMatchObject({ opd: 'dishub', gateway: 'gw-dishub', zone });
      const storedSecond = Number(BigInt(rows[0]!.time as number) / 1_000_000_000n);
      // The TCP terminal runs 120 s fast: its skew is measured and taken off.
      expect(Math.abs(storedSecond * 1000 - at.getTime()), terminal).toBeLessThanOrEqual(1000);
    }
    const [tcpRow] = await punchesOf('zk-tcp', `AND employee = '501'`);
    expect(tcpRow!.skew_ms).toBe(120_000);
    expect(tcp.stats.eventsAcked).toBeGreaterThanOrEqual(1);
  });

  it('records and alarms the clock skew of a terminal that runs fast', async () => {
    const rows = await eventually(() => system.influx.query('pemda', `SELECT * FROM terminal_clock WHERE terminal = 'zk-tcp'`), (r) => r.length >= 1, 20_000, 'clock record');
    expect(rows[0]).toMatchObject({ skew_ms: 120_000, alarm: true });
    await system.gateways.get('gw-dishub')!.waitForLog((l) => l.msg === 'terminal clock skew above threshold', 5000, 'skew alarm log');
  });

  it('sets the terminal clock on a command from the central', async () => {
    const cli = (args: string[]) => NodeProcess.start('cli', 'central/main.js', ['command', '--config', join(system.dir, 'central.yaml'), '--timeout-s', '20', ...args]);
    const sync = cli(['--gateway', 'gw-dishub', '--name', 'sync-clock', '--terminal', 'zk-tcp']);
    expect(await sync.exited, sync.stderr).toBe(0);
    await eventually(() => sync.lines.map((l) => l.msg).join('\n'), (out) => out.includes('OK: zk-tcp: clock set'), 5000, 'CLI output');
    expect(tcp.stats.setTimes).toBe(1);
    const rows = await eventually(() => system.influx.query('pemda', `SELECT * FROM terminal_clock WHERE terminal = 'zk-tcp' AND alarm = false`), (r) => r.length >= 1, 20_000, 'clock record after the sync');
    expect(Math.abs(rows[0]!.skew_ms as number)).toBeLessThanOrEqual(1000);

    const unknown = cli(['--gateway', 'gw-dishub', '--name', 'sync-clock', '--terminal', 'nope']);
    expect(await unknown.exited).toBe(1);
    expect(unknown.lines.map((l) => l.msg).join('\n')).toContain('FAILED: no terminal "nope" on this gateway');
    const lineOnly = cli(['--gateway', 'gw-setda', '--name', 'sync-clock']);
    expect(await lineOnly.exited).toBe(1);
    expect(lineOnly.lines.map((l) => l.msg).join('\n')).toMatch(/FAILED: zk-badkey: .*not connected/);
  });

  it('says clearly when the comm key is wrong', async () => {
    const gw = system.gateways.get('gw-setda')!;
    const line = await gw.waitForLog((l) => typeof l.msg === 'string' && l.msg.includes('refused comm key'), 20_000, 'comm key error');
    expect(line.msg).toMatch(/set commKey/);
    const status = await eventually(() => system.influx.query('pemda', `SELECT * FROM terminal_status WHERE terminal = 'zk-badkey'`), (r) => r.length >= 1, 20_000, 'status record');
    expect(status[0]).toMatchObject({ state: 'error' });
    expect(badKey.stats.authFailures).toBeGreaterThanOrEqual(1);
  });

  it('downloads a 100,000-record log completely, with progress, and afterwards publishes only new records', async () => {
    const gw = system.gateways.get('gw-arsip')!;
    const done = await gw.waitForLog((l) => l.msg === 'log download found punches missed live', 60_000, 'first full download');
    expect(done).toMatchObject({ records: 100_000, new: 100_000 });
    expect(gw.lines.filter((l) => l.msg === 'downloading attendance log').map((l) => l.percent)).toContain(100);
    const count = async () => Number((await system.influx.query('pemda', `SELECT COUNT(employee) FROM punch WHERE terminal = 'zk-big'`))[0]?.count ?? 0);
    await eventually(count, (n) => n === 100_000, 120_000, '100,000 punches in InfluxDB');
    big.addRecords(5, { startAt: new Date('2026-11-26T01:00:00Z'), spacingMs: 1000 });
    const next = await gw.waitForLog((l) => l.msg === 'log download found punches missed live' && l.new === 5, 30_000, 'the 5 new records');
    expect(next).toMatchObject({ records: 100_005, compared: 5 });
    await eventually(count, (n) => n === 100_005, 30_000, '100,005 punches');
  }, 240_000);

  it('keeps a punch made while a clearAfterPull terminal is being cleared: the terminal is busy, the punch reaches InfluxDB, later clears keep it', async () => {
    const gw = system.gateways.get('gw-bkd')!;
    const rows = await eventually(() => punchesOf('zk-clear', `AND employee = '8001'`), (r) => r.length >= 1, 60_000, 'the punch made during the clear');
    expect(atClear).toEqual({ disabled: true, logSize: 3 }); // the race was hit, with the terminal disabled
    expect(rows[0]).toMatchObject({ device_time: '2026-11-26T10:00:00', opd: 'bkd' }); // its own time, 10:00 WIB
    // Once the central has it, the log holding it is cleared too; it stays stored once.
    await eventually(() => clearing.stats.clears, (n) => n >= 2, 30_000, 'the second clear');
    expect(clearing.disabled).toBe(false);
    const all = await punchesOf('zk-clear');
    expect(all.map((r) => r.employee).sort()).toEqual(['8001', '8101', '8102', '8103']);
    const download = gw.lines.find((l) => l.msg === 'log download found punches missed live' && l.records === 1);
    expect(download?.disabledMs).toEqual(expect.any(Number));
  }, 120_000);

  it('resumes a download cut mid-way without losing or doubling records', async () => {
    const gw = system.gateways.get('gw-pupr')!;
    await gw.waitForLog((l) => typeof l.msg === 'string' && l.msg.startsWith('terminal unreachable'), 30_000, 'the cut');
    await gw.waitForLog((l) => l.msg === 'log download found punches missed live' && l.records === 20_000, 60_000, 'the download after the cut');
    const count = async () => Number((await system.influx.query('pemda', `SELECT COUNT(employee) FROM punch WHERE terminal = 'zk-flaky'`))[0]?.count ?? 0);
    await eventually(count, (n) => n === 20_000, 60_000, '20,000 punches');
    expect(flaky.stats.connects).toBeGreaterThanOrEqual(2);
  }, 120_000);
});
