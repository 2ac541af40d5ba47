import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { OnvifCameraSim } from '../../sim/onvif-camera.js';
import { TestSystem } from '../helpers/system.js';
import { buildWebApp, HAVE_CHROMIUM, launchChromium, SHOTS, SKIP_REASON } from './chromium.js';

/**
 * The command room web app in a real browser (Debian's /usr/bin/chromium, driven by
 * playwright-core) against a whole installation: influxd, the compiled central, one
 * office gateway with a line terminal on a socat pty and a simulated ONVIF camera.
 * The central runs as a kiosk wall (auth.anonymousView, TestSystem's default): the
 * views open without login. Screenshots of every view at 1920x1080 go to
 * reports/screenshots/.
 */
if (!HAVE_CHROMIUM) console.warn(`command room browser test ${SKIP_REASON}`);

const GW = 'gw-diskominfo';
const OPD = 'diskominfo';

describe.skipIf(!HAVE_CHROMIUM)(`command room web app${HAVE_CHROMIUM ? '' : ` (${SKIP_REASON})`}`, () => {
  const creds = { username: 'admin', password: 'rahasia' };
  let camera: OnvifCameraSim;
  let system: TestSystem;
  let browser: Browser;
  let page: Page;
  let loads = 0;
  const base = () => `http://127.0.0.1:${system.httpPort}`;

  beforeAll(async () => {
    buildWebApp();
    mkdirSync(SHOTS, { recursive: true });
    camera = new OnvifCameraSim({ ...creds, name: 'Lobi' });
    const port = await camera.start(0);
    system = new TestSystem([
      { gateway: GW, opd: OPD, zone: 'Asia/Jakarta', employees: [{ pin: '2001', name: 'Andi' }, { pin: '2002', name: 'Sari' }, { pin: '2003', name: 'Budi' }] },
    ]);
    system.gatewayExtra.set(GW, {
      cameras: [{ id: 'lobby', onvif: { host: '127.0.0.1', port }, ...creds, intervalS: 2, timeoutMs: 2000 }],
      health: { intervalS: 1 },
    });
    [browser] = await Promise.all([
      launchChromium(),
      system.start(),
    ]);
    page = await browser.newPage({ viewport: { width: 1920, height: 1080 }, locale: 'id-ID', timezoneId: 'Asia/Jakarta' });
    page.on('load', () => loads++);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await system?.stop();
    await camera?.stop();
  }, 30_000);

  it('serves the app, its scripts and styles, and nothing outside its folder', async () => {
    const get = (path: string) => fetch(`${base()}${path}`);
    const index = await get('/');
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await index.text()).toContain('/web/app.js');
    expect((await get('/web/app.js')).headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect((await get('/web/app.css')).headers.get('content-type')).toBe('text/css; charset=utf-8');
    for (const path of ['/web/nope.js', '/web/../package.json', '/web/%2e%2e/package.json', '/web/..%2Fcentral%2Fhttp.js', '/web/views/../../central/http.js', '/web/.tsbuildinfo', '/web/app.ts', '/web/']) {
      expect((await get(path)).status, path).toBe(404);
    }
    expect((await get('/api/state')).status).toBe(200); // the API is untouched
  });

  it('video wall: the camera tile shows the latest 480x270 thumbnail and its capture time', async () => {
    await page.goto(`${base()}/#/wall`);
    const tile = page.locator(`.tile[data-gateway="${GW}"][data-camera="lobby"]`);
    const img = tile.locator('img');
    await expect
      .poll(() => img.evaluate((el) => (el as unknown as { complete: boolean; naturalWidth: number }).naturalWidth).catch(() => 0), { timeout: 30_000, interval: 250 })
      .toBe(480);
    const captured = tile.locator('.capture-time');
    await expect.poll(() => captured.textContent()).toMatch(/^Diambil \d{2}\.\d{2}\.\d{2} WIB$/);
    const capturedAt = Date.parse((await captured.getAttribute('data-captured-at')) ?? '');
    expect(Math.abs(Date.now() - capturedAt)).toBeLessThan(60_000);
    expect(await tile.locator('.tile-head').textContent()).toContain('OPD diskominfo');
    await expect.poll(() => page.locator('#conn').getAttribute('data-state'), { timeout: 10_000 }).toBe('live');
    expect(await page.locator('#conn').textContent()).toMatch(/Terakhir diperbarui \d{2}\.\d{2}\.\d{2} WIB/);
    // A kiosk: viewing without login, a login offered, no admin tabs.
    expect(await page.locator('#user').textContent()).toContain('Tanpa login (hanya lihat)');
    expect(await page.locator('#login-button').textContent()).toBe('Masuk');
    expect(await page.locator('#tabs a.tab').evaluateAll((els) => els.map((e) => e.getAttribute('data-view')))).toEqual(['wall', 'absensi', 'kesehatan', 'peringatan']);
    await page.screenshot({ path: join(SHOTS, 'wall.png') });

    // A click opens the frame large; Escape closes it.
    await tile.click();
    await page.locator('.modal .large-img').waitFor();
    await page.screenshot({ path: join(SHOTS, 'wall-large.png') });
    await page.keyboard.press('Escape');
    await page.locator('.modal').waitFor({ state: 'detached' });
  });

  it('attendance: a punch raises the OPD count without a page reload', async () => {
    await page.locator('a.tab[data-view="absensi"]').click();
    const row = page.locator(`tr.att-row[data-opd="${OPD}"]`);
    await row.waitFor();
    expect(await row.locator('.roster').textContent()).toBe('3');
    const count = async () => Number(await row.locator('.punches-today').textContent());
    const before = await count();
    await page.evaluate('window.__sameDocument = true');
    const terminal = system.terminal(GW);
    terminal.writeRaw(`2001,${terminal.wallClock(new Date()).replace('T', ' ')},0,1\r\n`);
    await expect.poll(count, { timeout: 15_000, interval: 200 }).toBe(before + 1);
    expect(await page.evaluate('window.__sameDocument === true')).toBe(true);
    expect(loads).toBe(1);
    const punch = page.locator('tr.punch-row').first();
    expect(await punch.locator('.employee').textContent()).toBe('2001');
    expect(await punch.textContent()).toMatch(/\d{2}\.\d{2}\.\d{2} WIB/);
    await page.screenshot({ path: join(SHOTS, 'absensi.png') });

    // Drill-down to one OPD, and back.
    await row.click();
    await expect.poll(() => page.evaluate('location.hash')).toBe(`#/absensi?opd=${OPD}`);
    await expect.poll(() => page.locator('.att .panel-head h2').textContent()).toBe(`Absen terbaru: OPD ${OPD}`);
    expect(await page.locator('#opd-filter').inputValue()).toBe(OPD);
    await page.locator('.att .panel-head button').click();
    await expect.poll(() => page.evaluate('location.hash')).toBe('#/absensi');
  });

  it('office health: the gateway with its terminal and camera', async () => {
    await page.locator('a.tab[data-view="kesehatan"]').click();
    const card = page.locator(`.gw-card[data-gateway="${GW}"]`);
    await card.waitFor();
    await expect.poll(() => card.getAttribute('data-state')).toBe('online');
    expect(await card.locator('.gw-state').textContent()).toContain('ONLINE');
    await expect.poll(() => card.locator('.facts').textContent()).toContain('Disk bebas');
    expect(await card.locator('[data-terminal="term-1"]').textContent()).toContain('ONLINE');
    expect(await card.locator('[data-camera="lobby"]').textContent()).toContain('ONLINE');
    // No coordinates in the registry seed: the map says where to set them and lists the office.
    expect(await page.locator('.office-map .map-empty').textContent()).toContain('isi di halaman Admin');
    expect(await page.locator('.office-map .map-missing').textContent()).toContain(`OPD ${OPD}`);
  });

  it('video wall: a camera that goes away shows OFFLINE within seconds', async () => {
    await page.locator('a.tab[data-view="wall"]').click();
    const tile = page.locator(`.tile[data-camera="lobby"]`);
    await tile.waitFor();
    camera.faults.gone = true;
    const gone = Date.now();
    await expect.poll(() => tile.locator('.badge-offline').count(), { timeout: 12_000, interval: 200 }).toBe(1);
    const tookMs = Date.now() - gone;
    console.log(`command room: camera offline shown after ${tookMs} ms`);
    expect(tookMs).toBeLessThan(12_000);
    expect(await tile.locator('.badge-offline').textContent()).toContain('OFFLINE');
    expect(loads).toBe(1);
    // The central's alert engine raises it too; a kiosk viewer sees it in the banner.
    await expect.poll(() => page.locator('#alert-banner .banner-message').textContent(), { timeout: 12_000 }).toContain('Kamera lobby');
    await page.screenshot({ path: join(SHOTS, 'wall-offline.png') });

    // The health view puts the problem first, in words as well as colour.
    await page.locator('a.tab[data-view="kesehatan"]').click();
    const card = page.locator(`.gw-card[data-gateway="${GW}"]`);
    await expect.poll(() => card.locator('.problems').textContent()).toContain('Kamera lobby: offline');
    await page.screenshot({ path: join(SHOTS, 'kesehatan.png') });
  });
});
