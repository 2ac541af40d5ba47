import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import mqtt from 'mqtt';
import { stringify } from 'yaml';
import { Influxd } from '../../scripts/lib/influxd.js';
import { freePort } from '../../scripts/lib/ports.js';
import { NodeProcess, eventually } from '../helpers/proc.js';

/** An external Mosquitto 2 with the password and ACL files the central exports. */
const MOSQUITTO = ['/usr/sbin/mosquitto', '/usr/bin/mosquitto'].find(existsSync);

describe.skipIf(!MOSQUITTO)('Mosquitto with the central identities', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pemda-mosq-auth-'));
  let mosquitto: ChildProcess;
  let influx: Influxd;
  let central: NodeProcess;
  let port = 0;
  const passwords = new Map<string, string>();
  const centralConfig = join(dir, 'central.yaml');

  const cli = async (args: string[]) => {
    const p = NodeProcess.start('cli', 'central/main.js', [...args, '--config', centralConfig]);
    const code = await p.exited;
    return { code, out: p.lines.map((l) => l.msg).join('\n'), err: p.stderr };
  };

  beforeAll(async () => {
    port = await freePort();
    influx = await Influxd.start(join(dir, 'influx'));
    writeFileSync(join(dir, 'registry.yaml'), stringify({ opds: [{ code: 'mosq', name: 'OPD Mosquitto', zone: 'Asia/Jakarta', gateways: ['gw-m1', 'gw-m2'] }] }));
    writeFileSync(
      centralConfig,
      stringify({
        broker: { embedded: false },
        mqtt: { url: `mqtt://127.0.0.1:${port}` },
        http: { host: '127.0.0.1', port: await freePort() },
        influx: { url: influx.url, database: 'pemda', flushIntervalMs: 50 },
        registry: { db: 'central.sqlite', seed: 'registry.yaml' },
      }),
    );
    for (const gw of ['gw-m1', 'gw-m2']) {
      const r = await cli(['gateway-password', '--gateway', gw]);
      expect(r.code, r.err).toBe(0);
      passwords.set(gw, r.out.split('\n').at(-1)!);
    }
    const files = await cli(['mosquitto-files', '--out', join(dir, 'mosquitto')]);
    expect(files.code, files.err).toBe(0);
    writeFileSync(
      join(dir, 'mosquitto.conf'),
      // `user root`: the files are private to the test's user (mode 0600, a 0700 temp dir);
      // an installation gives them to the mosquitto user instead.
      `listener ${port} 127.0.0.1\nuser root\nallow_anonymous false\npassword_file ${join(dir, 'mosquitto', 'passwd')}\nacl_file ${join(dir, 'mosquitto', 'acl')}\npersistence false\n`,
    );
    mosquitto = spawn(MOSQUITTO!, ['-c', join(dir, 'mosquitto.conf')], { stdio: 'ignore' });
    await sleep(500);
    central = NodeProcess.start('central', 'central/main.js', ['run', '--config', centralConfig]);
    await central.waitForLog((l) => l.msg === 'central ready', 30_000, 'central ready on Mosquitto');
  }, 90_000);

  afterAll(async () => {
    await central?.kill('SIGTERM');
    mosquitto?.kill('SIGTERM');
    await influx?.stop();
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  const connect = (username: string, password: string) => mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { username, password, clientId: `t-${username}-${Math.random()}`, reconnectPeriod: 0 });
  const batch = (terminal: string) => JSON.stringify({ v: 1, ackedSeq: 0, records: [{ seq: 1, kind: 'terminal_status', terminal, state: 'online', at: new Date().toISOString() }] });

  it('exports a password file with hashes only, and an ACL per gateway', () => {
    const passwd = readFileSync(join(dir, 'mosquitto', 'passwd'), 'utf8');
    expect(passwd).toMatch(/^pemda-central:\$7\$\d+\$/m);
    expect(passwd).toMatch(/^gw-m1:\$7\$/m);
    expect(passwd).not.toContain(passwords.get('gw-m1'));
    expect(readFileSync(join(dir, 'mosquitto', 'acl'), 'utf8')).toContain('pattern write pemda/v1/%u/events');
  });

  it('refuses a wrong password', async () => {
    await expect(connect('gw-m1', 'wrong')).rejects.toThrow(/Not authorized|Bad username or password/);
  });

  it('lets a gateway through to the central, and keeps it out of another gateway\'s topics', async () => {
    const m1 = await connect('gw-m1', passwords.get('gw-m1')!);
    const m2 = await connect('gw-m2', passwords.get('gw-m2')!);
    const acks: Record<string, unknown[]> = { 'gw-m1': [], 'gw-m2': [] };
    for (const [gw, c] of [['gw-m1', m1], ['gw-m2', m2]] as const) {
      c.on('message', (topic, body) => acks[topic.split('/')[2]!]?.push(JSON.parse(body.toString())));
      await c.subscribeAsync(`pemda/v1/${gw}/ack`, { qos: 1 });
    }
    await m1.publishAsync('pemda/v1/gw-m1/events', batch('t1'), { qos: 1 });
    await eventually(() => acks['gw-m1']!.length, (n) => n === 1, 15_000, 'gw-m1 acked through Mosquitto');
    // Mosquitto drops a publish the ACL refuses: the central never sees it.
    await m1.publishAsync('pemda/v1/gw-m2/events', batch('forged'), { qos: 1 });
    await sleep(1500);
    expect(acks['gw-m2']).toEqual([]);
    expect(await influx.query('pemda', `SELECT * FROM terminal_status WHERE terminal = 'forged'`)).toEqual([]);
    await Promise.all([m1.endAsync(), m2.endAsync()]);
  });
});
