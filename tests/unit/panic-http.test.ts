import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { PanicConfig } from '../../edge/panic/config.js';
import { PanicService } from '../../edge/panic/service.js';
import { PRESS_BURST, PRESS_REFILL_PER_S } from '../../edge/panic/http.js';
import { Outbox } from '../../edge/outbox.js';
import { PanicRecord } from '../../protocols/mqtt/payloads.js';
import { phonePanic } from '../../sim/panic-button.js';

/**
 * The phone-app endpoint on a real socket and a real outbox: 202 only once the record
 * is committed, clear refusals for everything else.
 */
describe('panic HTTP endpoint', () => {
  const token = 'token-for-satpam-phone-0001';
  const dir = mkdtempSync(join(tmpdir(), 'pemda-panic-http-'));
  let outbox: Outbox;
  let service: PanicService;
  let base: string;
  let failCommit = false;
  const grabs: string[] = [];

  beforeAll(async () => {
    outbox = new Outbox(dir);
    const config = PanicConfig.parse({ http: { host: '127.0.0.1', port: 0, tokens: ['another-token-000000000', token], cameras: ['lobby'] } });
    service = new PanicService(
      config,
      {
        commit: (record) => {
          if (failCommit) throw new Error('SQLITE_FULL: database or disk is full');
          return outbox.append(record)!;
        },
        grabFull: async (camera) => {
          grabs.push(camera);
          return 'ok';
        },
      },
      pino({ level: 'silent' }),
    );
    await service.start();
    base = `http://127.0.0.1:${service.httpPort!}`;
  });

  afterAll(async () => {
    await service.stop();
    outbox.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers 202 with the event id once the press is in the outbox', async () => {
    const r = await phonePanic(base, token, { source: 'Satpam Budi', note: 'orang membawa senjata di lobi', lat: -5.1477, lon: 119.4327 });
    expect(r.status).toBe(202);
    expect(r.body).toMatchObject({ seq: 1, cameras: ['lobby'] });
    const [stored] = outbox.pending(0, 10);
    const record = PanicRecord.parse(stored);
    expect(record).toMatchObject({ seq: 1, eventId: r.body.id, input: 'phone-app', via: 'http', source: 'Satpam Budi', note: 'orang membawa senjata di lobi', lat: -5.1477, lon: 119.4327, cameras: ['lobby'] });
    expect(record.at).toBe(r.body.at);
    expect(grabs).toEqual(['lobby']);
  });

  it('refuses a missing or unknown token with 401', async () => {
    const none = await fetch(`${base}/panic`, { method: 'POST', body: '{"source":"x"}' });
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect((await phonePanic(base, 'token-for-satpam-phone-0002', { source: 'x' })).status).toBe(401);
  });

  it('names what is wrong with a body, and stores nothing', async () => {
    const before = outbox.stats().depth;
    const noLon = await phonePanic(base, token, { source: 'x', lat: -5 });
    expect(noLon.status).toBe(400);
    expect(String(noLon.body.error)).toMatch(/lat and lon go together[\s\S]*at lon/);
    expect((await phonePanic(base, token, '{"source":"x","extra":1}')).status).toBe(400);
    expect((await phonePanic(base, token, '{"source":')).body.error).toMatch(/not valid JSON/);
    expect((await phonePanic(base, token, { source: '  ' })).status).toBe(400);
    const big = await phonePanic(base, token, JSON.stringify({ source: 'x', note: 'a'.repeat(20_000) }));
    expect(big.status).toBe(413);
    expect(outbox.stats().depth).toBe(before);
  });

  it('answers only POST /panic', async () => {
    expect((await fetch(`${base}/panic`, { headers: { Authorization: `Bearer ${token}` } })).status).toBe(405);
    expect((await fetch(`${base}/other`, { method: 'POST' })).status).toBe(404);
  });

  it('says 503 when the press cannot be stored: the app must not show "sent"', async () => {
    failCommit = true;
    try {
      const r = await phonePanic(base, token, { source: 'x' });
      expect(r.status).toBe(503);
      expect(r.body.error).toMatch(/call for help by phone/);
    } finally {
      failCommit = false;
    }
  });

  it('takes a burst of presses per app token, then answers 429 with Retry-After; other tokens are not held back', async () => {
    const other = 'another-token-000000000';
    const before = outbox.stats().depth;
    for (let i = 0; i < PRESS_BURST; i++) expect((await phonePanic(base, other, { source: `Pak RT ${i}` })).status).toBe(202);
    const over = await fetch(`${base}/panic`, { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${other}` }, body: JSON.stringify({ source: 'Pak RT again' }) });
    expect(over.status).toBe(429);
    const retry = Number(over.headers.get('retry-after'));
    expect(retry).toBeGreaterThan(0);
    expect(retry).toBeLessThanOrEqual(Math.ceil(1 / PRESS_REFILL_PER_S));
    expect(((await over.json()) as { error: string }).error).toMatch(/call for help by phone/);
    expect(outbox.stats().depth).toBe(before + PRESS_BURST);
    expect((await phonePanic(base, token, { source: 'Satpam Budi' })).status).toBe(202);
  });
});
