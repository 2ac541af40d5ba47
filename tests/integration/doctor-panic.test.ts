import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { Aedes } from 'aedes';
import mqtt from 'mqtt';
import { SerialPort } from 'serialport';
import { PanicConfig } from '../../edge/panic/config.js';
import { panicChecks } from '../../edge/cli/doctor-panic.js';
import { runChecks } from '../../edge/cli/doctor.js';
import { Topics } from '../../protocols/mqtt/topics.js';
import { freePort } from '../../scripts/lib/ports.js';
import { AlarmPanelSim, SimulatedSerialAdapter } from '../../sim/panic-button.js';
import { PtyPair } from '../../sim/pty-pair.js';
import { NodeProcess } from '../helpers/proc.js';

/**
 * The doctor's panic lines as a technician sees them: the compiled CLI against socat
 * ptys, a panel simulator and real sockets. Modem lines are the exception: a pty has
 * none (TIOCMGET/TIOCMSET fail with ENOTTY), so, as in tests/unit/panic-modem-line.test.ts,
 * the button's levels come from the simulated adapter, handed to the same checks in
 * process; the CLI part shows what a pty in place of an adapter looks like.
 */
describe('pemda-edge doctor: panic inputs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pemda-doctor-panic-'));
  const ptys: PtyPair[] = [];
  let aedes: Aedes;
  let brokerServer: Server;
  let brokerPort = 0;

  beforeAll(async () => {
    // A broker with a retained "online" central state: the broker line is green at
    // once, so a green panic line means exit code 0.
    aedes = await Aedes.createBroker();
    brokerServer = createServer(aedes.handle);
    brokerPort = await freePort();
    await new Promise<void>((resolve) => brokerServer.listen(brokerPort, '127.0.0.1', resolve));
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${brokerPort}`, { clientId: 'test-central-state' });
    await client.publishAsync(new Topics('pemda/v1').centralState('test'), JSON.stringify({ v: 1, state: 'online', at: new Date().toISOString() }), { qos: 1, retain: true });
    await client.endAsync();
  });

  afterAll(async () => {
    await Promise.all(ptys.map((p) => p.close()));
    await new Promise<void>((resolve) => aedes.close(() => resolve()));
    await new Promise<void>((resolve) => brokerServer.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  let configs = 0;
  function configWith(panic?: Record<string, unknown>): string {
    const file = join(dir, `gateway-${++configs}.yaml`);
    writeFileSync(
      file,
      stringify({
        gateway: { id: 'gw-panik', dataDir: 'data' },
        mqtt: { url: `mqtt://127.0.0.1:${brokerPort}` },
        terminals: [],
        ...(panic && { panic }),
      }),
    );
    return file;
  }

  async function doctor(file: string, lang = 'en'): Promise<{ code: number | null; out: string }> {
    const p = NodeProcess.start('doctor', 'edge/main.js', ['doctor', '--config', file, '--lang', lang]);
    const code = await p.exited;
    return { code, out: p.lines.map((l) => l.msg).join('\n') + p.stderr };
  }

  async function pty(name: string): Promise<PtyPair> {
    const pair = await PtyPair.open(join(dir, `${name}-device`), join(dir, `${name}-serial`));
    ptys.push(pair);
    return pair;
  }

  it('prints no panic line when the config has no panic inputs', async () => {
    const { code, out } = await doctor(configWith());
    expect(out).toMatch(/\[ OK \] central broker .*: connected; the central says it is online/);
    expect(out).not.toMatch(/panic button|alarm panel|phone-app endpoint/);
    // Cameras (none here) and panic inputs come between the broker and the clock.
    expect(out).toMatch(/central broker [^\n]*\n\[(?: OK |WARN|FAIL)\] gateway clock/);
    expect(code).toBe(0);
  });

  it('an alarm panel on a missing port is red with advice, and green once the port exists, with the line the panel prints', async () => {
    const gatewayEnd = join(dir, 'panel-serial');
    const file = configWith({ inputs: [{ id: 'panel-lobi', kind: 'serial-line', port: gatewayEnd, baudRate: 9600, match: '\\bALARM\\b' }] });

    const missing = await doctor(file);
    expect(missing.out).toContain(`[FAIL] alarm panel panel-lobi (serial-line): Error: No such file or directory, cannot open ${gatewayEnd}`);
    expect(missing.out).toContain(`       -> ${gatewayEnd} does not exist. Check the adapter's USB cable (lsusb, dmesg | tail), the device name (ls -l /dev/serial/by-id;`);
    expect(missing.code).toBe(1);

    const inBahasa = await doctor(file, 'id');
    expect(inBahasa.out).toContain(`[FAIL] panel alarm panel-lobi (serial-line): `);
    expect(inBahasa.out).toContain(`       -> ${gatewayEnd} tidak ada. Periksa kabel USB adaptor`);
    expect(inBahasa.code).toBe(1);

    const pair = await pty('panel');
    // Opening a port flushes what waited in it, so the panel repeats its line while the doctor listens.
    const panel = new AlarmPanelSim(pair.devicePath);
    const repeat = setInterval(() => panel.alarm(3, 'PANIC'), 200);
    try {
      const present = await doctor(file);
      expect(present.out).toMatch(new RegExp(`\\[ OK \\] alarm panel panel-lobi \\(serial-line\\): ${gatewayEnd} open at 9600 baud; received "\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d ALARM ZONE 03 PANIC" \\(an alarm by match\\)`));
      expect(present.out).not.toMatch(/\[FAIL\]/);
      expect(present.code).toBe(0);
    } finally {
      clearInterval(repeat);
      panel.close();
    }

    const quiet = await doctor(file, 'id');
    expect(quiet.out).toContain(`[ OK ] panel alarm panel-lobi (serial-line): ${gatewayEnd} terbuka pada 9600 baud; tidak ada baris dalam 2 detik (wajar saat panel diam)`);
    expect(quiet.code).toBe(0);
  });

  it('a modem-line button is red when its port is missing, and on a pty (no modem lines) says the lines cannot be read', async () => {
    const gatewayEnd = join(dir, 'button-serial');
    const file = configWith({ inputs: [{ id: 'front-desk', kind: 'modem-line', port: gatewayEnd, line: 'dsr' }] });

    const missing = await doctor(file);
    expect(missing.out).toContain(`[FAIL] panic button front-desk (modem-line DSR): Error: No such file or directory, cannot open ${gatewayEnd}`);
    expect(missing.out).toContain(`       -> ${gatewayEnd} does not exist. Check the adapter's USB cable`);
    expect(missing.code).toBe(1);

    await pty('button');
    const noLines = await doctor(file);
    expect(noLines.out).toContain('[FAIL] panic button front-desk (modem-line DSR): Error: Inappropriate ioctl for device');
    expect(noLines.out).toContain(`       -> ${gatewayEnd} opens, but its modem lines cannot be read: it is not a serial adapter with CTS/DSR/DCD`);
    expect(noLines.code).toBe(1);
  });

  it('a port another program holds is red and names that program', async () => {
    const pair = await pty('busy');
    const file = configWith({ inputs: [{ id: 'panel-busy', kind: 'serial-line', port: pair.gatewayPath, match: 'ALARM' }] });
    const holder = new SerialPort({ path: pair.gatewayPath, baudRate: 9600, autoOpen: false });
    await new Promise<void>((resolve, reject) => holder.open((err) => (err ? reject(err) : resolve())));
    try {
      const busy = await doctor(file);
      expect(busy.out).toContain('[FAIL] alarm panel panel-busy (serial-line): Error Resource temporarily unavailable Cannot lock port');
      expect(busy.out).toMatch(new RegExp(`-> ${pair.gatewayPath} is in use by \\S+ \\(pid ${process.pid}\\): close that program`));
      expect(busy.code).toBe(1);
    } finally {
      await new Promise<void>((resolve) => holder.close(() => resolve()));
    }
    const free = await doctor(file);
    expect(free.out).toMatch(/\[ OK \] alarm panel panel-busy \(serial-line\): .* open at 9600 baud/);
    expect(free.code).toBe(0);
  });

  describe('the phone-app endpoint', () => {
    const token = 'hp-satpam-token-0123456789abcdef';
    let other: HttpServer | undefined;

    afterEach(async () => {
      other?.closeAllConnections();
      await new Promise<void>((resolve) => (other ? other.close(() => resolve()) : resolve()));
      other = undefined;
    });

    it('is red when another program has the port, green when it is free', async () => {
      const port = await freePort();
      const file = configWith({ http: { host: '127.0.0.1', port, tokens: [token] } });
      other = createHttpServer((_req, res) => res.writeHead(200, { 'Content-Type': 'text/html' }).end('<h1>printer admin</h1>'));
      await new Promise<void>((resolve) => other!.listen(port, '127.0.0.1', resolve));

      const taken = await doctor(file);
      expect(taken.out).toContain(`[FAIL] phone-app endpoint phone-app (http://127.0.0.1:${port}/panic): 127.0.0.1:${port} is taken by another program`);
      expect(taken.out).toContain(`       -> See which program: ss -ltnp "sport = :${port}". Stop it, or set panic.http.port to a free port and give the phone apps the new address.`);
      expect(taken.code).toBe(1);
      const takenId = await doctor(file, 'id');
      expect(takenId.out).toContain(`[FAIL] endpoint aplikasi HP phone-app (http://127.0.0.1:${port}/panic): 127.0.0.1:${port} sudah dipakai program lain`);

      other.closeAllConnections();
      await new Promise<void>((resolve) => other!.close(() => resolve()));
      other = undefined;
      const free = await doctor(file);
      expect(free.out).toContain(`[ OK ] phone-app endpoint phone-app (http://127.0.0.1:${port}/panic): 127.0.0.1:${port} is free: the gateway can listen there (1 token(s))`);
      expect(free.code).toBe(0);
    });
  });

  it('with the gateway running: its serial port is red saying the gateway holds it, its HTTP endpoint green', async () => {
    const pair = await pty('running');
    const port = await freePort();
    const file = configWith({
      inputs: [{ id: 'panel-run', kind: 'serial-line', port: pair.gatewayPath, match: 'ALARM' }],
      http: { host: '127.0.0.1', port, tokens: ['hp-satpam-token-0123456789abcdef'] },
    });
    const gateway = NodeProcess.start('gateway', 'edge/main.js', ['run', '--config', file]);
    try {
      await gateway.waitForLog((l) => l.msg === 'panic input port open', 20_000, 'the panel port open');
      await gateway.waitForLog((l) => l.msg === 'panic HTTP endpoint listening', 20_000, 'the phone endpoint');
      const running = await doctor(file);
      expect(running.out).toContain('[FAIL] alarm panel panel-run (serial-line): Error Resource temporarily unavailable Cannot lock port');
      expect(running.out).toContain(`       -> The running gateway holds ${pair.gatewayPath}, so it cannot be tested now: systemctl stop pemda-edge, run the doctor, then systemctl start pemda-edge`);
      expect(running.out).toContain(`[ OK ] phone-app endpoint phone-app (http://127.0.0.1:${port}/panic): held by the running gateway: POST /panic answers on 127.0.0.1:${port}`);
      expect(running.code).toBe(1);
      const runningId = await doctor(file, 'id');
      expect(runningId.out).toContain(`[ OK ] endpoint aplikasi HP phone-app (http://127.0.0.1:${port}/panic): dipakai gateway yang sedang berjalan`);
      // The probe of the endpoint is a GET: nothing was pressed.
      expect(gateway.lines.filter((l) => String(l.msg).includes('PANIC'))).toEqual([]);
    } finally {
      await gateway.kill('SIGTERM');
    }
  });

  describe('a modem-line button on the simulated adapter', () => {
    const out: string[] = [];
    const check = async (inputs: Record<string, unknown>[], adapter: SimulatedSerialAdapter, lang: 'en' | 'id' = 'en') => {
      out.length = 0;
      const config = PanicConfig.parse({ inputs: inputs.map((i) => ({ kind: 'modem-line', port: '/dev/pemda-panic', ...i })) });
      const code = await runChecks(panicChecks(config, { openModemPort: adapter.opener }), lang, (l) => out.push(l), false);
      return { code, text: out.join('\n') };
    };

    it('reads released at rest, and warns which key to change when it reads pressed', async () => {
      const adapter = new SimulatedSerialAdapter();
      const button = adapter.button('dsr');
      const rest = await check([{ id: 'front-desk', line: 'dsr' }], adapter);
      expect(rest.text).toContain('[ OK ] panic button front-desk (modem-line DSR): /dev/pemda-panic open; DSR (pin 6) reads released (active: high)');
      expect(rest.code).toBe(0);

      button.hold(true);
      const stuck = await check([{ id: 'front-desk', line: 'dsr' }], adapter);
      expect(stuck.text).toContain('[WARN] panic button front-desk (modem-line DSR): /dev/pemda-panic open; DSR (pin 6) reads PRESSED right now (active: high)');
      expect(stuck.text).toContain('-> If nobody is pressing the button: the contact is stuck closed or wired to the wrong pin, or it is a normally-closed contact (alarm relay): then set active: low for input front-desk.');
      expect(stuck.text).toContain('No failures, 1 warning(s).');
      expect(stuck.code).toBe(0);
      // The contacts are powered from DTR, as the gateway does it: the doctor asserted it.
      expect(adapter.opened.at(-1)!.outputs).toEqual({ dtr: true, rts: true });
      expect(adapter.opened.every((p) => !p.isOpen)).toBe(true);
    });

    it('warns with active: low on a normally-open button at rest, in Bahasa Indonesia too', async () => {
      const adapter = new SimulatedSerialAdapter();
      adapter.button('cts', { from: 'rts' });
      const inverted = await check([{ id: 'back-office', line: 'cts', active: 'low' }], adapter, 'id');
      expect(inverted.text).toContain('[WARN] tombol panik back-office (modem-line CTS): /dev/pemda-panic terbuka; CTS (pin 8) terbaca DITEKAN saat ini (active: low)');
      expect(inverted.text).toContain('maka ubah active: high untuk input back-office.');
      expect(inverted.code).toBe(0);
    });

    it('reads inputs sharing one adapter with one open, one line each', async () => {
      const adapter = new SimulatedSerialAdapter();
      adapter.button('dsr');
      adapter.button('dcd', { normallyClosed: true });
      const shared = await check(
        [
          { id: 'front-desk', line: 'dsr' },
          { id: 'vault-relay', line: 'dcd', active: 'low' },
        ],
        adapter,
      );
      expect(shared.text.split('\n').filter((l) => l.startsWith('[ OK ] panic button'))).toHaveLength(2);
      expect(shared.text).toContain('[ OK ] panic button vault-relay (modem-line DCD): /dev/pemda-panic open; DCD (pin 1) reads released (active: low)');
      expect(adapter.opened).toHaveLength(1);
    });

    it('is red with the port named when the adapter is unplugged', async () => {
      const adapter = new SimulatedSerialAdapter();
      adapter.unplug();
      const gone = await check([{ id: 'front-desk', line: 'dsr' }], adapter);
      expect(gone.text).toContain('[FAIL] panic button front-desk (modem-line DSR): Error: No such file or directory, cannot open /dev/pemda-panic');
      expect(gone.text).toContain('-> /dev/pemda-panic does not exist.');
      expect(gone.code).toBe(1);
    });
  });
});
