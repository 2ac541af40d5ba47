import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type IncomingMessage } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { LiveState } from '../../central/live-state.js';
import { Registry } from '../../central/registry.js';
import { RegistrySeed } from '../../central/config.js';
import { AlertEngine, AlertsConfig, alertsPermission, alertsRoute, forwardAlertEvents, type Alert } from '../../central/alerts/index.js';

// The routes as central/http.ts mounts them: here behind a tiny server whose
// "x-test-user" header stands in for an authenticated session.

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of req as AsyncIterable<Buffer>) chunks.push(c);
  return JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null') as unknown;
}

async function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'pemda-alerts-http-'));
  const file = join(dir, 'central.sqlite');
  const registry = new Registry(file);
  registry.seed(RegistrySeed.parse({ opds: [{ code: 'dinkes', name: 'Dinas Kesehatan', zone: 'Asia/Makassar', gateways: ['gw-dinkes'] }] }));
  const live = new LiveState();
  const engine = new AlertEngine(file, AlertsConfig.parse({}), { live, registry }, pino({ level: 'silent' }));
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://central');
    const user = req.headers['x-test-user'];
    alertsRoute(engine, { method: req.method ?? 'GET', url, user: typeof user === 'string' ? user : undefined, json: () => readJson(req) })
      .then((reply) => res.writeHead(reply?.status ?? 418, { 'Content-Type': 'application/json' }).end(JSON.stringify(reply?.body ?? { error: 'not ours' })))
      .catch((err: unknown) => res.writeHead(500).end(String(err)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  cleanups.push(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await engine.stop();
    registry.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const call = async (path: string, init: RequestInit = {}) => {
    const res = await fetch(base + path, init);
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  return { engine, live, call };
}

const post = (body: unknown, headers: Record<string, string> = {}): RequestInit => ({ method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) });

describe('alert HTTP routes', () => {
  it('lists, shows and acknowledges alerts, with the right permission per route', async () => {
    const { engine, live, call } = await setup();
    live.onStatus('gw-dinkes', 'dinkes', { v: 1, state: 'offline', bdSeq: 1 });
    const [alert] = engine.evaluate().raised;
    const id = alert!.id;

    expect((await call('/api/alerts')).body.open).toEqual([alert]);
    expect(await call(`/api/alerts/${id}`)).toEqual({ status: 200, body: alert });
    expect((await call('/api/alerts/777')).status).toBe(404);
    expect((await call('/api/alerts/recent?limit=1')).body.alerts).toEqual([alert]);
    expect((await call('/api/alerts/recent?limit=zero')).status).toBe(400);
    expect((await call('/api/state')).status).toBe(418);

    expect((await call(`/api/alerts/${id}/ack`, post({ user: '' }))).status).toBe(400);
    expect((await call(`/api/alerts/${id}/ack`)).status).toBe(405);
    // Authenticated: the session's user acknowledges, whatever the body says.
    const acked = await call(`/api/alerts/${id}/ack`, post({ user: 'someone else' }, { 'x-test-user': 'sri' }));
    expect(acked).toMatchObject({ status: 200, body: { id, acknowledgedBy: 'sri' } });
    expect((await call(`/api/alerts/${id}/ack`, post({ user: 'Budi' }))).body).toEqual(acked.body);
    expect((await call('/api/alerts/778/ack', post({ user: 'Budi' }))).status).toBe(404);

    const times = await call(`/api/alerts/response-times?opd=dinkes&from=2000-01-01&to=2100-01-01`);
    expect(times.body.alerts).toMatchObject([{ id, seconds: expect.any(Number) }]);
    expect((await call('/api/alerts/response-times?opd=dinkes&from=2026-12-01&to=2026-11-01')).status).toBe(400);

    expect(alertsPermission('GET', '/api/alerts')).toBe('view');
    expect(alertsPermission('POST', `/api/alerts/${id}/ack`)).toBe('alerts.ack');
    expect(alertsPermission('GET', '/api/state')).toBeUndefined();
  });

  it('forwards alert events for the SSE stream until unsubscribed', async () => {
    const { engine, live } = await setup();
    const sent: [string, Alert][] = [];
    const unsubscribe = forwardAlertEvents(engine, (event, alert) => sent.push([event, alert]));
    live.onStatus('gw-dinkes', 'dinkes', { v: 1, state: 'offline', bdSeq: 1 });
    const [alert] = engine.evaluate().raised;
    engine.acknowledge(alert!.id, 'sri');
    unsubscribe();
    live.onStatus('gw-dinkes', 'dinkes', { v: 1, state: 'online', bdSeq: 2, version: '1', configHash: '0'.repeat(64), startedAt: new Date().toISOString(), ackedSeq: 0, clockOffsetMs: null, terminals: [], cameras: [] });
    expect(engine.evaluate().cleared).toHaveLength(1);
    expect(sent.map(([event, a]) => [event, a.id])).toEqual([
      ['alert-raised', alert!.id],
      ['alert-acknowledged', alert!.id],
    ]);
  });
});
