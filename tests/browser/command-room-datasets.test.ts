import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { OnvifCameraSim } from '../../sim/onvif-camera.js';
import { ROOT } from '../helpers/proc.js';
import { TestSystem } from '../helpers/system.js';
import { buildWebApp, HAVE_CHROMIUM, SHOTS, SKIP_REASON } from './chromium.js';
import { apiSession, logInThroughForm, startBehindLogin, wallPage } from './session.js';

/**
 * Data OPD end to end: a real central with influxd (login required), one office gateway
 * with a simulated camera, and an admin in Chromium. One dataset is registered through
 * the API with the admin's cookie and fed with its push token from the test (a refused
 * row's error is in the push answer); a second is registered in the page, whose token
 * shown once is then used to push. The wall shows both as tiles above the camera: the
 * latest value with its unit, a sparkline, BASI for the one whose rows are too old,
 * and a new push without reloading the page.
 */
if (!HAVE_CHROMIUM) console.warn(`command room datasets test ${SKIP_REASON}`);

/** The screenshots docs/command-room.md shows are copies of a run's. */
const DOC_SHOTS = join(ROOT, 'docs', 'screenshots');

const GW = 'gw-dpupr';
const ADMIN = { username: 'rina', password: 'rina-kata-sandi-panjang' };
/** The central's `dataset` event makes the wall ask for the list, then for the tile's values (it polled every 10 s before). */
const LIVE_WITHIN_MS = 5000;

interface PushAnswer {
  dataset: string;
  accepted: number;
  rejected: number;
  errors: { row?: number; line?: number; field: string | null; message: string }[];
}

describe.skipIf(!HAVE_CHROMIUM)(`command room datasets${HAVE_CHROMIUM ? '' : ` (${SKIP_REASON})`}`, () => {
  const creds = { username: 'admin', password: 'rahasia' };
  let camera: OnvifCameraSim;
  let system: TestSystem;
  let browser: Browser;
  let page: Page;
  let cookie = '';
  let riverToken = '';
  const base = () => `http://127.0.0.1:${system.httpPort}`;
  const push = async (slug: string, token: string, rows: unknown): Promise<{ status: number; body: PushAnswer }> => {
    const res = await fetch(`${base()}/api/datasets/${slug}/rows`, { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: JSON.stringify(rows) });
    return { status: res.status, body: (await res.json()) as PushAnswer };
  };
  const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000).toISOString();

  beforeAll(async () => {
    buildWebApp();
    mkdirSync(SHOTS, { recursive: true });
    mkdirSync(DOC_SHOTS, { recursive: true });
    camera = new OnvifCameraSim({ ...creds, name: 'Pintu Air' });
    const port = await camera.start(0);
    system = new TestSystem([{ gateway: GW, opd: 'dpupr', zone: 'Asia/Makassar', terminals: [] }], [{ gateway: 'gw-dlh', opd: 'dlh', zone: 'Asia/Makassar' }]);
    system.gatewayExtra.set(GW, { cameras: [{ id: 'pintu-air', onvif: { host: '127.0.0.1', port }, ...creds, intervalS: 2, timeoutMs: 2000 }] });
    browser = await startBehindLogin(system, [{ ...ADMIN, role: 'admin' }]);
    cookie = await apiSession(base(), ADMIN.username, ADMIN.password);
    page = await wallPage(browser, 'Asia/Makassar');
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await system?.stop();
    await camera?.stop();
  }, 30_000);

  it('a dataset registered through the API takes rows with its token; a refused row is named in the push answer', async () => {
    const res = await fetch(`${base()}/api/datasets`, {
      method: 'POST',
      headers: { cookie, 'Content-Type': 'application/json' },
      body: JSON.stringify({
        slug: 'tinggi-muka-air',
        name: 'Tinggi Muka Air Sungai Tallo',
        opd: 'dpupr',
        fields: [
          { name: 'level', type: 'number', unit: 'cm', min: 0, max: 2000, label: 'Tinggi air' },
          { name: 'status', type: 'string', optional: true },
          { name: 'pump_on', type: 'boolean', optional: true, label: 'Pompa' },
        ],
        staleAfterS: 900,
      }),
    });
    expect(res.status).toBe(201);
    riverToken = ((await res.json()) as { token: string }).token;

    const levels = [112, 115, 113, 118, 121, 119, 124, 127, 125, 129];
    const rows = levels.map((level, i) => ({ time: minutesAgo(50 - i * 5), level, status: 'normal', pump_on: false }));
    const ok = await push('tinggi-muka-air', riverToken, rows);
    expect(ok).toMatchObject({ status: 200, body: { accepted: 10, rejected: 0, errors: [] } });

    const mixed = await push('tinggi-muka-air', riverToken, [
      { time: minutesAgo(3), level: -4 },
      { time: minutesAgo(1), level: 131, status: 'siaga', pump_on: true },
    ]);
    expect(mixed.status).toBe(207);
    expect(mixed.body).toMatchObject({ accepted: 1, rejected: 1, errors: [{ row: 1, field: 'level', message: 'below the minimum 0 cm' }] });
    const none = await push('tinggi-muka-air', riverToken, [{ levl: 3 }]);
    expect(none.status).toBe(422);
    // Both mistakes of the row are named: the required field missing, the unknown one.
    expect(none.body.errors.map((e) => [e.row, e.field])).toEqual([
      [1, 'level'],
      [1, 'levl'],
    ]);
    expect(none.body.errors[1]!.message).toContain('unknown field');
    expect((await push('tinggi-muka-air', 'x'.repeat(43), rows)).status).toBe(401);
  });

  it('admin: registers a dataset in the page; the token is shown once with a curl example, and it works', async () => {
    await page.goto(`${base()}/#/data`);
    await logInThroughForm(page, ADMIN.username, ADMIN.password);
    const river = page.locator('tr.dataset-row[data-dataset="tinggi-muka-air"]');
    await river.waitFor();
    expect(await river.locator('.rows-rejected').textContent()).toBe('2 ditolak');
    expect(await river.textContent()).toContain('Tinggi air (cm)');

    const form = page.locator('form.dataset-form');
    await form.locator('#dataset-slug').fill('kualitas-udara');
    await form.locator('#dataset-name').fill('Kualitas Udara Pantai Losari');
    await form.locator('#dataset-opd').selectOption('dlh');
    await form.locator('#dataset-stale').fill('0,5');
    await form.locator('#field-name-1').fill('pm25');
    await form.locator('#field-unit-1').fill('µg/m³');
    await form.locator('#field-label-1').fill('PM2.5');
    await form.locator('.btn-add-field').click();
    await page.locator('#field-name-2').fill('time');
    await page.locator('#field-type-2').selectOption('integer');
    await page.locator('form.dataset-form button[type="submit"]').click();
    // Named before anything is sent.
    await expect.poll(() => page.locator('form.dataset-form .form-error').textContent()).toContain('Kolom 2: time dipakai server pusat');
    await page.locator('#field-name-2').fill('aqi');
    await page.locator('form.dataset-form button[type="submit"]').click();

    const box = page.locator('.token-box[data-dataset="kualitas-udara"]');
    await box.waitFor();
    expect(await box.locator('.token-once').textContent()).toContain('SEKALI INI SAJA');
    const token = (await box.locator('#dataset-token').textContent()) ?? '';
    expect(token).toMatch(/^\S{40,}$/);
    const curl = (await box.locator('.curl-json').textContent()) ?? '';
    expect(curl).toContain(`'${base()}/api/datasets/kualitas-udara/rows'`);
    expect(curl).toContain(`Authorization: Bearer ${token}`);
    expect(curl).toMatch(/"pm25":12\.5,"aqi":13/);
    await page.screenshot({ path: join(SHOTS, 'data-opd.png') });
    copyFileSync(join(SHOTS, 'data-opd.png'), join(DOC_SHOTS, 'data-opd.png'));

    // The token shown is the one that works; these rows are two hours old: the dataset is stale.
    const pushed = await push('kualitas-udara', token, [
      { time: minutesAgo(130), pm25: 31.5, aqi: 92 },
      { time: minutesAgo(125), pm25: 35.2, aqi: 99 },
      { time: minutesAgo(120), pm25: 38.4, aqi: 107 },
    ]);
    expect(pushed).toMatchObject({ status: 200, body: { accepted: 3 } });
    const stored = (await (await fetch(`${base()}/api/datasets/kualitas-udara`, { headers: { cookie } })).json()) as { stale: boolean; staleAfterS: number };
    expect(stored).toMatchObject({ stale: true, staleAfterS: 30 });
  });

  it('the wall shows a tile per dataset above the camera: latest values with units, a sparkline, BASI when stale; a new push without reload', async () => {
    await page.locator('a.tab[data-view="wall"]').click();
    const strip = page.locator('.wall .data-strip');
    await strip.waitFor();
    const river = strip.locator('.data-tile[data-dataset="tinggi-muka-air"]');
    const air = strip.locator('.data-tile[data-dataset="kualitas-udara"]');
    const level = river.locator('.data-field[data-field="level"]');
    await expect.poll(() => level.locator('.data-value').textContent(), { timeout: 10_000 }).toBe('131 cm');
    expect(await strip.locator('.data-tile').evaluateAll((els) => els.map((e) => e.getAttribute('data-dataset')))).toEqual(['kualitas-udara', 'tinggi-muka-air']);
    expect(await river.locator('.data-name').textContent()).toBe('Tinggi Muka Air Sungai Tallo');
    expect(await river.locator('.data-opd-name').textContent()).toBe('OPD dpupr');
    expect(await level.locator('.data-label').textContent()).toBe('Tinggi air');
    expect(await level.locator('svg.sparkline').getAttribute('data-points')).toBe('11');
    expect(await river.locator('.data-field[data-field="status"] .data-value').textContent()).toBe('siaga');
    expect(await river.locator('.data-field[data-field="pump_on"] .data-label').textContent()).toBe('Pompa');
    expect(await river.locator('.data-field[data-field="pump_on"] .data-value').textContent()).toBe('Ya');
    expect(await river.getAttribute('data-stale')).toBe('false');
    expect(await river.locator('.badge-stale').count()).toBe(0);
    expect(await river.locator('.data-time').textContent()).toMatch(/^Data \d{2}\.\d{2}\.\d{2} WITA$/);

    expect(await air.getAttribute('data-stale')).toBe('true');
    expect(await air.locator('.badge-stale').textContent()).toContain('BASI');
    await expect.poll(() => air.locator('.data-field[data-field="pm25"] .data-value').textContent()).toBe('38,4 µg/m³');
    expect(await air.locator('.data-field[data-field="aqi"] .data-value').textContent()).toBe('107');
    expect(await air.locator('.data-field[data-field="pm25"] svg.sparkline').getAttribute('data-points')).toBe('3');
    // The camera is still there, under the row.
    await page.locator(`.tile[data-gateway="${GW}"][data-camera="pintu-air"] img`).waitFor({ timeout: 15_000 });
    await expect.poll(() => page.locator('.tile img').evaluate((el) => (el as unknown as { naturalWidth: number }).naturalWidth).catch(() => 0), { timeout: 15_000 }).toBe(480);
    await page.screenshot({ path: join(SHOTS, 'data-tiles.png') });
    copyFileSync(join(SHOTS, 'data-tiles.png'), join(DOC_SHOTS, 'data-tiles.png'));

    // A new reading reaches the tile without reloading the page.
    const pushedAt = Date.now();
    expect((await push('tinggi-muka-air', riverToken, [{ level: 140.5, status: 'siaga' }])).status).toBe(200);
    await expect.poll(() => level.locator('.data-value').textContent(), { timeout: LIVE_WITHIN_MS, interval: 100 }).toBe('140,5 cm');
    const tookMs = Date.now() - pushedAt;
    console.log(`command room: dataset push -> new value on the wall tile after ${tookMs} ms`);
    expect(await level.locator('svg.sparkline').getAttribute('data-points')).toBe('12');

    // The row can be hidden (remembered in this browser) and shown again.
    await page.locator('.btn-data-toggle').click();
    await expect.poll(() => page.locator('.data-strip').count()).toBe(0);
    await page.reload();
    await page.locator('.btn-data-toggle[aria-pressed="false"]').waitFor();
    expect(await page.locator('.data-strip').count()).toBe(0);
    await page.locator('.btn-data-toggle').click();
    await page.locator('.data-strip').waitFor();
  });
});
