import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { OnvifCameraSim } from '../../sim/onvif-camera.js';
import { TestSystem } from '../helpers/system.js';
import { buildWebApp, HAVE_CHROMIUM, SHOTS, SKIP_REASON } from './chromium.js';
import { apiSession, logInThroughForm, startBehindLogin, waitForTexts, wallPage } from './session.js';

/**
 * Alerts, live attendance and the language switch, as an operator sees them: a real
 * central requiring a login, with the alert engine checking every second, one office
 * gateway with a line terminal and a simulated ONVIF camera. The viewer is in Makassar
 * (WITA), the office in Jakarta (WIB): times carry their zone. Measures how long a
 * stopped camera takes to reach the banner, and a punch to reach the attendance page.
 */
if (!HAVE_CHROMIUM) console.warn(`command room alerts test ${SKIP_REASON}`);

const GW = 'gw-diskominfo';
const OPD = 'diskominfo';
const OPERATOR = { username: 'budi', password: 'operator-rahasia' };
/** The camera-offline limit the test allows (the central is told to check every second). */
const ALERT_WITHIN_MS = 12_000;

describe.skipIf(!HAVE_CHROMIUM)(`command room alerts${HAVE_CHROMIUM ? '' : ` (${SKIP_REASON})`}`, () => {
  const creds = { username: 'admin', password: 'rahasia' };
  let camera: OnvifCameraSim;
  let system: TestSystem;
  let browser: Browser;
  let page: Page;
  let alertId = 0;
  const base = () => `http://127.0.0.1:${system.httpPort}`;
  const tones = async () => Number(await page.locator('#sound-toggle').getAttribute('data-tones'));

  beforeAll(async () => {
    buildWebApp();
    mkdirSync(SHOTS, { recursive: true });
    camera = new OnvifCameraSim({ ...creds, name: 'Lobi' });
    const port = await camera.start(0);
    system = new TestSystem([
      { gateway: GW, opd: OPD, zone: 'Asia/Jakarta', employees: [{ pin: '2001', name: 'Andi' }, { pin: '2002', name: 'Sari' }, { pin: '2003', name: 'Budi' }] },
    ]);
    system.centralExtra.alerts = { evaluateEveryS: 1, cameraStaleAfterS: 10, gatewayOfflineAfterS: 10 };
    system.gatewayExtra.set(GW, {
      cameras: [{ id: 'lobby', onvif: { host: '127.0.0.1', port }, ...creds, intervalS: 2, timeoutMs: 2000 }],
      health: { intervalS: 1 },
    });
    browser = await startBehindLogin(system, [{ ...OPERATOR, role: 'operator' }]);
    page = await wallPage(browser, 'Asia/Makassar');
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await system?.stop();
    await camera?.stop();
  }, 30_000);

  it('the login click turns the alert sound on; the wall shows the camera with no alert open', async () => {
    await page.goto(`${base()}/#/wall`);
    await logInThroughForm(page, OPERATOR.username, OPERATOR.password);
    expect(await page.locator('#sound-toggle').getAttribute('data-state')).toBe('on');
    expect(await tones()).toBe(0);
    const img = page.locator(`.tile[data-gateway="${GW}"][data-camera="lobby"] img`);
    await expect
      .poll(() => img.evaluate((el) => (el as unknown as { naturalWidth: number }).naturalWidth).catch(() => 0), { timeout: 30_000, interval: 250 })
      .toBe(480);
    expect(await page.locator('#clock').textContent()).toMatch(/^\d{2}\.\d{2}\.\d{2} WITA$/);
    expect(await page.locator('.tile .capture-time').textContent()).toMatch(/^Diambil \d{2}\.\d{2}\.\d{2} WITA$/);
    expect(await page.locator('#alert-banner').isHidden()).toBe(true);
  });

  it(`a stopped camera turns OFFLINE on the wall and raises an alert in the banner within ${ALERT_WITHIN_MS / 1000} s, with a tone`, async () => {
    const tile = page.locator(`.tile[data-camera="lobby"]`);
    const banner = page.locator('#alert-banner');
    camera.faults.gone = true;
    const stopped = Date.now();
    let offlineMs = 0;
    let bannerMs = 0;
    await Promise.all([
      tile
        .locator('.badge-offline')
        .waitFor({ timeout: ALERT_WITHIN_MS })
        .then(() => (offlineMs = Date.now() - stopped)),
      waitForTexts(page, [{ selector: '#alert-banner:not([hidden]) .banner-message', text: 'Kamera lobby', includes: true }], ALERT_WITHIN_MS, 50)
        .then(() => (bannerMs = Date.now() - stopped)),
    ]);
    console.log(`command room: camera stopped -> OFFLINE on the wall ${offlineMs} ms, alert in the banner ${bannerMs} ms`);
    expect(offlineMs).toBeLessThan(ALERT_WITHIN_MS);
    expect(bannerMs).toBeLessThan(ALERT_WITHIN_MS);

    alertId = Number(await banner.getAttribute('data-alert-id'));
    expect(alertId).toBeGreaterThan(0);
    expect(await banner.getAttribute('data-count')).toBe('1');
    expect(await banner.getAttribute('class')).toContain('sev-warn'); // camera-offline is a warning
    expect(await banner.locator('.banner-count').textContent()).toBe('1 peringatan belum diakui');
    // The central adds the gateway's reason when it has one ("...offline: connect ECONNREFUSED ...").
    expect(await banner.locator('.banner-message').textContent()).toMatch(new RegExp(`^Kamera lobby \\(gateway ${GW}, OPD ${OPD}\\) offline`));
    expect(await banner.locator('.banner-opd').textContent()).toBe(`OPD ${OPD}`);
    expect(await banner.locator('.banner-time').textContent()).toMatch(/^\d{2}\.\d{2}\.\d{2} WITA$/);
    await expect.poll(tones).toBe(1);
    await page.screenshot({ path: join(SHOTS, 'wall-alert.png') });
  });

  it('acknowledging records the logged-in operator and clears the banner', async () => {
    await page.locator('#alert-banner .banner-link').click();
    await expect.poll(() => page.evaluate('location.hash')).toBe('#/peringatan');
    const row = page.locator(`.open-table tr.alert-row[data-alert-id="${alertId}"]`);
    await row.waitFor();
    expect(await row.getAttribute('data-kind')).toBe('camera-offline');
    expect(await row.locator('.alert-raised').textContent()).toMatch(/WITA$/);
    await expect.poll(() => page.locator(`.recent-table tr.alert-row[data-alert-id="${alertId}"] .alert-cleared`).textContent()).toBe('masih terjadi');
    await page.screenshot({ path: join(SHOTS, 'peringatan.png') });

    await row.locator('.btn-ack').click();
    await expect.poll(() => row.locator('.acked-by').textContent()).toMatch(/^\d{2}\.\d{2}\.\d{2} WITA oleh budi$/);
    await expect.poll(() => page.locator('#alert-banner').isHidden()).toBe(true);
    const cookie = await apiSession(base(), OPERATOR.username, OPERATOR.password);
    const alert = (await (await fetch(`${base()}/api/alerts/${alertId}`, { headers: { cookie } })).json()) as { acknowledgedBy: string | null; acknowledgedAt: string | null };
    expect(alert.acknowledgedBy).toBe('budi');
    expect(alert.acknowledgedAt).not.toBeNull();
    await page.screenshot({ path: join(SHOTS, 'peringatan-diakui.png') });
  });

  it('a punch made at the terminal is on the attendance page within 2 s', async () => {
    await page.locator('a.tab[data-view="absensi"]').click();
    const row = page.locator(`tr.att-row[data-opd="${OPD}"]`);
    await row.waitFor();
    const before = Number(await row.locator('.punches-today').textContent());
    const terminal = system.terminal(GW);
    const written = Date.now();
    terminal.writeRaw(`2002,${terminal.wallClock(new Date()).replace('T', ' ')},0,1\r\n`);
    await waitForTexts(
      page,
      [
        { selector: `tr.att-row[data-opd="${OPD}"] .punches-today`, text: String(before + 1) },
        { selector: 'tr.punch-row .employee', text: '2002' },
      ],
      10_000,
    );
    const tookMs = Date.now() - written;
    console.log(`command room: punch written at the terminal -> on the attendance page after ${tookMs} ms`);
    expect(tookMs).toBeLessThan(2000);
    // The terminal's own clock and zone (WIB), whatever zone the viewer is in.
    expect(await page.locator('tr.punch-row').first().textContent()).toMatch(/\d{2}\.\d{2}\.\d{2} WIB/);
    await page.screenshot({ path: join(SHOTS, 'absensi-login.png') });
  });

  it('EN switches every label and the alert texts, and is remembered after a reload', async () => {
    await page.locator('#lang-toggle').click();
    expect(await page.locator('html').getAttribute('lang')).toBe('en');
    expect(await page.locator('#tabs').textContent()).toBe('Video wallAttendance todayOffice healthAlertsComplaints');
    expect(await page.locator('.att-table th').first().textContent()).toBe('OPD');
    expect(await page.locator('.att .summary').textContent()).toMatch(/punches today from 1 OPDs/);
    expect(await page.locator('#logout').textContent()).toBe('Log out');
    expect(await page.locator('#user-role').textContent()).toBe('Operator');
    expect(await page.locator('#lang-toggle').textContent()).toBe('ID');

    await page.reload();
    await page.locator('#user-name').waitFor();
    expect(await page.locator('#tabs').textContent()).toBe('Video wallAttendance todayOffice healthAlertsComplaints');
    await page.locator('a.tab[data-view="peringatan"]').click();
    const row = page.locator(`.recent-table tr.alert-row[data-alert-id="${alertId}"]`);
    await row.waitFor();
    expect(await row.locator('.alert-message').textContent()).toMatch(new RegExp(`^Camera lobby \\(gateway ${GW}, OPD ${OPD}\\) offline`));
    expect(await row.locator('.acked-by').textContent()).toMatch(/^\d{2}:\d{2}:\d{2} WITA by budi$/);
    expect(await page.locator('.alerts-recent h2').textContent()).toBe('Recent history');

    // The camera comes back: the alert is cleared, live.
    camera.faults.gone = false;
    await expect.poll(() => row.locator('.alert-cleared').textContent(), { timeout: 20_000, interval: 250 }).toMatch(/^\d{2}:\d{2}:\d{2} WITA$/);
    expect(await page.locator('.open-table').count()).toBe(0);
    expect(await page.locator('.alerts-open .empty').textContent()).toBe('No open alerts.');
    await page.screenshot({ path: join(SHOTS, 'alerts-en.png') });

    await page.locator('#lang-toggle').click();
    expect(await page.locator('.alerts-recent h2').textContent()).toBe('Riwayat terbaru');
  });
});
