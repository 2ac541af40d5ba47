import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ROOT } from '../helpers/proc.js';
import { TestSystem } from '../helpers/system.js';
import { buildWebApp, HAVE_CHROMIUM, SHOTS, SKIP_REASON } from './chromium.js';
import { logInThroughForm, startBehindLogin, tabViews } from './session.js';

/**
 * The Laporan view in Debian's Chromium against a real installation that requires a
 * login: influxd, the central, one office gateway with a line terminal (punches
 * written on its pty) and a second OPD only in the registry. Presence of one OPD with
 * the CSV download, the performance ranking, what an operator sees, and the messages
 * for an unknown OPD and an unreachable InfluxDB. Screenshots: laporan.png (also
 * copied to docs/screenshots/), laporan-pegawai.png, laporan-kinerja.png.
 */
if (!HAVE_CHROMIUM) console.warn(`command room reports test ${SKIP_REASON}`);

const GW = 'gw-bkpsdm';
const OPD = 'bkpsdm';
const ZONE = 'Asia/Jakarta';
const ADMIN = { username: 'admin', password: 'admin-rahasia-1' };
const OPERATOR = { username: 'budi', password: 'operator-rahasia' };
const DOC_SHOTS = join(ROOT, 'docs', 'screenshots');

/** The OPD's calendar day and weekday now: a punch today counts as present on a workday, as "present on a day off" at the weekend. */
function todayThere(): { date: string; workday: boolean } {
  const now = new Date();
  const date = new Intl.DateTimeFormat('en-CA', { timeZone: ZONE, year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);
  const weekday = new Intl.DateTimeFormat('en-US', { timeZone: ZONE, weekday: 'short' }).format(now);
  return { date, workday: !['Sat', 'Sun'].includes(weekday) };
}

describe.skipIf(!HAVE_CHROMIUM)(`command room reports${HAVE_CHROMIUM ? '' : ` (${SKIP_REASON})`}`, () => {
  let system: TestSystem;
  let browser: Browser;
  let page: Page;
  const requests: string[] = [];
  const contexts: BrowserContext[] = [];
  const base = () => `http://127.0.0.1:${system.httpPort}`;

  async function freshPage(): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1920, height: 1080 }, locale: 'id-ID', timezoneId: ZONE });
    contexts.push(context);
    return context.newPage();
  }

  beforeAll(async () => {
    buildWebApp();
    mkdirSync(SHOTS, { recursive: true });
    system = new TestSystem(
      [
        {
          gateway: GW,
          opd: OPD,
          zone: ZONE,
          employees: [
            { pin: '2001', nip: '198503102010011002', name: 'Andi Wijaya' },
            { pin: '2002', name: 'Sari Lestari' },
          ],
        },
      ],
      [{ gateway: 'gw-dishub', opd: 'dishub', zone: 'Asia/Makassar' }],
    );
    browser = await startBehindLogin(system, [
      { ...ADMIN, role: 'admin' },
      { ...OPERATOR, role: 'operator' },
    ]);
  }, 60_000);

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    await system?.stop();
  }, 30_000);

  it('operator: no Laporan tab, "Tidak berwenang" at #/laporan, and the central refuses the data', async () => {
    const op = await freshPage();
    await op.goto(`${base()}/#/laporan`);
    await logInThroughForm(op, OPERATOR.username, OPERATOR.password);
    expect(await tabViews(op)).toEqual(['wall', 'absensi', 'kesehatan', 'peringatan', 'pengaduan']);
    await op.locator('.forbidden').waitFor();
    expect(await op.locator('.forbidden h1').textContent()).toContain('Tidak berwenang');
    expect(await op.locator('.forbidden').textContent()).toContain('membaca laporan');
    const month = todayThere().date.slice(0, 7);
    const cookie = await system.login(OPERATOR.username, OPERATOR.password);
    for (const path of [`/api/reports/presence?opd=${OPD}&month=${month}`, `/api/reports/performance?month=${month}`]) {
      expect((await fetch(`${base()}${path}`, { headers: { cookie } })).status, path).toBe(403);
    }
  });

  it('admin: two punches, the OPD\'s month shows the employee present today; the daily detail; the CSV download', async () => {
    const terminal = system.terminal(GW);
    const punch = (status: number) => terminal.writeRaw(`2001,${terminal.wallClock(new Date()).replace('T', ' ')},${status},1\r\n`);
    punch(0);
    await new Promise((r) => setTimeout(r, 1100)); // the check-out must be a later second than the check-in
    punch(1);
    await expect.poll(async () => (await system.punches()).length, { timeout: 15_000, interval: 200 }).toBe(2);
    const { date: today, workday } = todayThere();
    const month = today.slice(0, 7);

    page = await freshPage();
    page.on('request', (r) => {
      if (r.url().includes('/api/reports/')) requests.push(r.url().slice(base().length));
    });
    await page.goto(`${base()}/#/laporan`);
    await logInThroughForm(page, ADMIN.username, ADMIN.password);
    expect(await tabViews(page)).toEqual(['wall', 'absensi', 'kesehatan', 'peringatan', 'pengaduan', 'laporan', 'data', 'perangkat', 'admin']);
    expect(await page.locator('a.tab[data-view="laporan"]').textContent()).toBe('Laporan');
    await expect.poll(() => page.locator('.report-result').textContent()).toContain('Pilih OPD dan periode');
    expect(await page.locator('#report-month').inputValue()).toBe(month);

    await page.locator('#report-opd').selectOption(OPD);
    await expect.poll(() => page.evaluate('location.hash')).toBe(`#/laporan?opd=${OPD}`);
    const row = page.locator(`.presence-report[data-period="${month}"] tr.employee-row[data-pin="2001"]`);
    await row.waitFor({ timeout: 15_000 });
    expect(requests).toEqual([`/api/reports/presence?opd=${OPD}&month=${month}`]); // no daily detail until asked for
    expect(await page.locator('.presence-report h2').textContent()).toBe(`Laporan Kehadiran: OPD ${OPD} (${OPD})`);
    expect(await row.locator('.employee-name').textContent()).toBe('Andi Wijaya');
    expect(await row.locator('.nip').textContent()).toBe('198503102010011002');
    expect(await row.locator(workday ? 'td.present' : 'td.off-day').textContent()).toBe('1');
    expect(await row.locator('td.punches').textContent()).toBe('2');
    expect(await page.locator('tr.employee-row[data-pin="2002"] td.present').textContent()).toBe('0');
    expect(await page.locator('.total-row th').textContent()).toBe('Jumlah OPD (2 pegawai)');
    expect(await page.locator('.total-row td.punches').textContent()).toBe('2');
    expect(await page.locator('.report-notes .schedule').textContent()).toContain('07:30-16:00');
    expect(await page.locator('.report-notes .holiday-files').textContent()).toContain('tidak ada berkas hari libur');
    await page.screenshot({ path: join(SHOTS, 'laporan.png') });
    mkdirSync(DOC_SHOTS, { recursive: true });
    copyFileSync(join(SHOTS, 'laporan.png'), join(DOC_SHOTS, 'laporan.png'));

    // One employee's days: fetched with detail=true only now.
    await row.click();
    const day = page.locator(`.employee-detail[data-pin="2001"] tr.day-row[data-date="${today}"]`);
    await day.waitFor({ timeout: 15_000 });
    expect(requests.at(-1)).toBe(`/api/reports/presence?opd=${OPD}&month=${month}&detail=true`);
    // A badge: ✔ when all is well, ▲ when late (the test may run after 07:30).
    expect(await day.locator('.status').textContent()).toMatch(workday ? /^[✔▲] Hadir$/ : /^✔ Hadir di hari libur$/);
    expect(await day.locator('.in').textContent()).toMatch(/^\d{2}\.\d{2}\.\d{2}$/);
    expect(await day.locator('.out').textContent()).toMatch(/^\d{2}\.\d{2}\.\d{2}$/);
    await page.screenshot({ path: join(SHOTS, 'laporan-pegawai.png') });

    // The download links carry the session cookie (same origin): fetched as the browser would.
    const href = (await page.locator('a.download-csv').getAttribute('href')) ?? '';
    expect(href).toBe(`/api/reports/presence?opd=${OPD}&month=${month}&format=csv`);
    expect(await page.locator('a.download-xlsx').getAttribute('href')).toBe(`/api/reports/presence?opd=${OPD}&month=${month}&format=xlsx`);
    const csv = await page.evaluate(async (url) => {
      const res = await fetch(url);
      return { status: res.status, type: res.headers.get('content-type'), disposition: res.headers.get('content-disposition'), text: await res.text() };
    }, href);
    expect(csv.status).toBe(200);
    expect(csv.type).toBe('text/csv; charset=utf-8');
    expect(csv.disposition).toBe(`attachment; filename="kehadiran-${OPD}-${month}.csv"`);
    expect(csv.text).toContain(`OPD ${OPD}`);
    expect(csv.text).toContain('Andi Wijaya');
  });

  it('admin: the performance ranking lists the OPDs, sorts on the central, and shows one OPD\'s detail', async () => {
    const month = todayThere().date.slice(0, 7);
    requests.length = 0;
    await page.locator('a.subtab[data-sub="kinerja"]').click();
    // The OPD chosen for presence stays chosen: its performance opens beside the ranking.
    await expect.poll(() => page.evaluate('location.hash')).toBe(`#/laporan/kinerja?opd=${OPD}`);
    const mine = page.locator(`.perf-ranking[data-month="${month}"] tr.rank-row[data-opd="${OPD}"]`);
    await mine.waitFor({ timeout: 15_000 });
    expect(await page.locator('tr.rank-row').count()).toBe(2);
    expect(await mine.getAttribute('data-rank')).toMatch(/^[12]$/);
    expect(await mine.locator('.opd-title').textContent()).toBe(`OPD ${OPD}`);
    expect(await mine.getAttribute('aria-selected')).toBe('true');
    expect(await page.locator('.perf-table').getAttribute('data-sort')).toBe('score');
    const detail = page.locator(`.perf-detail[data-opd="${OPD}"]`);
    await detail.locator('.planned').waitFor({ timeout: 15_000 });
    expect(await detail.locator(`tr[data-gateway="${GW}"]`).count()).toBe(1);
    expect(requests.sort()).toEqual([`/api/reports/performance?month=${month}&opd=${OPD}`, `/api/reports/performance?month=${month}&sort=score`]);
    await page.screenshot({ path: join(SHOTS, 'laporan-kinerja.png') });
    copyFileSync(join(SHOTS, 'laporan-kinerja.png'), join(DOC_SHOTS, 'laporan-kinerja.png'));

    // Sorting asks the central; another row opens that OPD.
    await page.locator('.sort-btn[data-sort="uptime"]').click();
    await page.locator('.perf-table[data-sort="uptime"]').waitFor({ timeout: 15_000 });
    expect(requests).toContain(`/api/reports/performance?month=${month}&sort=uptime`);
    await page.locator('tr.rank-row[data-opd="dishub"]').click();
    await page.locator('.perf-detail[data-opd="dishub"] .planned').waitFor({ timeout: 15_000 });
    expect(await page.locator('.perf-detail[data-opd="dishub"]').textContent()).toContain('OPD dishub');

    // English labels and number formats.
    await page.locator('#lang-toggle').click();
    await expect.poll(() => page.locator('a.subtab[data-sub="kinerja"]').textContent()).toBe('Office performance');
    expect(await page.locator('.sort-btn[data-sort="score"]').textContent()).toContain('Score');
    expect(await page.locator('a.tab[data-view="laporan"]').textContent()).toBe('Reports');
    await page.locator('#lang-toggle').click();
    await expect.poll(() => page.locator('a.subtab[data-sub="kinerja"]').textContent()).toBe('Kinerja OPD');
  });

  it('says what went wrong: a mistyped period, an unknown OPD (404), InfluxDB out of reach (503)', async () => {
    await page.evaluate(`location.hash = '#/laporan?opd=${OPD}'`);
    await page.locator('.presence-report').waitFor();
    await page.locator('#report-kind').selectOption('day');
    await page.locator('#report-day').fill('');
    await page.locator('#report-day').dispatchEvent('change');
    await expect.poll(() => page.locator('#presence-form .form-error').textContent()).toBe('Tanggal: pilih tanggal yang ada (TTTT-BB-HH).');
    await page.locator('#report-day').fill(todayThere().date);
    await page.locator('#report-day').dispatchEvent('change');
    await page.locator(`.presence-report[data-period="${todayThere().date}"]`).waitFor({ timeout: 15_000 });

    await page.evaluate(`location.hash = '#/laporan?opd=tidakada'`);
    const notFound = page.locator('.report-error[data-status="404"]');
    await notFound.waitFor({ timeout: 15_000 });
    expect(await notFound.textContent()).toContain('Tidak ditemukan di server pusat');
    expect(await notFound.textContent()).toContain('tidakada');

    // Back to the OPD (a report not fetched yet for this period), with InfluxDB stopped.
    await system.influx.stop();
    await page.evaluate(`location.hash = '#/laporan?opd=${OPD}'`);
    const unreachable = page.locator('.report-error[data-status="503"]');
    await unreachable.waitFor({ timeout: 20_000 });
    expect(await unreachable.textContent()).toContain('InfluxDB tidak terjangkau');
    expect(await unreachable.locator('.btn-retry').textContent()).toBe('Coba lagi');
    await page.screenshot({ path: join(SHOTS, 'laporan-influx-mati.png') });
  });
});
