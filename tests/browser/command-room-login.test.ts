import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { RELEASE_VERSION } from '../../protocols/version.js';
import { TestSystem } from '../helpers/system.js';
import { buildWebApp, HAVE_CHROMIUM, SHOTS, SKIP_REASON } from './chromium.js';
import { apiSession, logInThroughForm, startBehindLogin, tabViews } from './session.js';

/**
 * Login and roles in the command room, in Debian's Chromium against a real central
 * that requires a login (auth.anonymousView: false), one running office gateway and
 * two offices only in the registry. Users come from `pemda-central user add`.
 * Screenshots: login, not-allowed, devices and admin pages at 1920x1080.
 */
if (!HAVE_CHROMIUM) console.warn(`command room login test ${SKIP_REASON}`);

const GW = 'gw-dinkes';
const OPD = 'dinkes';
const USERS = {
  admin: { username: 'admin', password: 'admin-rahasia-1', role: 'admin' },
  operator: { username: 'budi', password: 'operator-rahasia', role: 'operator' },
  technician: { username: 'teknisi', password: 'teknisi-rahasia', role: 'technician' },
} as const;

describe.skipIf(!HAVE_CHROMIUM)(`command room login and roles${HAVE_CHROMIUM ? '' : ` (${SKIP_REASON})`}`, () => {
  let system: TestSystem;
  let browser: Browser;
  const base = () => `http://127.0.0.1:${system.httpPort}`;
  const contexts: BrowserContext[] = [];

  async function freshPage(): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1920, height: 1080 }, locale: 'id-ID', timezoneId: 'Asia/Makassar' });
    contexts.push(context);
    return context.newPage();
  }

  beforeAll(async () => {
    buildWebApp();
    mkdirSync(SHOTS, { recursive: true });
    system = new TestSystem(
      [{ gateway: GW, opd: OPD, zone: 'Asia/Makassar', employees: [{ pin: '2001', name: 'Andi' }, { pin: '2002', name: 'Sari' }, { pin: '2003', name: 'Budi' }] }],
      [
        { gateway: 'gw-bappeda', opd: 'bappeda', zone: 'Asia/Makassar' },
        { gateway: 'gw-dishub', opd: 'dishub', zone: 'Asia/Makassar' },
      ],
    );
    browser = await startBehindLogin(system, Object.values(USERS));
  }, 60_000);

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    await system?.stop();
  }, 30_000);

  it('shows the login form without a session, and the API answers 401', async () => {
    for (const path of ['/api/state', '/api/cameras', '/api/alerts', '/api/admin/opds', '/api/admin/gateways']) {
      expect((await fetch(`${base()}${path}`)).status, path).toBe(401);
    }
    expect((await fetch(`${base()}/`)).status).toBe(200); // the app itself is public: its login must load
    const page = await freshPage();
    await page.goto(`${base()}/#/wall`);
    await page.locator('.login-form').waitFor();
    expect(await page.locator('.login-form h1').textContent()).toBe('Masuk ke Ruang Komando');
    expect(await page.locator('label[for="login-username"]').textContent()).toBe('Nama pengguna');
    expect(await tabViews(page)).toEqual([]);
    expect(await page.locator('#alert-banner').isHidden()).toBe(true);
    await page.screenshot({ path: join(SHOTS, 'login.png') });

    await page.locator('#login-username').fill('budi');
    await page.locator('#login-password').fill('salah-sekali');
    await page.locator('.login-form button[type="submit"]').click();
    await expect.poll(() => page.locator('.login-error').textContent()).toBe('Nama pengguna atau kata sandi salah.');
    expect(await page.locator('.login-form').count()).toBe(1);
  });

  it('operator: back where they were after login, five tabs, name and role in the header; admin pages not allowed', async () => {
    const page = await freshPage();
    // Straight to a filtered attendance page: the login comes first, then that page.
    await page.goto(`${base()}/#/absensi?opd=${OPD}`);
    await logInThroughForm(page, USERS.operator.username, USERS.operator.password);
    expect(await page.evaluate('location.hash')).toBe(`#/absensi?opd=${OPD}`);
    await page.locator(`tr.att-row[data-opd="${OPD}"].selected`).waitFor();
    expect(await page.locator('#user-name').textContent()).toBe('budi');
    expect(await page.locator('#user-role').textContent()).toBe('Operator');
    expect(await tabViews(page)).toEqual(['wall', 'absensi', 'kesehatan', 'peringatan', 'pengaduan']);

    for (const view of ['admin', 'perangkat', 'admin/dinkes']) {
      await page.evaluate(`location.hash = '#/${view}'`);
      await page.locator('.forbidden').waitFor();
      expect(await page.locator('.forbidden h1').textContent()).toContain('Tidak berwenang');
      expect(await page.locator('.forbidden').textContent()).toContain('Peran Operator');
    }
    await page.screenshot({ path: join(SHOTS, 'tidak-berwenang.png') });

    // The central refuses the data itself, whatever the page shows.
    const cookie = await apiSession(base(), USERS.operator.username, USERS.operator.password);
    for (const path of ['/api/admin/opds', '/api/admin/gateways', `/api/admin/opds/${OPD}/employees`]) {
      const res = await fetch(`${base()}${path}`, { headers: { cookie } });
      expect(res.status, path).toBe(403);
    }
    const put = await fetch(`${base()}/api/admin/opds/${OPD}`, { method: 'PUT', headers: { cookie, 'Content-Type': 'application/json' }, body: JSON.stringify({ name: 'x', zone: 'Asia/Jakarta', location: null }) });
    expect(put.status).toBe(403);

    // Logging out ends the session at the central and shows the form again.
    await page.locator('#logout').click();
    await page.locator('.login-form').waitFor();
    const [session] = (await page.context().cookies()).filter((c) => c.name === 'pemda_session' && c.value !== '');
    expect(session).toBeUndefined();
  });

  it('technician: the Perangkat page with versions and an enrollment command to copy; no Admin', async () => {
    const page = await freshPage();
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base() });
    await page.goto(`${base()}/#/perangkat`);
    await logInThroughForm(page, USERS.technician.username, USERS.technician.password);
    expect(await page.locator('#user-role').textContent()).toBe('Teknisi');
    expect(await tabViews(page)).toEqual(['wall', 'absensi', 'kesehatan', 'peringatan', 'pengaduan', 'perangkat']);

    const row = page.locator(`tr.gateway-row[data-gateway="${GW}"]`);
    await row.waitFor();
    await expect.poll(() => row.getAttribute('data-state'), { timeout: 10_000 }).toBe('online');
    expect(await row.locator('.version').textContent()).toContain(RELEASE_VERSION);
    expect(await row.getAttribute('data-outdated')).toBe('false');
    expect(await row.locator('.version').textContent()).toContain('TERKINI');
    expect(await page.locator('tr.gateway-row[data-gateway="gw-bappeda"]').textContent()).toContain('TIDAK DIKETAHUI');
    expect(await page.locator('.devices-page .summary').textContent()).toContain(`versi pusat ${RELEASE_VERSION}`);

    await page.locator('#token-opd').selectOption('bappeda');
    await page.locator('#token-gateway').fill('gw-bappeda');
    await page.locator('.token-form button[type="submit"]').click();
    const command = page.locator('#enroll-command');
    await command.waitFor();
    const text = (await command.textContent()) ?? '';
    expect(text).toMatch(new RegExp(`^pemda-edge enroll --central http://127\\.0\\.0\\.1:${system.httpPort} --token \\S{20,}$`));
    expect(await page.locator('.token-expires').textContent()).toMatch(/Berlaku sampai .*\d{2}\.\d{2}\.\d{2} WITA/);
    await page.locator('.btn-copy').click();
    await expect.poll(() => page.locator('.btn-copy').textContent()).toBe('Tersalin');
    expect(await page.evaluate('navigator.clipboard.readText()')).toBe(text);
    await page.screenshot({ path: join(SHOTS, 'perangkat.png') });

    await page.evaluate(`location.hash = '#/admin'`);
    await page.locator('.forbidden').waitFor();
    expect(await page.locator('.forbidden').textContent()).toContain('kelola registri');
  });

  it('admin: edits an OPD (zone, coordinates) and imports a roster CSV: the bad row is named, the others are kept', async () => {
    const page = await freshPage();
    await page.goto(`${base()}/#/admin`);
    await logInThroughForm(page, USERS.admin.username, USERS.admin.password);
    expect(await page.locator('#user-role').textContent()).toBe('Admin');
    expect(await tabViews(page)).toEqual(['wall', 'absensi', 'kesehatan', 'peringatan', 'pengaduan', 'laporan', 'data', 'perangkat', 'admin']);
    await expect.poll(() => page.locator('tr.opd-admin-row').count()).toBe(3);

    // Coordinates as typed on an Indonesian keyboard (decimal comma).
    await page.locator('tr.opd-admin-row[data-opd="bappeda"] .btn-edit').click();
    await page.locator('#opd-name').fill('Badan Perencanaan Pembangunan Daerah');
    await page.locator('#opd-lat').fill('-5,1477');
    await page.locator('#opd-lon').fill('119,4327');
    await page.locator('.opd-form button[type="submit"]').click();
    await expect.poll(() => page.locator('.admin-page .form-ok').textContent()).toContain('Tersimpan: Badan Perencanaan Pembangunan Daerah (bappeda)');
    await expect.poll(() => page.locator('tr.opd-admin-row[data-opd="bappeda"] .coords').textContent()).toBe('-5.1477, 119.4327');
    const cookie = await apiSession(base(), USERS.admin.username, USERS.admin.password);
    const opds = (await (await fetch(`${base()}/api/admin/opds`, { headers: { cookie } })).json()) as { opds: { code: string; name: string; location: unknown }[] };
    expect(opds.opds.find((o) => o.code === 'bappeda')).toMatchObject({ name: 'Badan Perencanaan Pembangunan Daerah', location: { lat: -5.1477, lon: 119.4327 } });

    // A mistake is named before anything is sent.
    await page.locator('tr.opd-admin-row[data-opd="dishub"] .btn-edit').click();
    await page.locator('#opd-lat').fill('-95');
    await page.locator('#opd-lon').fill('');
    await page.locator('.opd-form button[type="submit"]').click();
    await expect.poll(() => page.locator('.opd-form .form-error').textContent()).toContain('Isi lintang dan bujur, atau kosongkan keduanya.');
    await page.locator('.opd-form button[type="button"]').click();

    // The map on the health page follows the registry.
    await fetch(`${base()}/api/admin/opds/${OPD}`, { method: 'PUT', headers: { cookie, 'Content-Type': 'application/json' }, body: JSON.stringify({ name: `OPD ${OPD}`, zone: 'Asia/Makassar', location: { lat: -5.135, lon: 119.423 } }) });
    await page.screenshot({ path: join(SHOTS, 'admin.png') });

    // Roster: three employees from the seed, then a CSV with one bad row.
    await page.locator(`tr.opd-admin-row[data-opd="${OPD}"] .btn-roster`).click();
    await expect.poll(() => page.evaluate('location.hash')).toBe(`#/admin/${OPD}`);
    await expect.poll(() => page.locator('tr.roster-row').count()).toBe(3);
    const csv = ['pin;nip;nama', '2004;198001012005011001;Dewi Lestari', '20 05;;Rahmat', '2006;;Siti Aminah', '2001;197501012000031002;Andi Pratama'].join('\r\n');
    await page.locator('#roster-file').setInputFiles({ name: 'pegawai.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await page.locator('.import-panel button[type="submit"]').click();
    await expect.poll(() => page.locator('.import-summary').textContent()).toBe('3 baris diimpor, 1 baris ditolak.');
    const bad = page.locator('tr.import-error');
    expect(await bad.count()).toBe(1);
    expect(await bad.getAttribute('data-line')).toBe('3');
    expect(await bad.textContent()).toContain('pin');
    await expect.poll(() => page.locator('tr.roster-row').count()).toBe(5);
    expect(await page.locator('tr.roster-row[data-pin="2001"]').textContent()).toContain('Andi Pratama');
    expect(await page.locator('tr.roster-row[data-pin="2004"]').textContent()).toContain('198001012005011001');
    const roster = (await (await fetch(`${base()}/api/admin/opds/${OPD}/employees`, { headers: { cookie } })).json()) as { employees: { pin: string }[] };
    expect(roster.employees.map((e) => e.pin)).toEqual(['2001', '2002', '2003', '2004', '2006']);
    await page.screenshot({ path: join(SHOTS, 'admin-roster.png') });

    // Health: two offices on the map, the third listed below it.
    await page.locator('a.tab[data-view="kesehatan"]').click();
    // A registry edit sends no "change" event: the page sees the coordinates with its next
    // state fetch, on the gateway's next health report (every 2 s here) or the 15 s refetch.
    await expect.poll(() => page.locator('.map-office').count(), { timeout: 5_000 }).toBe(2);
    await expect.poll(() => page.locator(`.map-office[data-opd="${OPD}"]`).getAttribute('data-severity'), { timeout: 10_000 }).toBe('ok');
    expect(await page.locator('.map-office[data-opd="bappeda"]').getAttribute('data-severity')).toBe('warn'); // never connected
    expect(await page.locator('.map-missing').textContent()).toContain('OPD dishub');
  });
});
