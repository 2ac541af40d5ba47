import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import mqtt from 'mqtt';
import { pino } from 'pino';
import { Enrollment } from '../../central/enroll.js';
import { Registry } from '../../central/registry.js';
import { createPki, fingerprint } from '../../central/pki.js';
import { verifyPassword } from '../../central/credentials.js';
import { EmbeddedBroker } from '../../central/broker.js';
import { BrokerAcl } from '../../central/broker-acl.js';
import { EnrollResponse } from '../../protocols/enroll.js';

const silent = pino({ level: 'silent' });
const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'pemda-enroll-'));
  dirs.push(d);
  return d;
};
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

function setup(tls?: { port: number; caPem: string }) {
  const registry = new Registry(':memory:');
  registry.seed({ opds: [{ code: 'bapenda', name: 'Badan Pendapatan Daerah', zone: 'Asia/Jayapura', gateways: ['gw-old'], employees: [] }] });
  const enrollment = new Enrollment(registry, { topicRoot: 'pemda/v1', mqttUrl: undefined, brokerPort: 1883, tls, tokenTtlH: 1 }, silent);
  return { registry, enrollment };
}

describe('enrollment tokens', () => {
  it('gives a box its id, a password whose hash alone is stored, and the broker as the box reached the central', async () => {
    const { registry, enrollment } = setup();
    const { token } = enrollment.createToken('bapenda', undefined);
    const reply = await enrollment.enroll({ token, gateway: 'bapenda-lt2' }, 'central.pemda.go.id:8080', '10.0.0.9');
    expect(reply.status).toBe(200);
    const body = EnrollResponse.parse(reply.body);
    expect(body).toMatchObject({ gateway: 'bapenda-lt2', opd: 'bapenda', opdName: 'Badan Pendapatan Daerah', ca: null, mqtt: { url: 'mqtt://central.pemda.go.id:1883', username: 'bapenda-lt2' } });
    expect(registry.gateway('bapenda-lt2')).toEqual({ id: 'bapenda-lt2', opd: 'bapenda' });
    expect(await verifyPassword(body.mqtt.password, registry.passwordHash('bapenda-lt2')!)).toBe(true);
    expect(registry.mosquittoHashes().map((h) => h.gateway)).toContain('bapenda-lt2');
  });

  it('is single-use, also when two boxes race with one token', async () => {
    const { enrollment } = setup();
    const { token } = enrollment.createToken('bapenda', undefined);
    const [a, b] = await Promise.all([enrollment.enroll({ token, gateway: 'box-a' }, undefined, '10.0.0.1'), enrollment.enroll({ token, gateway: 'box-b' }, undefined, '10.0.0.2')]);
    expect([a.status, b.status].sort()).toEqual([200, 401]);
    const again = await enrollment.enroll({ token }, undefined, '10.0.0.1');
    expect(again).toEqual({ status: 401, body: { error: expect.stringMatching(/already used \(at .* by box-[ab]\)/) as unknown } });
  });

  it('refuses an expired or unknown token, a malformed request, and taking over an existing gateway', async () => {
    const { enrollment } = setup();
    const { token, expiresAt } = enrollment.createToken('bapenda', undefined, 0.5);
    expect((await enrollment.enroll({ token }, undefined, 'r', new Date(expiresAt.getTime() + 1))).body).toEqual({ error: expect.stringMatching(/expired at/) as unknown });
    expect((await enrollment.enroll({ token: 'x'.repeat(32) }, undefined, 'r')).status).toBe(401);
    expect((await enrollment.enroll({ token: 'short' }, undefined, 'r')).status).toBe(400);
    expect((await enrollment.enroll({ token, extra: 1 }, undefined, 'r')).status).toBe(400);
    const second = enrollment.createToken('bapenda', undefined);
    expect(await enrollment.enroll({ token: second.token, gateway: 'gw-old' }, undefined, 'r')).toEqual({ status: 409, body: { error: expect.stringMatching(/gw-old is taken/) as unknown } });
    // The refused attempt did not spend the token.
    expect((await enrollment.enroll({ token: second.token, gateway: 'gw-fresh' }, undefined, 'r')).status).toBe(200);
    // A token naming an existing gateway replaces its box (new password).
    const replace = enrollment.createToken('bapenda', 'gw-old');
    expect((await enrollment.enroll({ token: replace.token }, undefined, 'r')).body).toMatchObject({ gateway: 'gw-old' });
  });

  it('refuses tokens for unknown OPDs or for a gateway of another OPD', () => {
    const { registry, enrollment } = setup();
    registry.seed({ opds: [{ code: 'dinkes', name: 'Dinas Kesehatan', zone: 'Asia/Jakarta', gateways: ['gw-dinkes'], employees: [] }] });
    expect(() => enrollment.createToken('nope', undefined)).toThrow(/OPD "nope" is not in the registry/);
    expect(() => enrollment.createToken('bapenda', 'gw-dinkes')).toThrow(/belongs to OPD dinkes/);
    expect(() => enrollment.createToken('bapenda', 'Bad Id')).toThrow(/not a gateway id/);
  });

  it('slows down an address that keeps guessing', async () => {
    const { enrollment } = setup();
    for (let i = 0; i < 10; i++) expect((await enrollment.enroll({ token: `${'g'.repeat(31)}${i}` }, undefined, '10.9.9.9')).status).toBe(401);
    expect((await enrollment.enroll({ token: 'h'.repeat(32) }, undefined, '10.9.9.9')).status).toBe(429);
    expect((await enrollment.enroll({ token: 'h'.repeat(32) }, undefined, '10.9.9.8')).status).toBe(401);
  });

  it('sends TLS boxes to the TLS port with the CA', async () => {
    const dir = tempDir();
    createPki(dir, { name: 'T', hosts: ['127.0.0.1'] });

    const caPem = readFileSync(join(dir, 'ca.crt'), 'utf8');
    const { enrollment } = setup({ port: 8883, caPem });
    const { token } = enrollment.createToken('bapenda', 'gw-tls');
    const body = EnrollResponse.parse((await enrollment.enroll({ token }, '[fd00::5]:8443', 'r')).body);
    expect(body.mqtt.url).toBe('mqtts://[fd00::5]:8883');
    expect(body.ca).toBe(caPem);
  });
});

describe('pemda-central pki', () => {
  it('keeps the CA when reissuing the server certificate, and names every host', () => {
    const dir = tempDir();
    const first = createPki(dir, { name: 'Pemda Test', hosts: ['central.pemda.go.id', '10.1.2.3'] });
    const second = createPki(dir, { name: 'Pemda Test', hosts: ['wall.pemda.go.id', '127.0.0.1'] });
    expect(first.caCreated).toBe(true);
    expect(second.caCreated).toBe(false);
    expect(second.caFingerprint).toBe(first.caFingerprint);
    
    const ca = new X509Certificate(readFileSync(join(dir, 'ca.crt')));
    const server = new X509Certificate(readFileSync(join(dir, 'server.crt')));
    expect(fingerprint(readFileSync(join(dir, 'ca.crt')))).toBe(first.caFingerprint);
    expect(ca.ca).toBe(true);
    expect(server.ca).toBe(false);
    expect(server.verify(ca.publicKey)).toBe(true);
    expect(server.subjectAltName).toBe('DNS:wall.pemda.go.id, IP Address:127.0.0.1');
    expect(server.checkHost('wall.pemda.go.id')).toBe('wall.pemda.go.id');
    expect(() => createPki(dir, { name: 'x', hosts: ['not a host!'] })).toThrow(/not a host name or IP address: not a host!/);
  });
});

describe('broker limits', () => {
  it('closes connections beyond broker.maxConnections and refuses clients without keepalive', async () => {
    const acl = new BrokerAcl({ auth: 'off', topicRoot: 'pemda/v1', centralPassword: 'x', gatewayHash: () => undefined }, silent);
    const broker = new EmbeddedBroker({ host: '127.0.0.1', port: 0, maxConnections: 2, keepaliveLimitS: 120 }, acl, silent);
    const { port } = await broker.start();
    const url = `mqtt://127.0.0.1:${port}`;
    // Resolves with the client on CONNACK, rejects when the broker closes or refuses first.
    const connect = (keepalive = 30) =>
      new Promise<mqtt.MqttClient>((resolve, reject) => {
        const c = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 3000, keepalive });
        c.once('connect', () => resolve(c));
        c.once('error', (err) => (c.end(true), reject(err)));
        c.once('close', () => (c.end(true), reject(new Error('closed before CONNACK'))));
      });
    const clients = [await connect(), await connect()];
    try {
      await expect(connect()).rejects.toThrow(/closed before CONNACK/);
      await clients.pop()!.endAsync();
      await expect(connect(0)).rejects.toThrow(/Connection refused/);
      await expect(connect(600)).rejects.toThrow(/Connection refused/);
      clients.push(await connect());
    } finally {
      await Promise.all(clients.map((c) => c.endAsync()));
      await broker.stop();
    }
  });
});

describe('enrollment token shape', () => {
  it('never starts with "-", so `--token T` is never read as an option', () => {
    const registry = new Registry(':memory:');
    registry.seed({ opds: [{ code: 'bapenda', name: 'Bapenda', zone: 'Asia/Jakarta', gateways: [], employees: [] }] });
    const enrollment = new Enrollment(registry, { topicRoot: 'pemda/v1', mqttUrl: undefined, brokerPort: 1883, tls: undefined, tokenTtlH: 1 }, pino({ level: 'silent' }));
    // 1 token in 64 would start with "-" if nothing prevented it: 2,000 make that certain to show.
    for (let i = 0; i < 2000; i++) expect(enrollment.createToken('bapenda', undefined).token).not.toMatch(/^-/);
    registry.close();
  });
});
