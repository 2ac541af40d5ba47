import { afterEach, describe, expect, it, vi } from 'vitest';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { LiveState } from '../../central/live-state.js';
import { Registry } from '../../central/registry.js';
import { RegistrySeed } from '../../central/config.js';
import { AlertEngine, AlertNotification, AlertsConfig } from '../../central/alerts/index.js';

// A real HTTP receiver on 127.0.0.1 and the engine's own delivery loop, with
// millisecond backoff so retries take no time.

interface Received {
  key: string | undefined;
  authorization: string | undefined;
  status: number;
  at: number;
  notification: AlertNotification;
}

interface Receiver {
  url: string;
  received: Received[];
  close(): Promise<void>;
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** `answer(n)` is the status of the n-th request (1-based); 0 never answers. */
async function receiver(answer: (n: number) => number): Promise<Receiver> {
  const received: Received[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const status = answer(received.length + 1);
      const key = req.headers['idempotency-key'];
      received.push({
        key: typeof key === 'string' ? key : undefined,
        authorization: req.headers.authorization,
        status,
        at: Date.now(),
        notification: AlertNotification.parse(JSON.parse(Buffer.concat(chunks).toString('utf8'))),
      });
      if (status !== 0) res.writeHead(status, { 'Content-Type': 'text/plain' }).end(status < 300 ? 'ok' : 'try later');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  const r: Receiver = {
    url: `http://127.0.0.1:${port}/hooks/alerts`,
    received,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
  cleanups.push(() => r.close());
  return r;
}

function central() {
  const dir = mkdtempSync(join(tmpdir(), 'pemda-alerts-webhook-'));
  const file = join(dir, 'central.sqlite');
  const registry = new Registry(file);
  registry.seed(RegistrySeed.parse({ opds: [{ code: 'dinkes', name: 'Dinas Kesehatan', zone: 'Asia/Makassar', gateways: ['gw-dinkes'] }] }));
  const logLines: string[] = [];
  const log = pino({ level: 'warn' }, new Writable({ write: (chunk: Buffer, _enc, done) => (logLines.push(chunk.toString('utf8')), done()) }));
  const engines: AlertEngine[] = [];
  const engine = (webhook: { url: string; retryBaseMs?: number; retryMaxMs?: number; timeoutMs?: number; token?: string }) => {
    const live = new LiveState();
    const e = new AlertEngine(file, AlertsConfig.parse({ webhook: { retryMaxMs: 1000, ...webhook } }), { live, registry }, log);
    engines.push(e);
    return { engine: e, live };
  };
  cleanups.push(async () => {
    for (const e of engines) await e.stop();
    registry.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { engine, logLines };
}

const lastWill = (live: LiveState) => live.onStatus('gw-dinkes', 'dinkes', { v: 1, state: 'offline', bdSeq: 3 });
const waitFor = (check: () => void) => vi.waitFor(check, { timeout: 10_000, interval: 5 });

describe('alert webhook', () => {
  it('retries 5xx with growing delays and delivers each notification exactly once', async () => {
    const hook = await receiver((n) => (n <= 2 ? 500 : 200));
    const { engine, live } = central().engine({ url: hook.url, token: 's3cret', retryBaseMs: 25 });
    lastWill(live);
    const [alert] = engine.evaluate().raised;
    await waitFor(() => expect(engine.pendingNotifications()).toBe(0));

    expect(hook.received.map((r) => r.status)).toEqual([500, 500, 200]);
    expect(new Set(hook.received.map((r) => r.key))).toEqual(new Set([hook.received[0]!.notification.id]));
    expect(hook.received.every((r) => r.authorization === 'Bearer s3cret')).toBe(true);
    expect(hook.received[2]!.notification).toMatchObject({ event: 'raised', alert: { id: alert!.id, kind: 'gateway-offline', gateway: 'gw-dinkes', clearedAt: null } });
    const [a, b, c] = hook.received.map((r) => r.at);
    expect(b! - a!).toBeGreaterThanOrEqual(25);
    expect(c! - b!).toBeGreaterThanOrEqual(50);

    engine.acknowledge(alert!.id, 'Sri Lestari');
    await waitFor(() => expect(engine.pendingNotifications()).toBe(0));
    const delivered = hook.received.filter((r) => r.status === 200);
    expect(delivered.map((r) => [r.notification.event, r.notification.alert.acknowledgedBy])).toEqual([
      ['raised', null],
      ['acknowledged', 'Sri Lestari'],
    ]);
    expect(new Set(hook.received.map((r) => r.key)).size).toBe(2);
    expect(new Set(delivered.map((r) => r.key)).size).toBe(delivered.length);
  });

  it('retries after a timeout and gives up on a 4xx, with a log line', async () => {
    const hook = await receiver((n) => (n === 1 ? 0 : 422));
    const c = central();
    const { engine, live } = c.engine({ url: hook.url, retryBaseMs: 10, timeoutMs: 150 });
    lastWill(live);
    engine.evaluate();
    await waitFor(() => expect(engine.pendingNotifications()).toBe(0));
    expect(hook.received.map((r) => r.status)).toEqual([0, 422]);
    expect(hook.received[0]!.key).toBe(hook.received[1]!.key);
    expect(c.logLines.some((l) => l.includes('no answer in 150 ms'))).toBe(true);
    expect(c.logLines.some((l) => l.includes('webhook rejected an alert notification') && l.includes('HTTP 422'))).toBe(true);
  });

  it('keeps an undelivered notification across a restart and delivers it after', async () => {
    const down = await receiver(() => 503);
    const up = await receiver(() => 204);
    const c = central();
    const first = c.engine({ url: down.url, retryBaseMs: 60_000, retryMaxMs: 60_000 });
    lastWill(first.live);
    const [alert] = first.engine.evaluate().raised;
    await waitFor(() => expect(down.received).toHaveLength(1));
    await first.engine.stop();
    expect(up.received).toEqual([]);

    // The restarted central does not know the gateway yet (grace): no new notification, the old one goes out.
    const second = c.engine({ url: up.url, retryBaseMs: 60_000, retryMaxMs: 60_000 });
    expect(second.engine.pendingNotifications()).toBe(1);
    second.engine.start();
    await waitFor(() => expect(second.engine.pendingNotifications()).toBe(0));
    expect(up.received.map((r) => [r.status, r.key, r.notification.event, r.notification.alert.id])).toEqual([[204, down.received[0]!.key, 'raised', alert!.id]]);
    expect(second.engine.open().map((a) => a.id)).toEqual([alert!.id]);
  });
});
