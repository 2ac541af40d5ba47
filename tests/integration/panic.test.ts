import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import mqtt from 'mqtt';
import { OnvifCameraSim } from '../../sim/onvif-camera.js';
import { AlarmPanelSim, phonePanic } from '../../sim/panic-button.js';
import { freePort } from '../../scripts/lib/ports.js';
import { TestSystem } from '../helpers/system.js';
import { eventually } from '../helpers/proc.js';
import type { Alert, AlertNotification } from '../../central/alerts/index.js';

/**
 * Panic presses end to end on real processes: an alarm panel line over a socat pty and
 * a phone app's POST, through pemda-edge (outbox, urgent send, full frame from a
 * simulated ONVIF camera), pemda-central (ingest, alert engine, snapshot store) and
 * influxd, to the wall's GET /api/alerts and a webhook receiver that fails first.
 */
describe('panic button', () => {
  const gw = 'gw-dinkes';
  const token = 'hp-satpam-token-0123456789abcdef';
  const creds = { username: 'admin', password: 'rahasia' };
  const system = new TestSystem([{ gateway: gw, opd: 'dinkes', zone: 'Asia/Makassar', terminals: [] }], [{ gateway: 'gw-replay', opd: 'replay', zone: 'Asia/Jakarta' }]);
  const camera = new OnvifCameraSim({ ...creds, name: 'Lobi', width: 1280, height: 720 });
  /** Webhook deliveries: the first attempt of every notification gets a 500, the next a 200. */
  const hooks: { key: string; status: number; body: AlertNotification }[] = [];
  let hookServer: Server;
  let panel: AlarmPanelSim;
  let gatewayUrl: string;
  const latencies: Record<string, number> = {};

  beforeAll(async () => {
    hookServer = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const key = String(req.headers['idempotency-key']);
        const status = hooks.some((h) => h.key === key) ? 200 : 500;
        hooks.push({ key, status, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as AlertNotification });
        res.writeHead(status).end();
      });
    });
    await new Promise<void>((resolve) => hookServer.listen(0, '127.0.0.1', resolve));
    const hookPort = (hookServer.address() as { port: number }).port;
    const cameraPort = await camera.start(0);
    const pty = await system.ptyPair('alarm-panel');
    const panicPort = await freePort();
    gatewayUrl = `http://127.0.0.1:${panicPort}`;
    system.centralExtra.alerts = { evaluateEveryS: 1, webhook: { url: `http://127.0.0.1:${hookPort}/police-desk`, retryBaseMs: 200, retryMaxMs: 1000, kinds: ['panic'] } };
    system.gatewayExtra.set(gw, {
      cameras: [{ id: 'lobby', onvif: { host: '127.0.0.1', port: cameraPort }, ...creds, intervalS: 30, timeoutMs: 4000 }],
      panic: {
        inputs: [{ id: 'alarm-panel', kind: 'serial-line', port: pty.gatewayPath, match: '\\bALARM\\b', reopenDelayMs: 500, cameras: ['lobby'] }],
        http: { host: '127.0.0.1', port: panicPort, tokens: [token], cameras: ['lobby'] },
      },
    });
    await system.start();
    const gateway = system.gateways.get(gw)!;
    await gateway.waitForLog((l) => l.msg === 'panic input port open', 20_000, 'the alarm panel port open');
    await gateway.waitForLog((l) => l.centralOnline === true, 20_000, 'central online at the gateway');
    panel = new AlarmPanelSim(pty.devicePath);
    system.addUser('ani', 'operator', 'ani-kata-sandi-panjang');
  }, 120_000);

  afterAll(async () => {
    console.log(`press-to-alert latency (ms): ${JSON.stringify(latencies)}`);
    panel?.close();
    await system.stop();
    await camera.stop();
    hookServer?.closeAllConnections();
    await new Promise((resolve) => hookServer?.close(resolve));
  }, 60_000);

  const api = (path: string, init?: RequestInit) => fetch(`http://127.0.0.1:${system.httpPort}${path}`, init);
  const openPanics = async () => ((await (await api('/api/alerts')).json()) as { open: Alert[] }).open.filter((a) => a.kind === 'panic');

  /** Polls the wall's alert list every 20 ms; resolves with the alert and the ms since `sinceMs`. */
  async function alertFor(match: (a: Alert) => boolean, sinceMs: number, timeoutMs: number): Promise<{ alert: Alert; ms: number }> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const alert = (await openPanics()).find(match);
      if (alert) return { alert, ms: Date.now() - sinceMs };
      if (Date.now() > deadline) throw new Error(`no panic alert within ${timeoutMs} ms; open: ${JSON.stringify(await openPanics())}`);
      await sleep(20);
    }
  }

  const fullFrames = (afterIso: string) => system.influx.query('pemda', `SELECT * FROM ops.snapshot WHERE camera = 'lobby' AND kind = 'full' AND time >= '${afterIso}'`);

  it('an alarm panel line raises a panic alert on the wall within 2 s, with a full frame of the lobby taken after it', async () => {
    const pressedAt = Date.now();
    const line = panel.alarm(3, 'PANIC');
    const { alert, ms } = await alertFor((a) => a.panic?.input === 'alarm-panel', pressedAt, 2000);
    latencies['serial-line'] = ms;
    expect(ms).toBeLessThan(2000);
    expect(alert).toMatchObject({ severity: 'critical', opd: 'dinkes', gateway: gw, device: 'alarm-panel', acknowledgedAt: null, clearedAt: null });
    expect(alert.panic).toMatchObject({ via: 'serial-line', source: line, cameras: [{ id: 'lobby', frameUrl: `/api/cameras/${gw}/lobby/latest.jpg` }] });
    expect(alert.message.id).toMatch(/^DARURAT di OPD dinkes: alarm alarm-panel berbunyi pukul \d\d-\d\d-\d{4} \d\d:\d\d:\d\d WITA/);
    expect(alert.message.en).toMatch(/^EMERGENCY at OPD dinkes: alarm alarm-panel went off at .* WITA .*nearest camera: lobby$/);

    const pressIso = alert.panic!.pressedAt;
    const [frame] = await eventually(() => fullFrames(pressIso), (r) => r.length > 0, 10_000, 'a full lobby frame newer than the press');
    expect(frame).toMatchObject({ opd: 'dinkes', gateway: gw, width: 1280, height: 720 });
    expect(existsSync(String(frame!.path))).toBe(true);
    const latest = await api(alert.panic!.cameras[0]!.frameUrl);
    expect(latest.status).toBe(200);
    expect(latest.headers.get('x-captured-at')! >= pressIso).toBe(true);

    const [point] = await eventually(() => system.influx.query('pemda', `SELECT * FROM panic WHERE event_id = '${alert.panic!.eventId}'`), (r) => r.length === 1, 10_000, 'the panic point');
    expect(point).toMatchObject({ opd: 'dinkes', gateway: gw, input: 'alarm-panel', via: 'serial-line', cameras: 'lobby', source: line });
  });

  it('a phone app\'s POST /panic gets 202 with the event id, and the wall shows it within 2 s', async () => {
    const pressedAt = Date.now();
    const answer = await phonePanic(gatewayUrl, token, { source: 'Satpam Budi', note: 'tamu mengamuk di loket', lat: -5.1477, lon: 119.4327 });
    expect(answer.status).toBe(202);
    const { alert, ms } = await alertFor((a) => a.panic?.eventId === answer.body.id, pressedAt, 2000);
    latencies.http = ms;
    expect(alert).toMatchObject({ device: 'phone-app', panic: { via: 'http', source: 'Satpam Budi', note: 'tamu mengamuk di loket', location: { lat: -5.1477, lon: 119.4327 } } });
    expect(alert.message.en).toMatch(/emergency call from the phone app \(Satpam Budi\)/);
    expect((await phonePanic(gatewayUrl, 'wrong-token-0000000000000000', { source: 'x' })).status).toBe(401);
    await eventually(() => fullFrames(alert.panic!.pressedAt), (r) => r.length > 0, 10_000, 'the frame for the phone panic');
  });

  it('delivers each panic to the webhook once per Idempotency-Key, retrying after a 500', async () => {
    const panics = await openPanics();
    expect(panics.length).toBeGreaterThanOrEqual(2);
    for (const p of panics) {
      const delivered = await eventually(
        () => hooks.filter((h) => h.body.event === 'raised' && h.body.alert.panic?.eventId === p.panic!.eventId),
        (list) => list.some((h) => h.status === 200),
        10_000,
        `the webhook delivery of ${p.panic!.eventId}`,
      );
      expect(new Set(delivered.map((h) => h.key)).size).toBe(1);
      expect(delivered.map((h) => h.status)).toEqual([500, 200]);
      expect(delivered[1]!.body.alert).toMatchObject({ kind: 'panic', severity: 'critical', opd: 'dinkes' });
    }
    await sleep(1500); // nothing more comes for them: delivered means done
    for (const p of panics) {
      const ok = hooks.filter((h) => h.status === 200 && h.body.event === 'raised' && h.body.alert.id === p.id);
      expect(ok).toHaveLength(1);
    }
  });

  it('raises nothing new when the same panic record is resent', async () => {
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${system.brokerPort}`, { clientId: 'test-panic-replayer', ...system.credentials('gw-replay') });
    const acks: unknown[] = [];
    client.on('message', (_t, body) => acks.push(JSON.parse(body.toString())));
    await client.subscribeAsync('pemda/v1/gw-replay/ack', { qos: 1 });
    const record = { seq: 7, kind: 'panic', eventId: randomUUID(), input: 'front-desk', via: 'modem-line', at: new Date().toISOString(), cameras: [] };
    const payload = JSON.stringify({ v: 1, ackedSeq: 6, records: [record] });
    await client.publishAsync('pemda/v1/gw-replay/events', payload, { qos: 1 });
    await client.publishAsync('pemda/v1/gw-replay/events', payload, { qos: 1 });
    await eventually(() => acks.length, (n) => n >= 2, 10_000, 'both copies acked');
    await client.endAsync();
    expect(acks).toEqual([{ v: 1, seq: 7 }, { v: 1, seq: 7 }]);
    const all = (await (await api('/api/alerts/recent?limit=1000')).json()) as { alerts: Alert[] };
    expect(all.alerts.filter((a) => a.panic?.eventId === record.eventId)).toHaveLength(1);
  });

  it('stays open until an operator acknowledges it, which clears it', async () => {
    const [first] = await openPanics();
    const cookie = await system.login('ani', 'ani-kata-sandi-panjang');
    const res = await api(`/api/alerts/${first!.id}/ack`, { method: 'POST', headers: { Cookie: cookie } });
    expect(res.status).toBe(200);
    const acked = (await res.json()) as Alert;
    expect(acked).toMatchObject({ acknowledgedBy: 'ani', kind: 'panic' });
    expect(acked.clearedAt).toBe(acked.acknowledgedAt);
    expect((await openPanics()).map((a) => a.id)).not.toContain(first!.id);
    await eventually(() => hooks.filter((h) => h.status === 200 && h.body.alert.id === first!.id).map((h) => h.body.event), (e) => e.includes('cleared'), 10_000, 'acknowledged and cleared at the webhook');
  });

  it('a press while the central is down is delivered when it returns, with its frame', async () => {
    await system.central!.kill('SIGTERM');
    const pressedAt = new Date().toISOString();
    const line = panel.alarm(5, 'DURESS');
    const answer = await phonePanic(gatewayUrl, token, { source: 'Resepsionis' });
    expect(answer.status).toBe(202); // the gateway stored it: the central is not needed for that
    await sleep(1500);
    expect(system.outboxDepth(gw)).toBeGreaterThanOrEqual(2);
    const upAt = Date.now();
    await system.startCentral();
    const serial = await alertFor((a) => a.panic?.source === line, upAt, 15_000);
    const phone = await alertFor((a) => a.panic?.eventId === answer.body.id, upAt, 15_000);
    latencies['after-outage'] = Math.max(serial.ms, phone.ms);
    expect(serial.alert.panic!.pressedAt >= pressedAt).toBe(true);
    await eventually(() => fullFrames(pressedAt), (r) => r.length > 0, 15_000, 'the full frame kept through the outage');
    await eventually(() => system.outboxDepth(gw), (n) => n === 0, 15_000, 'the outbox drained');
    const all = (await (await api('/api/alerts/recent?limit=1000')).json()) as { alerts: Alert[] };
    expect(all.alerts.filter((a) => a.panic?.eventId === answer.body.id)).toHaveLength(1);
  });
});
