import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { TestSystem } from '../helpers/system.js';
import { eventually, NodeProcess } from '../helpers/proc.js';

/** Gateway identities and the broker ACL on the embedded broker. */
describe('broker identities and ACL', () => {
  const system = new TestSystem([], [
    { gateway: 'gw-a', opd: 'inspektorat', zone: 'Asia/Jakarta' },
    { gateway: 'gw-b', opd: 'bapenda', zone: 'Asia/Jakarta' },
  ]);
  // broker.auth is required by default: TestSystem sets each gateway's password with the CLI.
  const passwords = system.passwords;
  const url = () => `mqtt://127.0.0.1:${system.brokerPort}`;

  beforeAll(async () => {
    await system.start();
  }, 90_000);
  afterAll(() => system.stop(), 60_000);

  const connect = (username: string, password: string, clientId = `test-${username}-${Math.random()}`) =>
    mqtt.connectAsync(url(), { username, password, clientId, reconnectPeriod: 0, connectTimeout: 5000 });

  it('refuses a wrong password and an unknown gateway, and logs the address', async () => {
    await expect(connect('gw-a', 'wrong')).rejects.toThrow(/Bad username or password/);
    await expect(connect('gw-x', passwords.get('gw-a')!)).rejects.toThrow(/Bad username or password/);
    await system.central!.waitForLog((l) => l.msg === 'MQTT login refused: unknown gateway or wrong password' && l.remote === '127.0.0.1', 5000, 'refusal log');
    expect(passwords.get('gw-a')).toMatch(/^[A-Za-z0-9]{20}$/);
  });

  it('lets a gateway publish its own events and get its acks', async () => {
    const a = await connect('gw-a', passwords.get('gw-a')!);
    const acks: unknown[] = [];
    a.on('message', (_t, body) => acks.push(JSON.parse(body.toString())));
    await a.subscribeAsync('pemda/v1/gw-a/ack', { qos: 1 });
    const batch = { v: 1, ackedSeq: 0, records: [{ seq: 1, kind: 'terminal_status', terminal: 't1', state: 'online', at: new Date().toISOString() }] };
    await a.publishAsync('pemda/v1/gw-a/events', JSON.stringify(batch), { qos: 1 });
    await eventually(() => acks.length, (n) => n === 1, 10_000, 'the ack');
    await a.endAsync();
  });

  it('does not let gateway A publish as gateway B nor read B\'s commands', async () => {
    const a = await connect('gw-a', passwords.get('gw-a')!);
    // SUBACK 0x80: mqtt.js turns the refused filter into an error.
    await expect(a.subscribeAsync('pemda/v1/gw-b/cmd', { qos: 1 })).rejects.toThrow(/Subscribe error/);
    await system.central!.waitForLog((l) => l.msg === 'MQTT subscription refused: gateway gw-a may subscribe only to its ack, cmd and the central state', 5000, 'refused subscription log');
    const closed = new Promise<void>((resolve) => a.once('close', () => resolve()));
    const forged = { v: 1, ackedSeq: 0, records: [{ seq: 1, kind: 'terminal_status', terminal: 't9', state: 'offline', at: new Date().toISOString() }] };
    a.publish('pemda/v1/gw-b/events', JSON.stringify(forged), { qos: 1 });
    await closed; // aedes disconnects a client whose publish is refused
    await system.central!.waitForLog((l) => typeof l.msg === 'string' && l.msg.startsWith('MQTT publish refused: gateway gw-a may publish only under pemda/v1/gw-a/'), 5000, 'refused publish log');
    const rows = await system.influx.query('pemda', `SELECT * FROM terminal_status WHERE gateway = 'gw-b'`);
    expect(rows).toEqual([]);
    a.end(true);
  });

  it('refuses an oversize snapshot before it reaches ingest', async () => {
    const b = await connect('gw-b', passwords.get('gw-b')!);
    const closed = new Promise<void>((resolve) => b.once('close', () => resolve()));
    b.publish('pemda/v1/gw-b/snapshot/cam-1', Buffer.alloc(5 * 1024 * 1024, 1), { qos: 0 });
    await closed;
    await system.central!.waitForLog((l) => typeof l.msg === 'string' && /MQTT publish refused: \d+ bytes is over the \d+-byte limit for snapshot/.test(l.msg), 10_000, 'oversize refusal');
    b.end(true);
  });

  it('keeps the central itself working: its ingest and command client use the central identity', async () => {
    const cli = NodeProcess.start('cli', 'central/main.js', ['command', '--config', join(system.dir, 'central.yaml'), '--gateway', 'gw-a', '--name', 'sync-clock', '--timeout-s', '2']);
    expect(await cli.exited).toBe(1);
    expect(cli.stderr).toMatch(/no result from gateway gw-a within 2 s/); // connected and published; nobody answered
  });

  it('takes dataset rows over MQTT from the dataset\'s own identity, and only on its own topic', async () => {
    system.addUser('admin', 'admin', 'kata-sandi-admin-panjang');
    const cookie = await system.login('admin', 'kata-sandi-admin-panjang');
    const http = (path: string, init: RequestInit = {}) => fetch(`http://127.0.0.1:${system.httpPort}${path}`, { ...init, headers: { Cookie: cookie, 'Content-Type': 'application/json' } });
    const registered = await http('/api/datasets', { method: 'POST', body: JSON.stringify({ slug: 'kualitas-udara', name: 'Kualitas udara', opd: 'inspektorat', fields: [{ name: 'pm25', type: 'number', unit: 'µg/m³' }] }) });
    expect(registered.status).toBe(201);
    const { token } = (await registered.json()) as { token: string };

    await expect(connect('dataset:kualitas-udara', 'not-the-token')).rejects.toThrow(/Bad username or password/);
    const publisher = await connect('dataset:kualitas-udara', token);
    await publisher.publishAsync('pemda/v1/$bridge/datasets/kualitas-udara/rows', JSON.stringify({ token, rows: [{ pm25: 41.5 }, { pm25: 'banyak' }] }), { qos: 1 });
    await eventually(
      async () => JSON.stringify(await (await http('/api/datasets/kualitas-udara/latest')).json()),
      (text) => text.includes('41.5'),
      10_000,
      'the MQTT row in InfluxDB',
    );
    await system.central!.waitForLog((l) => l.msg === 'dataset rows over MQTT refused in part or whole', 5000, 'the refused row logged');
    // Its identity reaches nothing else: not a gateway topic, not a subscription.
    await expect(publisher.subscribeAsync('pemda/v1/#', { qos: 1 })).rejects.toThrow(/Subscribe error/);
    const closed = new Promise<void>((resolve) => publisher.once('close', () => resolve()));
    publisher.publish('pemda/v1/gw-a/events', JSON.stringify({ v: 1, ackedSeq: 0, records: [] }), { qos: 1 });
    await closed;
    await system.central!.waitForLog((l) => typeof l.msg === 'string' && l.msg.startsWith('MQTT publish refused: dataset kualitas-udara may publish only to'), 5000, 'refusal log');
    publisher.end(true);
    // The name an external Mosquitto needs (no ":" there) works here too, with the same rights.
    const dotted = await connect('dataset.kualitas-udara', token);
    await dotted.publishAsync('pemda/v1/$bridge/datasets/kualitas-udara/rows', JSON.stringify({ token, rows: [{ pm25: 7.25 }] }), { qos: 1 });
    await eventually(async () => JSON.stringify(await (await http('/api/datasets/kualitas-udara/latest')).json()), (text) => text.includes('7.25'), 10_000, 'the row from dataset.kualitas-udara');
    await expect(dotted.subscribeAsync('pemda/v1/#', { qos: 1 })).rejects.toThrow(/Subscribe error/);
    dotted.end(true);
  });
});
