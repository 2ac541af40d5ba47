import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SerialPort } from 'serialport';
import { AdmsHttpError, AdmsTerminalSim } from '../../sim/adms-terminal.js';
import { R30xModuleSim } from '../../sim/r30x-module.js';
import { freePort } from '../../scripts/lib/ports.js';
import { TestSystem } from '../helpers/system.js';
import { eventually } from '../helpers/proc.js';

/** An ADMS push terminal over HTTP and an R30x module on a socat pty, through a real gateway. */
describe('ADMS push and R30x module terminals', () => {
  let system: TestSystem;
  let adms: AdmsTerminalSim;
  let stranger: AdmsTerminalSim;
  const r30x = new R30xModuleSim();
  let moduleEnd: SerialPort;

  beforeAll(async () => {
    const admsPort = await freePort();
    system = new TestSystem([{ gateway: 'gw-kominfo', opd: 'kominfo', zone: 'Asia/Makassar', terminals: [] }]);
    const pty = await system.ptyPair('r30x');
    system.offices[0]!.terminals!.push(
      { id: 'adms-lobby', driver: 'adms', serialNumber: 'CQZ7224460012', zone: 'Asia/Makassar' },
      { id: 'finger-1', driver: 'r30x', port: pty.gatewayPath, zone: 'Asia/Jayapura', employees: { '1': '7001' }, pollIntervalMs: 100, reopenDelayMs: 500 },
    );
    // The gateway's own config gets the ADMS listen address through the office's extra settings.
    system.gatewayExtra.set('gw-kominfo', { adms: { host: '127.0.0.1', port: admsPort } });
    r30x.enroll(1);
    r30x.enroll(2);
    moduleEnd = new SerialPort({ path: pty.devicePath, baudRate: 57600 });
    moduleEnd.on('error', () => undefined);
    r30x.attachStream(moduleEnd);
    await system.start();
    adms = new AdmsTerminalSim({ serverUrl: `http://127.0.0.1:${admsPort}`, serialNumber: 'CQZ7224460012', zone: 'Asia/Makassar' });
    stranger = new AdmsTerminalSim({ serverUrl: `http://127.0.0.1:${admsPort}`, serialNumber: 'UNKNOWN0001', zone: 'Asia/Makassar' });
    await system.gateways.get('gw-kominfo')!.waitForLog((l) => l.msg === 'ADMS push server listening', 20_000, 'ADMS server');
  }, 120_000);

  afterAll(async () => {
    await system.stop();
    r30x.detach();
    if (moduleEnd?.isOpen) moduleEnd.close();
  }, 60_000);

  it('takes pushed punches from a registered terminal, in its zone, once', async () => {
    const options = await adms.handshake();
    expect(options).toMatchObject({ TimeZone: '8' });
    const at = new Date('2026-11-26T00:15:00Z'); // 08:15 WITA
    adms.punch('8001', at, { status: 0, verify: 1 });
    adms.punch('8002', at, { status: 0, verify: 15 });
    const first = await adms.flush();
    expect(first).toMatchObject({ status: 200, body: 'OK:2', sent: 2 });
    // The same upload again (a terminal that missed our OK) is stored once.
    expect((await adms.rawPost('8001\t2026-11-26 08:15:00\t0\t1\t\t0\t0\n')).body).toBe('OK:1');
    const rows = await eventually(() => system.punches(`WHERE terminal = 'adms-lobby'`), (r) => r.length >= 2, 20_000, 'ADMS punches');
    expect(rows.map((r) => r.employee).sort()).toEqual(['8001', '8002']);
    for (const r of rows) expect(Number(BigInt(r.time as number) / 1_000_000_000n) * 1000).toBe(at.getTime());
  });

  it('refuses an unknown serial number and logs it', async () => {
    const err = await stranger.handshake().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AdmsHttpError);
    expect((err as AdmsHttpError).status).toBe(403);
    await system.gateways.get('gw-kominfo')!.waitForLog((l) => typeof l.msg === 'string' && l.msg.includes('unknown terminal serial number UNKNOWN0001'), 5000, 'refusal log');
  });

  it('keeps the good lines of an upload with a bad one, and says which line was bad', async () => {
    const reply = await adms.rawPost('8003\t2026-11-26 08:20:00\t0\t1\t\t0\t0\n8004\t2026-13-26 08:20:00\t0\t1\n');
    expect(reply.body).toBe('OK:2');
    const warning = await system.gateways.get('gw-kominfo')!.waitForLog((l) => typeof l.msg === 'string' && l.msg.startsWith('malformed ATTLOG line'), 5000, 'bad line warning');
    expect(warning.line).toBe(2);
    await eventually(() => system.punches(`WHERE employee = '8003'`), (r) => r.length === 1, 20_000, 'the good line');
  });

  it('turns a fingerprint match into a punch for the mapped employee, and an unmapped page into a flagged one', async () => {
    const gw = system.gateways.get('gw-kominfo')!;
    await gw.waitForLog((l) => l.msg === 'fingerprint module ready', 20_000, 'module ready');
    r30x.placeFinger(1, { score: 120 });
    await gw.waitForLog((l) => l.msg === 'fingerprint match' && l.pageId === 1, 10_000, 'match of page 1');
    r30x.placeFinger('unknown');
    await gw.waitForLog((l) => l.msg === 'finger not in the library', 10_000, 'unknown finger');
    r30x.placeFinger(2);
    await gw.waitForLog((l) => l.msg === 'fingerprint match' && l.pageId === 2, 10_000, 'match of page 2');
    const rows = await eventually(() => system.punches(`WHERE terminal = 'finger-1'`), (r) => r.length >= 2, 20_000, 'fingerprint punches');
    expect(rows.map((r) => r.employee).sort()).toEqual(['7001', 'page-2']);
    expect(rows.every((r) => r.zone === 'Asia/Jayapura' && r.verify === 'finger')).toBe(true);
  });
});
