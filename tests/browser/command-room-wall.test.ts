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
import { Auth, AuthConfig, userMain, UserStore } from '../../central/auth/index.js';
import { AlertEngine, AlertsConfig } from '../../central/alerts/index.js';
import { Enrollment } from '../../central/enroll.js';
import { SnapshotStore } from '../../central/snapshot-store.js';
import { sha256Hex } from '../../protocols/snapshot/frame.js';
import type { EventRecord, Health } from '../../protocols/mqtt/payloads.js';
import { ROOT } from '../helpers/proc.js';
import { buildWebApp, HAVE_CHROMIUM, launchChromium, SHOTS, SKIP_REASON } from './chromium.js';
import { logInThroughForm, tabViews } from './session.js';

/**
 * The command room at full size: 50 OPDs, 64 cameras with every kind of trouble, in
 * the real HttpApi (in this process, fed through LiveState like ingest feeds it, with
 * the alert engine and the admin routes) and Debian's Chromium, as a kiosk wall
 * (auth.anonymousView). Checks paging, the staleness rule, problems first, the office
 * map, the alert banner, the OPD filter, an admin logging in from the wall, and the
 * red indicator when the central goes away; screenshots at 1920x1080 and on a
 * 1366x768 laptop go to reports/screenshots/*-50.png.
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

/** Offices spread over a city about 28 x 12 km (around Makassar); three have no coordinates yet. */
const NO_LOCATION = new Set([45, 46, 47]);
function location(i: number): { lat: number; lon: number } | undefined {
  if (NO_LOCATION.has(i)) return undefined;
  // A sunflower spread (golden angle): the offices fill the city evenly, as real ones roughly do.
  const r = Math.sqrt((i + 0.5) / 50);
  const a = i * 2.399963;
  return { lat: Number((-5.15 + r * 0.055 * Math.sin(a)).toFixed(5)), lon: Number((119.44 + r * 0.13 * Math.cos(a)).toFixed(5)) };
}
/** The central in this test is "newer" than most gateways: those are flagged USANG. */
const CENTRAL_VERSION = '0.2.0';
const ADMIN = { username: 'admin', password: 'admin-rahasia-1' };

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
  let alerts: AlertEngine | undefined;
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
        ...(location(i) && { location: location(i) }),
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
      else live.onStatus(gw, o.code, { v: 1, state: 'online', bdSeq: 3, version: i % 4 === 0 ? CENTRAL_VERSION : '0.1.0', configHash: 'a'.repeat(64), startedAt: iso(86_400), ackedSeq: 100, clockOffsetMs: 0, terminals: [], cameras: [] });
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
    const usersDb = join(dir, 'users.sqlite');
    expect(await userMain(['add', '--username', ADMIN.username, '--role', 'admin', '--password-stdin'], usersDb, { readStdin: async () => `${ADMIN.password}\n`, stdout: () => undefined })).toBe(0);
    users = new UserStore(usersDb);
    const auth = new Auth(users, { ...AuthConfig.parse({}), https: false }, log);
    // Checks the rules at once: the offline, auth-failed and frozen cameras, the offline terminal, the skewed clock...
    alerts = new AlertEngine(join(dir, 'central.sqlite'), AlertsConfig.parse({}), { live, registry }, log);
    alerts.start();
    const enrollment = new Enrollment(registry, { topicRoot: 'pemda', mqttUrl: undefined, brokerPort: 1883, tls: undefined, tokenTtlH: 72 }, log);
    api = new HttpApi(
      { host: '127.0.0.1', port: 0, webRoot: join(ROOT, 'dist/web'), anonymousView: true },
      { snapshots, live, registry, auth, alerts, admin: { enrollment, version: CENTRAL_VERSION, caFingerprint: undefined } },
      log,
    );
    port = await api.start();
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1920, height: 1080 }, locale: 'id-ID', timezoneId: 'Asia/Jakarta' });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await api?.stop();
    await alerts?.stop();
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
    // Polled: the wall redraws as its data and pictures arrive (once, under load, a badge was read mid-way).
    await expect.poll(() => badge('opd01', 'lobi')).toContain('BASI'); // 600 s old
    await expect.poll(() => badge('opd01', 'pintu-depan')).toBe(''); // a few seconds old
    await expect.poll(() => badge('opd02', 'pintu-depan')).toContain('GATEWAY OFFLINE');
    await expect.poll(() => badge('opd03', 'pintu-depan')).toContain('OFFLINE');
    await expect.poll(() => badge('opd05', 'pintu-depan')).toContain('AUTENTIKASI GAGAL');
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

    // The office map above the cards: 47 offices placed, the 3 without coordinates listed.
    const map = page.locator('.office-map');
    expect(await map.locator('.map-office').count()).toBe(47);
    expect(await map.locator('.map-office[data-opd="opd02"]').getAttribute('data-severity')).toBe('bad'); // gateway offline
    expect(await map.locator('.map-office[data-opd="opd50"]').getAttribute('data-severity')).toBe('warn'); // never connected
    expect(await map.locator('.map-office[data-opd="opd01"]').getAttribute('data-severity')).toBe('ok');
    expect(await map.locator('.map-label[data-opd="opd02"]').textContent()).toBe('✖ opd02'); // codes: 47 names would not fit
    expect(await map.locator('.map-missing-opd').evaluateAll((els) => els.map((e) => e.getAttribute('data-opd')))).toEqual(['opd46', 'opd47', 'opd48']);
    // North is up and west is left: opd02 lies south-east of opd01.
    const at = async (opd: string) => (await map.locator(`.map-office[data-opd="${opd}"] .map-dot`).boundingBox())!;
    const [a, b] = [await at('opd01'), await at('opd02')];
    expect(location(1)!.lat < location(0)!.lat).toBe(b.y > a.y);
    expect(location(1)!.lon > location(0)!.lon).toBe(b.x > a.x);
    await page.screenshot({ path: join(SHOTS, 'kesehatan-50.png') });
    // A click on an office narrows the page to it, like the OPD filter.
    await map.locator('.map-office[data-opd="opd03"] .map-dot').click();
    await expect.poll(() => cards.count()).toBe(1);
    expect(await page.evaluate('location.hash')).toBe('#/kesehatan?opd=opd03');
    expect(await page.locator('.map-office.selected').getAttribute('data-opd')).toBe('opd03');
    await page.locator('#opd-filter').selectOption('');
    await expect.poll(() => cards.count()).toBe(50);
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

  it('shows the open alerts in a banner on every view and lists them; a kiosk viewer is offered a login to acknowledge', async () => {
    const { open } = (await (await fetch(`http://127.0.0.1:${port}/api/alerts`)).json()) as { open: { id: number; severity: string; kind: string; raisedAt: string; message: { id: string } }[] };
    // The offline gateways and terminal (critical); offline, refused and frozen cameras, an old frame, a skewed clock, full disks (warnings).
    expect(open.filter((a) => a.severity === 'critical').map((a) => a.kind).sort()).toEqual(['gateway-offline', 'gateway-offline', 'terminal-offline']);
    expect(open.length).toBeGreaterThanOrEqual(9);
    const newestCritical = open.filter((a) => a.severity === 'critical').sort((x, y) => Date.parse(y.raisedAt) - Date.parse(x.raisedAt) || y.id - x.id)[0]!;
    const banner = page.locator('#alert-banner');
    for (const view of ['wall', 'absensi', 'kesehatan']) {
      await page.locator(`a.tab[data-view="${view}"]`).click();
      await expect.poll(() => banner.getAttribute('data-count')).toBe(String(open.length));
      expect(await banner.getAttribute('class')).toContain('sev-bad');
      expect(await banner.locator('.banner-message').textContent()).toBe(newestCritical.message.id);
      expect(await banner.locator('.banner-time').textContent()).toMatch(/^\d{2}\.\d{2}\.\d{2} WIB$/);
    }
    await page.locator('#alert-banner .banner-link').click();
    const rows = page.locator('.open-table tr.alert-row');
    await expect.poll(() => rows.count()).toBe(open.length);
    // Critical first.
    const kinds = await rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-kind')));
    expect(kinds.slice(0, 3).sort()).toEqual(['gateway-offline', 'gateway-offline', 'terminal-offline']);
    expect(await page.locator('.open-table .btn-ack').count()).toBe(0);
    expect(await page.locator('.open-table .btn-login-ack').count()).toBe(open.length);
    await expect.poll(() => page.locator('.recent-table tr.alert-row').count()).toBe(open.length);
    await page.screenshot({ path: join(SHOTS, 'peringatan-50.png') });
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

  it('an admin logs in from the kiosk wall: outdated gateways, the registry; after logout the wall is a kiosk again', async () => {
    await page.locator('a.tab[data-view="wall"]').click();
    expect(await tabViews(page)).toEqual(['wall', 'absensi', 'kesehatan', 'peringatan']);
    expect(await page.locator('#user').textContent()).toContain('Tanpa login');
    // An admin page on a kiosk asks for a login first, and opens after it.
    await page.evaluate(`location.hash = '#/perangkat'`);
    await expect.poll(() => page.locator('.login-note').textContent()).toBe('Halaman ini memerlukan login.');
    await logInThroughForm(page, ADMIN.username, ADMIN.password);
    expect(await page.evaluate('location.hash')).toBe('#/perangkat');
    const rows = page.locator('tr.gateway-row');
    await expect.poll(() => rows.count()).toBe(50);
    // Online gateways on 0.1.0 are older than this central (0.2.0); offline and never-seen ones report no version.
    const outdated = Array.from({ length: 50 }, (_, i) => i).filter((i) => ![1, 20, 49].includes(i) && i % 4 !== 0).length;
    expect(await page.locator('tr.gateway-row[data-outdated="true"]').count()).toBe(outdated);
    expect(await page.locator('tr.gateway-row[data-gateway="gw-opd03"] .version').textContent()).toContain('USANG');
    expect(await page.locator('tr.gateway-row[data-gateway="gw-opd01"] .version').textContent()).toContain('TERKINI');
    expect(await page.locator('.devices-page .summary').textContent()).toBe(`50 gateway · ${outdated} versi usang · versi pusat ${CENTRAL_VERSION}`);
    await page.screenshot({ path: join(SHOTS, 'perangkat-50.png') });
    // Nine tabs, the user and the connection line still fit a laptop without covering each other.
    await page.setViewportSize({ width: 1366, height: 768 });
    // The connection line is redrawn every second: a box read while it is replaced is null, so poll.
    const tabsEndBeforeConn = async () => {
      const [tabs, conn] = await Promise.all([page.locator('#tabs').boundingBox(), page.locator('#conn .conn-pill').boundingBox()]);
      return tabs && conn ? tabs.x + tabs.width <= conn.x : undefined;
    };
    await expect.poll(tabsEndBeforeConn).toBe(true);
    expect(await page.evaluate('document.documentElement.scrollWidth > document.documentElement.clientWidth')).toBe(false);
    await page.screenshot({ path: join(SHOTS, 'perangkat-laptop-50.png') });
    await page.setViewportSize({ width: 1920, height: 1080 });

    await page.locator('a.tab[data-view="admin"]').click();
    await expect.poll(() => page.locator('tr.opd-admin-row').count()).toBe(50);
    expect(await page.locator('tr.opd-admin-row .coords.none').count()).toBe(3);
    await page.locator('tr.opd-admin-row[data-opd="opd46"] .btn-edit').click();
    await page.locator('#opd-lat').fill('-5.1312');
    await page.locator('#opd-lon').fill('119.4120');
    await page.screenshot({ path: join(SHOTS, 'admin-50.png') });
    await page.locator('.opd-form button[type="submit"]').click();
    await expect.poll(() => page.locator('tr.opd-admin-row[data-opd="opd46"] .coords').textContent()).toBe('-5.1312, 119.412');

    await page.locator('#logout').click();
    await expect.poll(() => page.locator('#user').textContent()).toContain('Tanpa login');
    expect(await page.evaluate('location.hash')).toBe('#/wall');
    expect(await tabViews(page)).toEqual(['wall', 'absensi', 'kesehatan', 'peringatan']);
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
