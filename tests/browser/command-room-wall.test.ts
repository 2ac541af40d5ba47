import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import sharp from 'sharp';
import type { Browser, Page } from 'playwright-core';
import { HttpApi } from '../../central/http.js';
import { LiveState } from '../../central/live-state.js';
import { Registry } from '../../central/registry.js';
import { Auth, AuthConfig, UserStore } from '../../central/auth/index.js';
import { SnapshotStore } from '../../central/snapshot-store.js';
import { sha256Hex } from '../../protocols/snapshot/frame.js';
import type { EventRecord, Health } from '../../protocols/mqtt/payloads.js';
import { ROOT } from '../helpers/proc.js';
import { buildWebApp, HAVE_CHROMIUM, launchChromium, SHOTS, SKIP_REASON } from './chromium.js';

/**
 * The command room at full size: 50 OPDs, 64 cameras with every kind of trouble, in
 * the real HttpApi (in this process, fed through LiveState like ingest feeds it) and
 * Debian's Chromium. Checks paging, the staleness rule, problems first, the OPD
 * filter and the red indicator when the central goes away; screenshots at 1920x1080
 * and on a 1366x768 laptop go to reports/screenshots/*-50.png.
 */

const NAMES = [
  'Badan Kepegawaian dan Pengembangan SDM', 'Badan Penanggulangan Bencana Daerah', 'Badan Pendapatan Daerah', 'Badan Pengelolaan Keuangan dan Aset Daerah',
  'Badan Perencanaan Pembangunan Daerah', 'Badan Kesatuan Bangsa dan Politik', 'Dinas Kependudukan dan Pencatatan Sipil', 'Dinas Kesehatan', 'Dinas Pendidikan',
  'Dinas Komunikasi dan Informatika', 'Dinas Perhubungan', 'Dinas Sosial', 'Dinas Pekerjaan Umum dan Penataan Ruang', 'Dinas Lingkungan Hidup', 'Dinas Pariwisata',
  'Dinas Koperasi dan UKM', 'Dinas Perdagangan', 'Dinas Pertanian', 'Dinas Perikanan', 'Dinas Tenaga Kerja', 'Dinas Perumahan Rakyat', 'Dinas Pemuda dan Olahraga',
  'Dinas Perpustakaan dan Kearsipan', 'Dinas Pemberdayaan Perempuan', 'Dinas Penanaman Modal dan PTSP', 'Dinas Pemadam Kebakaran', 'Dinas Ketahanan Pangan',
  'Dinas Kebudayaan', 'Dinas Peternakan', 'Dinas Perindustrian', 'Inspektorat Daerah', 'Satuan Polisi Pamong Praja', 'Sekretariat Daerah', 'Sekretariat DPRD',
  'RSUD Kota', 'Kecamatan Kota Utara', 'Kecamatan Kota Selatan', 'Kecamatan Kota Barat', 'Kecamatan Kota Timur', 'Kecamatan Pesisir', 'Kecamatan Pegunungan',
  'Kelurahan Sukamaju', 'Kelurahan Sukajadi', 'Kelurahan Mekarsari', 'Kelurahan Harapan Baru', 'Puskesmas Kota', 'Puskesmas Pesisir', 'UPT Parkir', 'UPT Pasar', 'UPT Terminal',
];
const ZONES = ['Asia/Jakarta', 'Asia/Makassar', 'Asia/Jayapura'];
const REASONS: Record<string, string> = {
  offline: 'RTSP grab failed: rtsp://admin:rahasia@10.1.2.3:554/stream1: Connection refused',
  'auth-failed': 'HTTP 401 Unauthorized (Digest)',
  stale: 'picture unchanged for 3 grabs',
};

function code(i: number): string {
  return `opd${String(i + 1).padStart(2, '0')}`;
}

async function frame(text: string, hue: number): Promise<Buffer> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="480" height="270"><rect width="480" height="270" fill="hsl(${hue},35%,32%)"/><rect x="20" y="150" width="440" height="100" fill="hsl(${hue},25%,22%)"/><text x="20" y="50" font-family="DejaVu Sans" font-size="30" fill="#fff">${text}</text></svg>`;
  return sharp(Buffer.from(svg)).jpeg({ quality: 70 }).toBuffer();
}

function health(at: string, over: Partial<{ depth: number; oldestAgeS: number | null; budget: 'ok' | 'near' | 'over'; freeBytes: number }> = {}): Health {
  return {
    v: 1,
    at,
    uptimeS: 86_400,
    cpu: { load1: 0.2, cores: 4 },
    memory: { rssBytes: 80e6, freeBytes: 1e9, totalBytes: 4e9 },
    disk: { freeBytes: over.freeBytes ?? 21.5e9, totalBytes: 32e9 },
    outbox: { depth: over.depth ?? 0, oldestAgeS: over.oldestAgeS ?? null, lastAckedSeq: 100, bytes: 1e6, budgetBytes: 512e6, budget: over.budget ?? 'ok', droppedHealth: 0 },
  };
}

describe.skipIf(!HAVE_CHROMIUM)(`command room with 50 offices${HAVE_CHROMIUM ? '' : ` (${SKIP_REASON})`}`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'pemda-wall-'));
  const live = new LiveState();
  let registry: Registry;
  let api: HttpApi;
  let users: UserStore | undefined;
  let port = 0;
  let browser: Browser;
  let page: Page;
  let seq = 0;
  const now = Date.now();
  /** The device dates of the punches fed per OPD, to know how many fall on "today" in its zone. */
  const punchDates = new Map<string, { zone: string; dates: string[] }>();
  const iso = (agoS: number) => new Date(now - agoS * 1000).toISOString();

  beforeAll(async () => {
    buildWebApp();
    mkdirSync(SHOTS, { recursive: true });
    const log = pino({ level: 'silent' });
    registry = new Registry(join(dir, 'central.sqlite'));
    registry.seed({
      opds: NAMES.map((name, i) => ({
        code: code(i),
        name,
        zone: ZONES[i % 7 === 3 ? 1 : i % 11 === 5 ? 2 : 0]!,
        gateways: [`gw-${code(i)}`],
        employees: Array.from({ length: 20 + ((i * 37) % 90) }, (_, k) => ({ pin: String(1000 + k), name: `Pegawai ${k}` })),
      })),
    });
    const snapshots = new SnapshotStore(join(dir, 'snapshots'), { retentionDays: 7, maxTotalMB: 100 }, log);
    const opds = registry.opds();
    const frames: Promise<void>[] = [];
    for (const [i, o] of opds.entries()) {
      const gw = `gw-${o.code}`;
      if (i === 49) continue; // registered, never connected
      if (i === 1 || i === 20) live.onStatus(gw, o.code, { v: 1, state: 'offline', bdSeq: 3 });
      else live.onStatus(gw, o.code, { v: 1, state: 'online', bdSeq: 3, version: '0.1.0', configHash: 'a'.repeat(64), startedAt: iso(86_400), ackedSeq: 100, clockOffsetMs: 0, terminals: [], cameras: [] });
      live.onHealth(gw, o.code, health(iso(i === 1 || i === 20 ? 900 : 5), { ...(i === 6 && { budget: 'near', depth: 1200, oldestAgeS: 1800 }), ...(i === 9 && { freeBytes: 1.1e9 }) }));
      const records: EventRecord[] = [{ seq: ++seq, kind: 'terminal_status', terminal: 'x100c', state: i === 12 ? 'offline' : 'online', ...(i === 12 && { reason: 'connect ETIMEDOUT 192.168.10.20:4370' }), at: iso(600) }];
      if (i === 3) records.push({ seq: ++seq, kind: 'terminal_clock', terminal: 'x100c', skewMs: 95_000, alarm: true, at: iso(300) });
      const punches = (i * 13) % 40;
      const zone = o.zone;
      const local = new Intl.DateTimeFormat('sv-SE', { timeZone: zone, dateStyle: 'short', timeStyle: 'medium' });
      punchDates.set(o.code, { zone, dates: [] });
      for (let k = 0; k < punches; k++) {
        const t = now - (punches - k) * 20_000;
        punchDates.get(o.code)!.dates.push(local.format(t).slice(0, 10));
        records.push({ seq: ++seq, kind: 'punch', terminal: 'x100c', employee: String(1000 + k), time: new Date(t).toISOString(), deviceTime: local.format(t).replace(' ', 'T'), zone, skewMs: null, receivedAt: new Date(t).toISOString(), ...(k === 0 && i === 48 && { historical: true }) });
      }
      const cams = i % 3 === 0 ? ['pintu-depan', 'lobi'] : ['pintu-depan'];
      for (const [c, cam] of cams.entries()) {
        const ageS = i === 0 && c === 1 ? 600 : i === 1 || i === 20 ? 900 : 2 + ((i + c) % 20);
        const state = i === 2 ? 'offline' : i === 4 ? 'auth-failed' : i === 5 ? 'stale' : 'online';
        if (state !== 'online') records.push({ seq: ++seq, kind: 'camera_status', camera: cam, state, reason: REASONS[state], at: iso(120) });
        frames.push(
          frame(`${cam} · ${o.code}`, (i * 47 + c * 90) % 360).then((jpeg) => {
            const header = { camera: cam, capturedAt: iso(ageS), kind: 'thumb' as const, bytes: jpeg.length, width: 480, height: 270, sha256: sha256Hex(jpeg), source: 'snapshot-uri' as const };
            snapshots.save(o.code, gw, header, jpeg);
            live.onSnapshot(gw, o.code, header);
          }),
        );
      }
      live.onRecords(gw, o.code, records);
    }
    await Promise.all(frames);
    // A kiosk wall: read-only without login (auth.anonymousView).
    users = new UserStore(join(dir, 'users.sqlite'));
    const auth = new Auth(users, { ...AuthConfig.parse({}), https: false }, log);
    api = new HttpApi({ host: '127.0.0.1', port: 0, webRoot: join(ROOT, 'dist/web'), anonymousView: true }, { snapshots, live, registry, auth }, log);
    port = await api.start();
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1920, height: 1080 }, locale: 'id-ID', timezoneId: 'Asia/Jakarta' });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await api?.stop();
    registry?.close();
    users?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('pages the wall 12 tiles at a time, with BASI, OFFLINE and AUTH badges where due', async () => {
    await page.goto(`http://127.0.0.1:${port}/#/wall`);
    const tiles = page.locator('.wall-grid .tile');
    await expect.poll(() => tiles.count()).toBe(12);
    expect(await page.locator('.wall-page').textContent()).toContain('Halaman 1 dari 6'); // 66 cameras
    const badge = (opd: string, camera: string) => page.locator(`.tile[data-gateway="gw-${opd}"][data-camera="${camera}"] .tile-badges`).textContent();
    expect(await badge('opd01', 'lobi')).toContain('BASI'); // 600 s old
    expect(await badge('opd01', 'pintu-depan')).toBe(''); // a few seconds old
    expect(await badge('opd02', 'pintu-depan')).toContain('GATEWAY OFFLINE');
    expect(await badge('opd03', 'pintu-depan')).toContain('OFFLINE');
    expect(await badge('opd05', 'pintu-depan')).toContain('AUTENTIKASI GAGAL');
    await page.screenshot({ path: join(SHOTS, 'wall-50.png') });
    await page.locator('.wall-controls button', { hasText: 'Berikutnya' }).click();
    expect(await page.locator('.wall-page').textContent()).toContain('Halaman 2 dari 6');
    await page.locator('.btn-pause').click();
    expect(await page.locator('.wall-page').textContent()).toContain('DIJEDA');
    await page.locator('.btn-pause').click();
    // The OPD filter narrows the wall to one office.
    await page.locator('#opd-filter').selectOption('opd04');
    await expect.poll(() => tiles.count()).toBe(2);
    expect(await page.evaluate('location.hash')).toBe('#/wall?opd=opd04');
    await page.locator('#opd-filter').selectOption('');
  });

  it('puts offices with problems first on the health page', async () => {
    await page.locator('a.tab[data-view="kesehatan"]').click();
    const cards = page.locator('.gw-card');
    await expect.poll(() => cards.count()).toBe(50);
    const first = cards.first();
    expect(await first.getAttribute('class')).toContain('sev-bad');
    expect(await first.getAttribute('data-state')).toBe('offline');
    expect(await page.locator('.gw-card[data-gateway="gw-opd50"] .gw-state').textContent()).toContain('BELUM TERHUBUNG');
    expect(await page.locator('.gw-card[data-gateway="gw-opd04"] .problems').textContent()).toContain('jam meleset +95 dtk');
    expect(await page.locator('.gw-card[data-gateway="gw-opd03"]').textContent()).toContain('rtsp://***@10.1.2.3'); // no password on the wall
    // Severity never rises down the page: bad, then warn, then ok.
    const order = (await page.evaluate(`[...document.querySelectorAll('.gw-card')].map((e) => e.className)`)) as string[];
    const rank = order.map((c) => (c.includes('sev-bad') ? 2 : c.includes('sev-warn') ? 1 : 0));
    expect(rank).toEqual([...rank].sort((a, b) => b - a));
    expect(rank.filter((r) => r > 0).length).toBeGreaterThanOrEqual(9);
    await page.screenshot({ path: join(SHOTS, 'kesehatan-50.png') });
  });

  it('lists 50 OPDs with roster and punches today', async () => {
    await page.locator('a.tab[data-view="absensi"]').click();
    await expect.poll(() => page.locator('tr.att-row').count()).toBe(50);
    // What the page shows is what the API says (today is per OPD zone; near midnight some punches are yesterday's).
    const state = (await (await fetch(`http://127.0.0.1:${port}/api/state`)).json()) as { opds: { code: string; employees: number; punchesToday: number }[] };
    const opd04 = state.opds.find((o) => o.code === 'opd04')!;
    // 39 punches over the last 13 minutes; those before midnight in its zone (WITA) are yesterday's.
    const fed = punchDates.get('opd04')!;
    const today = new Intl.DateTimeFormat('sv-SE', { timeZone: fed.zone, dateStyle: 'short' }).format(Date.now());
    expect(fed.dates).toHaveLength(39);
    expect(opd04.punchesToday).toBe(fed.dates.filter((d) => d === today).length);
    expect(await page.locator('tr.att-row[data-opd="opd04"] .punches-today').textContent()).toBe(String(opd04.punchesToday));
    expect(await page.locator('tr.att-row[data-opd="opd04"] .roster').textContent()).toBe(String(opd04.employees));
    await page.screenshot({ path: join(SHOTS, 'absensi-50.png') });
    // Drill down to one OPD: its punches only, the replayed one marked HISTORIS.
    // (opd49 is the last office fed, so its punches are among the 200 latest.)
    await page.locator('tr.att-row[data-opd="opd49"]').click();
    await expect.poll(() => page.locator('tr.punch-row').count()).toBe((48 * 13) % 40);
    expect(await page.locator('tr.punch-row:not([data-opd="opd49"])').count()).toBe(0);
    expect(await page.locator('tr.punch-row.historical').textContent()).toContain('HISTORIS');
    await page.screenshot({ path: join(SHOTS, 'absensi-drill-50.png') });
  });

  it('is usable on a 1366x768 laptop', async () => {
    await page.setViewportSize({ width: 1366, height: 768 });
    await page.evaluate(`location.hash = '#/wall'`); // all OPDs again (the filter follows the tabs)
    await expect.poll(() => page.locator('.wall-grid .tile').count()).toBe(12);
    const overflow = await page.evaluate('document.documentElement.scrollWidth > document.documentElement.clientWidth');
    expect(overflow).toBe(false);
    await page.screenshot({ path: join(SHOTS, 'wall-laptop-50.png') });
    await page.locator('a.tab[data-view="kesehatan"]').click();
    await page.screenshot({ path: join(SHOTS, 'kesehatan-laptop-50.png') });
    await page.setViewportSize({ width: 1920, height: 1080 });
  });

  it('turns the connection indicator red when the central goes away', async () => {
    await page.locator('a.tab[data-view="wall"]').click();
    await expect.poll(() => page.locator('#conn').getAttribute('data-state'), { timeout: 10_000 }).toBe('live');
    await api.stop();
    await expect.poll(() => page.locator('#conn').getAttribute('data-state'), { timeout: 10_000 }).toBe('down');
    expect(await page.locator('#conn .conn-pill').textContent()).toContain('TERPUTUS');
    await page.screenshot({ path: join(SHOTS, 'wall-disconnected-50.png') });
  });
});
