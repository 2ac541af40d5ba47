import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { TestSystem } from '../helpers/system.js';
import { buildWebApp, HAVE_CHROMIUM, SHOTS, SKIP_REASON } from './chromium.js';
import { apiSession, logInThroughForm, startBehindLogin, tabViews, wallPage } from './session.js';

/**
 * Staff of one OPD in a real browser against a real central (login required, two OPDs,
 * no gateways): the login lands on Pengaduan, the only tab, with the OPD's name in the
 * header; only that OPD's complaints are listed; they acknowledge and close one in the
 * page without a way to reassign it, and a new complaint for them arrives live.
 */
if (!HAVE_CHROMIUM) console.warn(`command room OPD user test ${SKIP_REASON}`);

const ADMIN = { username: 'rina', password: 'rina-kata-sandi-panjang' };
const STAFF = { username: 'staf.dlh', password: 'staf-dlh-kata-sandi' };

describe.skipIf(!HAVE_CHROMIUM)(`command room for a user of one OPD${HAVE_CHROMIUM ? '' : ` (${SKIP_REASON})`}`, () => {
  let system: TestSystem;
  let browser: Browser;
  let page: Page;
  let admin: string;
  const ids = { dlh: 0, dpupr: 0 };
  const base = () => `http://127.0.0.1:${system.httpPort}`;

  async function file(category: string, text: string): Promise<number> {
    const res = await fetch(`${base()}/api/complaints`, { method: 'POST', headers: { cookie: admin, 'Content-Type': 'application/json' }, body: JSON.stringify({ category, text, address: 'Jl. Merdeka 1, Makassar' }) });
    expect(res.status).toBe(201);
    return ((await res.json()) as { id: number }).id;
  }

  beforeAll(async () => {
    buildWebApp();
    mkdirSync(SHOTS, { recursive: true });
    system = new TestSystem(
      [],
      [
        { gateway: 'gw-dlh', opd: 'dlh', zone: 'Asia/Makassar' },
        { gateway: 'gw-dpupr', opd: 'dpupr', zone: 'Asia/Makassar' },
      ],
    );
    browser = await startBehindLogin(system, [
      { ...ADMIN, role: 'admin' },
      { ...STAFF, role: 'opd', opd: 'dlh' },
    ]);
    admin = await apiSession(base(), ADMIN.username, ADMIN.password);
    const rules = await fetch(`${base()}/api/complaints/routing`, {
      method: 'PUT',
      headers: { cookie: admin, 'Content-Type': 'application/json' },
      body: JSON.stringify({ rules: [{ category: 'sampah', opd: 'dlh' }, { category: '*', opd: 'dpupr' }] }),
    });
    expect(rules.status).toBe(200);
    ids.dlh = await file('sampah', 'Sampah menumpuk di depan pasar');
    ids.dpupr = await file('jalan-rusak', 'Lubang besar di Jl. Sudirman');
    page = await wallPage(browser, 'Asia/Makassar');
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await system?.stop();
  }, 30_000);

  it('logs in on the wall\'s address and lands on Pengaduan, the only tab, with the OPD in the header', async () => {
    const denied: string[] = [];
    page.on('response', (r) => {
      if (r.status() === 403) denied.push(new URL(r.url()).pathname);
    });
    await page.goto(`${base()}/`);
    await logInThroughForm(page, STAFF.username, STAFF.password);
    expect(await tabViews(page)).toEqual(['pengaduan']);
    await page.locator(`tr.complaint-row[data-id="${ids.dlh}"]`).waitFor();
    expect(await page.evaluate('document.body.dataset.view')).toBe('pengaduan');
    expect(await page.locator('#user-role').textContent()).toBe('Staf OPD');
    const filter = page.locator('#opd-filter');
    expect(await filter.isDisabled()).toBe(true);
    expect(await filter.locator('option:checked').textContent()).toBe('OPD dlh');
    // Only its own complaint, and the figures of its own OPD.
    expect(await page.locator('tr.complaint-row').evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-id'))))).toEqual([ids.dlh]);
    await expect.poll(() => page.locator('.complaint-figures tr.figure-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-opd')))).toEqual(['dlh']);
    expect(await page.locator('#conn').getAttribute('data-state')).toBe('live');
    // The page never asked for what the central refuses it.
    expect(denied).toEqual([]);
    await page.screenshot({ path: join(SHOTS, 'pengaduan-opd.png') });
  });

  it('acknowledges and closes its complaint in the page; there is nothing to reassign with', async () => {
    await page.locator(`tr.complaint-row[data-id="${ids.dlh}"]`).click();
    const detail = page.locator(`.cmp-detail-info[data-id="${ids.dlh}"]`);
    await detail.waitFor();
    expect(await page.locator('.cmp-assign').count()).toBe(0);
    await page.locator('#cmp-ack-note').fill('tim menuju lokasi');
    await page.locator('.btn-cmp-ack').click();
    await expect.poll(() => detail.getAttribute('data-state')).toBe('acknowledged');
    expect(await detail.locator('tr.history-row[data-action="acknowledged"] .history-by').textContent()).toBe(STAFF.username);
    await page.locator('#cmp-close-note').fill('sampah sudah diangkut');
    await page.locator('.btn-cmp-close').click();
    await expect.poll(() => detail.getAttribute('data-state')).toBe('closed');
    await expect.poll(() => page.locator('.complaint-figures tr.figure-row[data-opd="dlh"] .close-median').textContent()).toMatch(/^\d+ dtk$/);
  });

  it('a new complaint for its OPD arrives live; one for another OPD does not', async () => {
    await page.evaluate(`location.hash = '#/pengaduan'`);
    const other = await file('lampu-jalan', 'Lampu jalan mati');
    const ours = await file('sampah', 'Sampah di saluran air');
    await page.locator(`tr.complaint-row[data-id="${ours}"]`).waitFor({ timeout: 5000 });
    expect(await page.locator(`tr.complaint-row[data-id="${other}"]`).count()).toBe(0);
    expect(await page.locator(`tr.complaint-row[data-id="${ids.dpupr}"]`).count()).toBe(0);
  });

  it('another page by address says Tidak berwenang; the home link leads back to Pengaduan; English too', async () => {
    await page.evaluate(`location.hash = '#/admin'`);
    await page.locator('.forbidden').waitFor();
    expect(await tabViews(page)).toEqual(['pengaduan']);
    await page.locator('.forbidden a.btn').click();
    await page.locator('.complaints-page').waitFor();
    await page.locator('#lang-toggle').click();
    await expect.poll(() => page.locator('#user-role').textContent()).toBe('OPD staff');
    expect(await page.locator('#opd-filter').getAttribute('title')).toBe('Your account belongs to this OPD: you see and handle its complaints only.');
  });
});
