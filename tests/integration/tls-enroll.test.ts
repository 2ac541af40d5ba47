import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { get } from 'node:https';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { createPki } from '../../central/pki.js';
import { freePort } from '../../scripts/lib/ports.js';
import { TestSystem } from '../helpers/system.js';
import { eventually, NodeProcess } from '../helpers/proc.js';

function httpsStatus(url: string, ca: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    get(url, { ca }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    }).on('error', reject);
  });
}

/** TLS with the installation's own CA (pemda-central pki), and enrollment of a new box. */
describe('TLS and gateway enrollment', () => {
  const system = new TestSystem([], [{ gateway: 'gw-known', opd: 'diskominfo', zone: 'Asia/Makassar' }]);
  let tlsPort = 0;
  let ca: Buffer;
  let otherCa: Buffer;
  let password = '';
  const centralYaml = () => join(system.dir, 'central.yaml');

  beforeAll(async () => {
    tlsPort = await freePort();
    system.centralBroker.tlsPort = tlsPort;
    system.centralExtra.tls = { dir: 'pki' };
    createPki(join(system.dir, 'pki'), { name: 'Test Pemda', hosts: ['localhost', '127.0.0.1'] });
    createPki(join(system.dir, 'other-pki'), { name: 'Somebody Else', hosts: ['localhost', '127.0.0.1'] });
    ca = readFileSync(join(system.dir, 'pki', 'ca.crt'));
    otherCa = readFileSync(join(system.dir, 'other-pki', 'ca.crt'));
    await system.start();
    password = system.passwords.get('gw-known')!;
  }, 120_000);
  afterAll(() => system.stop(), 60_000);

  it('accepts MQTT over TLS with the generated CA and refuses another CA', async () => {
    const options = { username: 'gw-known', password, reconnectPeriod: 0, connectTimeout: 5000 };
    const client = await mqtt.connectAsync(`mqtts://127.0.0.1:${tlsPort}`, { ...options, ca, rejectUnauthorized: true });
    expect(client.connected).toBe(true);
    await client.endAsync();
    await expect(mqtt.connectAsync(`mqtts://localhost:${tlsPort}`, { ...options, ca: otherCa, rejectUnauthorized: true })).rejects.toThrow(
      /self[- ]signed|unable to (get|verify)|certificate/i,
    );
  });

  it('serves the command room over HTTPS with the same certificate', async () => {
    expect(await httpsStatus(`https://127.0.0.1:${system.httpPort}/api/state`, ca)).toBe(200);
    await expect(httpsStatus(`https://127.0.0.1:${system.httpPort}/api/state`, otherCa)).rejects.toThrow(/self[- ]signed|unable to (get|verify)|certificate/i);
  });

  it('enrolls a new box once: id, password, pinned CA and a config that connects; the token cannot be reused', async () => {
    const tokenCli = NodeProcess.start('cli', 'central/main.js', ['enroll-token', '--config', centralYaml(), '--opd', 'diskominfo', '--gateway', 'gw-new']);
    expect(await tokenCli.exited, tokenCli.stderr).toBe(0);
    const command = tokenCli.lines.map((l) => String(l.msg)).find((l) => l.includes('pemda-edge enroll'));
    const token = /--token (\S+)/.exec(command ?? '')?.[1];
    const fingerprint = /--ca-sha256 ([0-9a-f]{64})/.exec(command ?? '')?.[1];
    expect(token, command).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(fingerprint, command).toBeDefined();

    const central = `https://127.0.0.1:${system.httpPort}`;
    const boxConfig = join(system.dir, 'box', 'gateway.yaml');
    // A wrong fingerprint stops the box before it sends the token anywhere.
    const spoofed = NodeProcess.start('enroll', 'edge/main.js', ['enroll', '--central', central, '--token', token!, '--ca-sha256', 'ab'.repeat(32), '--config', boxConfig]);
    expect(await spoofed.exited).toBe(1);
    expect(spoofed.stderr).toMatch(/fingerprint .* not the abab/);
    expect(existsSync(boxConfig)).toBe(false);

    const enroll = NodeProcess.start('enroll', 'edge/main.js', ['enroll', '--central', central, '--token', token!, '--ca-sha256', fingerprint!, '--config', boxConfig, '--data-dir', join(system.dir, 'box', 'data')]);
    expect(await enroll.exited, enroll.stderr).toBe(0);
    expect(enroll.lines.map((l) => l.msg).join('\n')).toMatch(/Enrolled as gateway gw-new of OPD diskominfo/);
    // Root with a pemda group (an installed box): readable by the service; else owner-only.
    const pemdaGroup = process.getuid?.() === 0 && /^pemda:/m.test(readFileSync('/etc/group', 'utf8'));
    expect(statSync(boxConfig).mode & 0o777).toBe(pemdaGroup ? 0o640 : 0o600);
    expect(readFileSync(join(system.dir, 'box', 'central-ca.crt'))).toEqual(ca);
    const written = readFileSync(boxConfig, 'utf8');
    expect(written).toContain(`url: "mqtts://127.0.0.1:${tlsPort}"`);

    const check = NodeProcess.start('check', 'edge/main.js', ['config', 'check', boxConfig]);
    expect(await check.exited, check.stderr).toBe(0);
    const gateway = NodeProcess.start('gw-new', 'edge/main.js', ['run', '--config', boxConfig]);
    try {
      await gateway.waitForLog((l) => l.msg === 'connected to broker', 20_000, 'connection over TLS');
      await eventually(
        async () => {
          const res = await new Promise<string>((resolve, reject) =>
            get(`https://127.0.0.1:${system.httpPort}/api/state`, { ca }, (r) => {
              let body = '';
              r.on('data', (c: Buffer) => (body += c.toString()));
              r.on('end', () => resolve(body));
            }).on('error', reject),
          );
          return (JSON.parse(res) as { gateways: { gateway: string; opd: string; state: string }[] }).gateways.find((g) => g.gateway === 'gw-new');
        },
        (g) => g?.state === 'online' && g.opd === 'diskominfo',
        15_000,
        'gw-new online in the command room',
      );
    } finally {
      await gateway.kill('SIGTERM');
    }

    const again = NodeProcess.start('enroll', 'edge/main.js', ['enroll', '--central', central, '--token', token!, '--ca-sha256', fingerprint!, '--config', boxConfig, '--force']);
    expect(await again.exited).toBe(1);
    expect(again.stderr).toMatch(/already used .* by gw-new/);
    await system.central!.waitForLog((l) => typeof l.msg === 'string' && l.msg.startsWith('enrollment refused: this enrollment token was already used'), 5000, 'refusal log');
  });
});
