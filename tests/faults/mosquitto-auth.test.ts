import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import mqtt from 'mqtt';
import { stringify } from 'yaml';
import { newToken } from '../../central/auth/tokens.js';
import { DatasetRegistration } from '../../central/bridges/dataset.js';
import { DatasetStore } from '../../central/bridges/index.js';
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
  /** Dataset push tokens; "lama" stands for a token issued before Mosquitto hashes were kept. */
  const tokens = new Map(['sungai', 'kedua', 'lama'].map((slug) => [slug, newToken()]));
  let exported = { code: null as number | null, out: '', err: '' };
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
    const store = new DatasetStore(join(dir, 'central.sqlite'));
    for (const [slug, token] of tokens) {
      store.add(DatasetRegistration.parse({ slug, name: `Data ${slug}`, opd: 'mosq', fields: [{ name: 'level', type: 'number', unit: 'cm' }] }), token, 'test', Date.now());
    }
    store.close();
    const db = new Database(join(dir, 'central.sqlite'));
    db.prepare('UPDATE datasets SET mosquitto_hash = NULL WHERE slug = ?').run('lama');
    db.close();
    exported = await cli(['mosquitto-files', '--out', join(dir, 'mosquitto')]);
    expect(exported.code, exported.err).toBe(0);
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
    // Each gateway reads the aggregator's retained state (its doctor and reconnect logic use it).
    const states: unknown[] = [];
    m1.on('message', (topic, body) => topic.startsWith('pemda/v1/$central/state') && states.push(JSON.parse(body.toString())));
    await m1.subscribeAsync('pemda/v1/$central/state/#', { qos: 1 });
    await eventually(() => states.length, (n) => n >= 1, 10_000, "the central's retained state through Mosquitto");
    expect(states[0]).toMatchObject({ state: 'online' });
    await m1.publishAsync('pemda/v1/gw-m1/events', batch('t1'), { qos: 1 });
    await eventually(() => acks['gw-m1']!.length, (n) => n === 1, 15_000, 'gw-m1 acked through Mosquitto');
    // Mosquitto drops a publish the ACL refuses: the central never sees it.
    await m1.publishAsync('pemda/v1/gw-m2/events', batch('forged'), { qos: 1 });
    await sleep(1500);
    expect(acks['gw-m2']).toEqual([]);
    expect(await influx.query('pemda', `SELECT * FROM terminal_status WHERE terminal = 'forged'`)).toEqual([]);
    await Promise.all([m1.endAsync(), m2.endAsync()]);
  });

  const rowsOf = (slug: string) => influx.query('pemda', `SELECT * FROM "dataset_${slug}"`);
  const rows = (slug: string, level: number) => JSON.stringify({ token: tokens.get(slug), rows: [{ level }] });
  const rowsTopic = (slug: string) => `pemda/v1/$bridge/datasets/${slug}/rows`;
  /** A client with the central's own identity (readwrite #): sees whatever Mosquitto let through. */
  const asCentral = () => {
    const secret = JSON.parse(readFileSync(join(dir, 'central-mqtt-secret.json'), 'utf8')) as { username: string; password: string };
    return connect(secret.username, secret.password);
  };

  it('exports the datasets as dataset.{slug} with their own topic, and names the one whose token predates the hash', () => {
    const passwd = readFileSync(join(dir, 'mosquitto', 'passwd'), 'utf8');
    expect(passwd).toMatch(/^dataset\.sungai:\$7\$\d+\$/m);
    expect(passwd).toMatch(/^dataset\.kedua:\$7\$/m);
    expect(passwd).not.toMatch(/lama/);
    expect(passwd).not.toContain(tokens.get('sungai'));
    expect(readFileSync(join(dir, 'mosquitto', 'acl'), 'utf8')).toContain('user dataset.sungai\ntopic write pemda/v1/$bridge/datasets/sungai/rows\ntopic deny pemda/v1/$central/state/#\ntopic deny pemda/v1/dataset.sungai/status\n');
    expect(exported.out).toMatch(/the central, 2 gateway\(s\), 2 dataset\(s\)/);
    expect(exported.err).toMatch(/1 dataset\(s\) not exported, their token predates the Mosquitto hash: lama; issue a new token \(POST \/api\/datasets\/\{slug\}\/token/);
  });

  it('lets a dataset identity publish its rows through Mosquitto into InfluxDB, and nowhere else; it reads nothing', async () => {
    const watcher = await asCentral();
    const through: string[] = [];
    watcher.on('message', (topic, _payload, packet) => packet.retain || through.push(topic));
    await watcher.subscribeAsync('pemda/v1/#', { qos: 1 });
    const sungai = await connect('dataset.sungai', tokens.get('sungai')!);
    const kedua = await connect('dataset.kedua', tokens.get('kedua')!);
    const heard: string[] = [];
    sungai.on('message', (topic) => heard.push(topic));
    await sungai.subscribeAsync(['pemda/v1/#', rowsTopic('sungai'), rowsTopic('kedua')], { qos: 1 });
    await sungai.publishAsync(rowsTopic('sungai'), rows('sungai', 120.5), { qos: 1 });
    await eventually(() => rowsOf('sungai'), (r) => r.length === 1, 15_000, 'dataset rows through Mosquitto in InfluxDB');
    expect((await rowsOf('sungai'))[0]).toMatchObject({ level: 120.5, opd: 'mosq', dataset: 'sungai' });
    // With the other dataset's real token, and a well-formed gateway batch: only the ACL stops them.
    await sungai.publishAsync(rowsTopic('kedua'), rows('kedua', 999), { qos: 1 });
    await sungai.publishAsync('pemda/v1/gw-m1/events', batch('from-dataset'), { qos: 1 });
    await sungai.publishAsync('pemda/v1/dataset.sungai/events', batch('from-dataset-pattern'), { qos: 1 });
    // Another dataset's rows carry its token: the subscriber above must not get them.
    await kedua.publishAsync(rowsTopic('kedua'), rows('kedua', 7), { qos: 1 });
    await eventually(() => rowsOf('kedua'), (r) => r.length >= 1, 15_000, 'the other dataset\'s own rows in InfluxDB');
    await sleep(1500);
    expect((await rowsOf('kedua')).map((r) => r.level)).toEqual([7]);
    expect(await influx.query('pemda', `SELECT * FROM terminal_status WHERE terminal =~ /^from-dataset/`)).toEqual([]);
    expect(heard).toEqual([]);
    // Nothing else got past Mosquitto either, not even under the gateway patterns' %u = dataset.sungai.
    expect(through).toEqual([rowsTopic('sungai'), rowsTopic('kedua')]);
    await Promise.all([sungai.endAsync(), kedua.endAsync(), watcher.endAsync()]);
  });

  it('refuses a dataset whose token predates the export, and a dataset user with a wrong token', async () => {
    await expect(connect('dataset.lama', tokens.get('lama')!)).rejects.toThrow(/Not authorized|Bad username or password/);
    await expect(connect('dataset.sungai', tokens.get('kedua')!)).rejects.toThrow(/Not authorized|Bad username or password/);
  });

  it('delivers dataset rows to the central identity, also through a $share subscription', async () => {
    const reader = await asCentral();
    const got: string[] = [];
    reader.on('message', (topic) => got.push(topic));
    await reader.subscribeAsync('$share/pemda-test/pemda/v1/$bridge/datasets/+/rows', { qos: 1 });
    const sungai = await connect('dataset.sungai', tokens.get('sungai')!);
    await sungai.publishAsync(rowsTopic('sungai'), rows('sungai', 121), { qos: 1 });
    await eventually(() => got, (g) => g.length === 1, 10_000, 'the rows on the shared subscription');
    expect(got).toEqual([rowsTopic('sungai')]);
    await Promise.all([reader.endAsync(), sungai.endAsync()]);
  });
});
