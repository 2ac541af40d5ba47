import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { SerialPort } from 'serialport';
import { ZkTerminalSim } from '../../sim/zk-terminal.js';
import { R30xModuleSim } from '../../sim/r30x-module.js';
import { OnvifCameraSim } from '../../sim/onvif-camera.js';
import { TestSystem } from '../helpers/system.js';
import { NodeProcess } from '../helpers/proc.js';

/** The technician's tools against simulated terminals and a real central. */
describe('pemda-edge doctor and discover', () => {
  const system = new TestSystem([], [{ gateway: 'gw-tools', opd: 'tools', zone: 'Asia/Jakarta' }]);
  const zk = new ZkTerminalSim({ zone: 'Asia/Jakarta', commKey: 777 });
  const cam = new OnvifCameraSim({ username: 'admin', password: 'rahasia', name: 'Lobi', width: 640, height: 360 });
  const r30x = new R30xModuleSim();
  let moduleEnd: SerialPort;
  let zkPort = 0;
  let zkUdpPort = 0;
  let configFor: (commKey: number) => string;

  beforeAll(async () => {
    zkPort = await zk.listenTcp(0);
    zkUdpPort = await zk.listenUdp(0);
    const camPort = await cam.start(0);
    const linePty = await system.ptyPair('line');
    const modulePty = await system.ptyPair('module');
    moduleEnd = new SerialPort({ path: modulePty.devicePath, baudRate: 57600 });
    moduleEnd.on('error', () => undefined);
    r30x.enroll(1);
    r30x.attachStream(moduleEnd);
    await system.start();
    configFor = (commKey) => {
      const file = join(system.dir, `tools-${commKey}.yaml`);
      writeFileSync(
        file,
        stringify({
          gateway: { id: 'gw-tools', dataDir: 'tools-data' },
          mqtt: { url: `mqtt://127.0.0.1:${system.brokerPort}`, ...system.credentials('gw-tools') },
          terminals: [
            { id: 'zk-1', driver: 'zk', host: '127.0.0.1', port: zkPort, zone: 'Asia/Jakarta', commKey },
            { id: 'printer', driver: 'line-serial', port: linePty.gatewayPath, zone: 'Asia/Jakarta' },
            { id: 'finger', driver: 'r30x', port: modulePty.gatewayPath, zone: 'Asia/Jakarta', employees: { '1': '1001' } },
          ],
          cameras: [{ id: 'lobby', onvif: { host: '127.0.0.1', port: camPort }, username: 'admin', password: 'rahasia', timeoutMs: 3000 }],
        }),
      );
      return file;
    };
  }, 90_000);

  afterAll(async () => {
    await system.stop();
    await zk.close();
    await cam.stop();
    r30x.detach();
    if (moduleEnd?.isOpen) moduleEnd.close();
  }, 60_000);

  async function doctor(file: string, lang = 'en'): Promise<{ code: number | null; out: string }> {
    const p = NodeProcess.start('doctor', 'edge/main.js', ['doctor', '--config', file, '--lang', lang]);
    const code = await p.exited;
    return { code, out: p.lines.map((l) => l.msg).join('\n') };
  }

  it('turns a terminal red with advice when its comm key is wrong, and green when fixed', async () => {
    const broken = await doctor(configFor(1));
    expect(broken.code).toBe(1);
    expect(broken.out).toMatch(/\[FAIL\] terminal zk-1 \(zk\/tcp\): terminal refused comm key/);
    expect(broken.out).toMatch(/-> The terminal refused the comm key: set commKey to the value in Menu > Comm\. > Connection > Comm Key\./);
    expect(broken.out).toMatch(/\[ OK \] central broker .*: connected; the central says it is online/);
    expect(broken.out).toMatch(/\[ OK \] terminal printer \(line-serial\): .* opens/);
    expect(broken.out).toMatch(/\[ OK \] terminal finger \(r30x\): 1 fingerprints enrolled/);
    expect(broken.out).toMatch(/\[ OK \] camera lobby: 640x360 frame, \d+ KB via snapshot-uri in \d+ ms/);

    const fixed = await doctor(configFor(777));
    expect(fixed.out).not.toMatch(/\[FAIL\]/);
    expect(fixed.code).toBe(0);
    expect(fixed.out).toMatch(/\[ OK \] terminal zk-1 \(zk\/tcp\): 0 of \d+ records stored, clock off by 0 s/);
  });

  it('turns a camera red when its password is wrong, and green when fixed', async () => {
    cam.faults.wrongPassword = true;
    const broken = await doctor(configFor(777));
    expect(broken.code).toBe(1);
    expect(broken.out).toMatch(/\[FAIL\] camera lobby: .*\n\s+-> The camera refused the user name or password/);
    cam.faults.wrongPassword = false;
    const fixed = await doctor(configFor(777));
    expect(fixed.code).toBe(0);
  });

  it('turns the broker red when the central is down, in Bahasa Indonesia too', async () => {
    await system.central!.kill('SIGTERM');
    const down = await doctor(configFor(777), 'id');
    expect(down.code).toBe(1);
    expect(down.out).toMatch(/\[FAIL\] broker pusat .*\n\s+-> Tidak bisa menghubungi/);
    await system.startCentral();
    const up = await doctor(configFor(777), 'id');
    expect(up.out).toMatch(/\[ OK \] broker pusat .*: terhubung; pusat menyatakan online/);
    expect(up.code).toBe(0);
  });

  it('discover finds the simulated ZK terminal and ONVIF camera on loopback and prints a config block', async () => {
    const camera = new OnvifCameraSim({ username: 'admin', password: 'x', name: 'Lobi Kominfo' });
    await camera.start(0);
    const discoveryPort = await camera.listenDiscovery(0);
    const p = NodeProcess.start('discover', 'edge/main.js', ['discover', '--zk-hosts', '127.0.0.1', '--zk-port', String(zkUdpPort), '--onvif-hosts', '127.0.0.1', '--onvif-port', String(discoveryPort), '--timeout-ms', '500']);
    const code = await p.exited;
    const deviceServiceUrl = camera.deviceServiceUrl;
    await camera.stop();
    expect(code).toBe(0);
    const out = p.lines.map((l) => l.msg).join('\n');
    expect(out).toContain(`ZK terminal   127.0.0.1:${zkUdpPort}/udp   (Comm Key set)`);
    expect(out).toContain(`ONVIF camera  ${deviceServiceUrl}   "Lobi Kominfo"`);
    expect(out).toMatch(/cameras:\n  - id: cam-1\n    name: "Lobi Kominfo"\n    onvif:\n      host: 127\.0\.0\.1/);
    expect(out).toMatch(/driver: zk\n\s+transport: udp\n\s+host: 127\.0\.0\.1/);
    expect(p.stderr).toContain('probing ZK terminals: 1/1');
  });
});
