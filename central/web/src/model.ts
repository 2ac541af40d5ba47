/**
 * What the views show, computed from /api/state and /api/cameras. No DOM here:
 * the rules (staleness, problems, ordering) can be tested in Node.
 * Times are compared with the *server's* clock (`nowMs`, see live.ts `serverNow`), so
 * a wall PC whose clock is wrong still shows honest ages.
 */
import type { ApiCamera, ApiGateway, ApiHealth, ApiOpd, ApiPunch, ApiState } from './api-types.js';
import { formatNumber, locale, t, type MessageKey } from './i18n.js';

/**
 * A thumbnail older than this is shown as BASI (stale). Cameras are polled every
 * `intervalS` (30 s by default); 120 s is three default intervals plus one interval of
 * slack for delivery. A gateway whose bandwidth budget stretches its intervals far
 * will show BASI too, which is honest: its picture is that old.
 */
export const STALE_AFTER_S = 120;
/** Tiles per wall page (4 x 3 at 1920x1080), and how long a page stays up. */
export const TILES_PER_PAGE = 12;
export const PAGE_CYCLE_S = 20;
/** Gateways report health every 60 s by default: three missed reports is late. */
export const HEALTH_LATE_S = 180;
/** Outbox records older than this while the gateway is online: delivery is stuck. */
export const OUTBOX_BACKLOG_S = 300;

export type Severity = 'ok' | 'warn' | 'bad';
const RANK: Record<Severity, number> = { ok: 0, warn: 1, bad: 2 };

export function worst(severities: Iterable<Severity>): Severity {
  let w: Severity = 'ok';
  for (const s of severities) if (RANK[s] > RANK[w]) w = s;
  return w;
}

export function rank(s: Severity): number {
  return RANK[s];
}

// ---------------------------------------------------------------- formatting

export function formatAge(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return t('age.never');
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return t('age.seconds', { n: s });
  if (s < 3600) return t('age.minutes', { n: Math.floor(s / 60) });
  if (s < 86_400) return t('age.hours', { n: Math.floor(s / 3600) });
  return t('age.days', { n: Math.floor(s / 86_400) });
}

/** Indonesian zones a viewer can be in; a browser elsewhere (or on UTC) shows WIB. */
const INDONESIAN_ZONES = ['Asia/Jakarta', 'Asia/Pontianak', 'Asia/Makassar', 'Asia/Jayapura'];
let viewer: string | undefined;

/**
 * The zone the page shows times in: the browser's own when it is an Indonesian one,
 * else Asia/Jakarta (WIB). A wall PC left on UTC then still shows local-looking times,
 * and every time carries its zone label so nobody has to guess.
 */
export function viewerZone(): string {
  if (viewer === undefined) {
    let zone = '';
    try {
      zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    } catch {
      zone = '';
    }
    viewer = INDONESIAN_ZONES.includes(zone) ? zone : 'Asia/Jakarta';
  }
  return viewer;
}

/** Wall time in the viewer's zone with its label, e.g. "14.03.22 WIB" ("14:03:22 WIB" in English). */
export function formatTime(ms: number, zone = viewerZone()): string {
  const clock = new Intl.DateTimeFormat(locale(), { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23', timeZone: zone }).format(ms);
  return `${clock} ${zoneAbbr(zone)}`;
}

/** Date and time in the viewer's zone, e.g. "26 Nov 14.03.22 WIB"; only the time when it is today there. */
export function formatDateTime(ms: number, nowMs: number, zone = viewerZone()): string {
  if (dateInZone(ms, zone) === dateInZone(nowMs, zone)) return formatTime(ms, zone);
  return `${new Intl.DateTimeFormat(locale(), { day: 'numeric', month: 'short', timeZone: zone }).format(ms)} ${formatTime(ms, zone)}`;
}

/** Like formatDateTime for an ISO instant; "—" when there is none. */
export function formatInstant(iso: string | null | undefined, nowMs: number): string {
  if (!iso) return '—';
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? formatDateTime(ms, nowMs) : iso;
}

export function formatBytes(bytes: number): string {
  if (bytes >= 1e9) return `${formatNumber(bytes / 1e9, 1)} GB`;
  if (bytes >= 1e6) return `${formatNumber(bytes / 1e6, 1)} MB`;
  return `${formatNumber(Math.round(bytes / 1e3))} kB`;
}

/** Terminal clock minus true time: "+95 dtk", "−3 mnt". */
export function formatSkew(ms: number): string {
  const s = Math.round(ms / 1000);
  const sign = s > 0 ? '+' : s < 0 ? '−' : '±';
  const a = Math.abs(s);
  return a >= 120 ? `${sign}${formatNumber(Math.round(a / 60))} ${t('unit.minutes')}` : `${sign}${formatNumber(a)} ${t('unit.seconds')}`;
}

/** Indonesian time-zone abbreviation of an IANA zone (WIB/WITA/WIT), else the zone. */
export function zoneAbbr(zone: string): string {
  if (zone === 'Asia/Jakarta' || zone === 'Asia/Pontianak') return 'WIB';
  if (zone === 'Asia/Makassar') return 'WITA';
  if (zone === 'Asia/Jayapura') return 'WIT';
  return zone;
}

/** YYYY-MM-DD of an instant in an IANA zone. */
export function dateInZone(ms: number, zone: string): string {
  try {
    return new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(ms);
  } catch {
    return new Date(ms).toISOString().slice(0, 10);
  }
}

/** A punch's terminal time as the terminal showed it: "07.58.09 WITA", with the date when not today there. */
export function formatDeviceTime(deviceTime: string, zone: string, nowMs: number): string {
  const [date = '', time = ''] = deviceTime.split('T');
  const clock = `${time.replaceAll(':', '.')} ${zoneAbbr(zone)}`;
  if (date === dateInZone(nowMs, zone)) return clock;
  const [y, m, d] = date.split('-').map(Number);
  const label = new Intl.DateTimeFormat(locale(), { day: 'numeric', month: 'short', timeZone: 'UTC' }).format(Date.UTC(y ?? 1970, (m ?? 1) - 1, d ?? 1));
  return `${label} ${clock}`;
}

/**
 * A device's reason as shown on a wall: user names and passwords in URLs hidden
 * (gateways report e.g. the RTSP URL that failed), cut to `max` characters.
 */
export function cleanReason(reason: string | undefined, max = 160): string | undefined {
  if (reason === undefined) return undefined;
  const clean = reason.replace(/([a-z][a-z0-9+.-]*:\/\/)[^\s/@]*@/gi, '$1***@');
  return clean.length > max ? `${clean.slice(0, max - 1)}…` : clean;
}

function ageS(iso: string | null | undefined, nowMs: number): number | null {
  if (!iso) return null;
  const at = Date.parse(iso);
  return Number.isFinite(at) ? (nowMs - at) / 1000 : null;
}

function opdNames(opds: readonly ApiOpd[]): Map<string, string> {
  return new Map(opds.map((o) => [o.code, o.name]));
}

// ---------------------------------------------------------------- video wall

export type CameraBadge = 'gateway-offline' | 'offline' | 'auth-failed' | 'frozen' | 'stale' | 'no-frame';
const BADGE_SEVERITY: Record<CameraBadge, Severity> = {
  'gateway-offline': 'bad',
  offline: 'bad',
  'auth-failed': 'bad',
  frozen: 'warn',
  stale: 'warn',
  'no-frame': 'warn',
};
export const BADGE_TEXT: Record<CameraBadge, MessageKey> = {
  'gateway-offline': 'badge.gatewayOffline',
  offline: 'badge.offline',
  'auth-failed': 'badge.authFailed',
  frozen: 'badge.frozen',
  stale: 'badge.stale',
  'no-frame': 'badge.noFrame',
};

export interface CameraTile {
  key: string;
  opd: string;
  opdName: string;
  gateway: string;
  camera: string;
  /** The latest thumbnail; `src` changes when a new frame arrives (and only then). */
  frame: { src: string; capturedAt: string; capturedMs: number } | null;
  ageS: number | null;
  /** State reported by the gateway (online, offline, auth-failed, stale, unknown). */
  state: string;
  reason: string | undefined;
  badges: CameraBadge[];
  severity: Severity;
}

/**
 * One tile per camera known from a frame or from the gateway's camera states,
 * ordered by OPD name then camera, optionally only one OPD's.
 */
export function cameraTiles(state: ApiState, cameras: readonly ApiCamera[], nowMs: number, opd?: string): CameraTile[] {
  const names = opdNames(state.opds);
  const gateways = new Map(state.gateways.map((g) => [g.gateway, g]));
  const frames = new Map(cameras.map((c) => [`${c.gateway}/${c.camera}`, c]));
  const keys = new Map<string, { gateway: string; camera: string; opd: string }>();
  for (const c of cameras) keys.set(`${c.gateway}/${c.camera}`, { gateway: c.gateway, camera: c.camera, opd: c.opd });
  for (const g of state.gateways) {
    const ids = new Set([...Object.keys(g.cameras), ...(g.health?.cameras ?? []).map((c) => c.id)]);
    for (const id of ids) if (!keys.has(`${g.gateway}/${id}`)) keys.set(`${g.gateway}/${id}`, { gateway: g.gateway, camera: id, opd: g.opd });
  }
  const tiles: CameraTile[] = [];
  for (const [key, k] of keys) {
    if (opd !== undefined && k.opd !== opd) continue;
    const gw = gateways.get(k.gateway);
    const recorded = gw?.cameras[k.camera];
    const reported = gw?.health?.cameras?.find((c) => c.id === k.camera);
    const camState = recorded?.state ?? reported?.state ?? 'unknown';
    const f = frames.get(key);
    const capturedMs = f ? Date.parse(f.capturedAt) : NaN;
    const frame = f && Number.isFinite(capturedMs) ? { src: `${f.url}?v=${encodeURIComponent(f.capturedAt)}`, capturedAt: f.capturedAt, capturedMs } : null;
    const age = frame ? (nowMs - frame.capturedMs) / 1000 : null;
    const badges: CameraBadge[] = [];
    if (gw && gw.state === 'offline') badges.push('gateway-offline');
    if (camState === 'offline') badges.push('offline');
    if (camState === 'auth-failed') badges.push('auth-failed');
    if (camState === 'stale') badges.push('frozen');
    if (age !== null && age > STALE_AFTER_S) badges.push('stale');
    if (!frame) badges.push('no-frame');
    tiles.push({
      key,
      opd: k.opd,
      opdName: names.get(k.opd) ?? k.opd,
      gateway: k.gateway,
      camera: k.camera,
      frame,
      ageS: age,
      state: camState,
      reason: cleanReason(recorded?.reason),
      badges,
      severity: worst(badges.map((b) => BADGE_SEVERITY[b])),
    });
  }
  return tiles.sort((a, b) => a.opdName.localeCompare(b.opdName, 'id') || a.opd.localeCompare(b.opd) || a.camera.localeCompare(b.camera, 'id') || a.gateway.localeCompare(b.gateway));
}

export function badgeSeverity(b: CameraBadge): Severity {
  return BADGE_SEVERITY[b];
}

/** Splits into pages of `perPage`, then each page into runs of the same OPD. */
export function wallPages(tiles: readonly CameraTile[], perPage = TILES_PER_PAGE): { opd: string; opdName: string; tiles: CameraTile[] }[][] {
  const pages: { opd: string; opdName: string; tiles: CameraTile[] }[][] = [];
  for (let i = 0; i < tiles.length; i += perPage) {
    const groups: { opd: string; opdName: string; tiles: CameraTile[] }[] = [];
    for (const tile of tiles.slice(i, i + perPage)) {
      const last = groups.at(-1);
      if (last && last.opd === tile.opd) last.tiles.push(tile);
      else groups.push({ opd: tile.opd, opdName: tile.opdName, tiles: [tile] });
    }
    pages.push(groups);
  }
  return pages;
}

// ---------------------------------------------------------------- attendance

export interface OpdRow extends ApiOpd {
  zoneAbbr: string;
}

export function opdRows(state: ApiState): OpdRow[] {
  return state.opds.map((o) => ({ ...o, zoneAbbr: zoneAbbr(o.zone) })).sort((a, b) => a.name.localeCompare(b.name, 'id') || a.code.localeCompare(b.code));
}

export interface PunchRow extends ApiPunch {
  opdName: string;
  zone: string;
}

export function punchRows(state: ApiState, opd?: string, limit = 60): PunchRow[] {
  const byCode = new Map(state.opds.map((o) => [o.code, o]));
  return state.recentPunches
    .filter((p) => opd === undefined || p.opd === opd)
    .slice(0, limit)
    .map((p) => ({ ...p, opdName: byCode.get(p.opd)?.name ?? p.opd, zone: byCode.get(p.opd)?.zone ?? 'UTC' }));
}

// ---------------------------------------------------------------- office health

export interface Problem {
  key: MessageKey;
  params: Record<string, string | number>;
  severity: Severity;
}

export interface GatewayRow {
  gateway: string;
  opd: string;
  opdName: string;
  /** `never`: in the registry but never connected since the central started. */
  state: 'online' | 'offline' | 'unknown' | 'never';
  since: string | null;
  lastSeenAt: string | null;
  lastSeenAgeS: number | null;
  version: string | null;
  health: ApiHealth | null;
  terminals: { id: string; state: string; reason: string | undefined; skewMs: number | undefined; clockAlarm: boolean; severity: Severity }[];
  cameras: { id: string; state: string; reason: string | undefined; severity: Severity }[];
  problems: Problem[];
  severity: Severity;
}

const CAMERA_PROBLEMS: Partial<Record<string, { key: MessageKey; severity: Severity }>> = {
  offline: { key: 'problem.cameraOffline', severity: 'bad' },
  'auth-failed': { key: 'problem.cameraAuth', severity: 'bad' },
  stale: { key: 'problem.cameraStale', severity: 'warn' },
};

function gatewayRow(g: ApiGateway, opdName: string, nowMs: number): GatewayRow {
  const problems: Problem[] = [];
  const p = (key: MessageKey, severity: Severity, params: Record<string, string | number> = {}) => problems.push({ key, severity, params });
  if (g.state === 'offline') p('problem.gatewayOffline', 'bad');
  if (g.state === 'unknown') p('problem.gatewayUnknown', 'warn');
  const lastSeenAgeS = ageS(g.lastSeenAt, nowMs);
  if (g.state === 'online' && lastSeenAgeS !== null && lastSeenAgeS > HEALTH_LATE_S) p('problem.healthLate', 'warn', { age: formatAge(lastSeenAgeS) });
  const h = g.health;
  if (h) {
    if (h.outbox.budget === 'over') p('problem.outboxOver', 'bad');
    else if (h.outbox.budget === 'near') p('problem.outboxNear', 'warn');
    if (g.state === 'online' && h.outbox.oldestAgeS !== null && h.outbox.oldestAgeS > OUTBOX_BACKLOG_S) p('problem.outboxBacklog', 'warn', { age: formatAge(h.outbox.oldestAgeS) });
    if (h.disk && h.disk.totalBytes > 0) {
      const pct = (100 * h.disk.freeBytes) / h.disk.totalBytes;
      if (pct < 10) p('problem.diskLow', pct < 3 ? 'bad' : 'warn', { pct: formatNumber(pct, 1) });
    }
  }
  const terminals = Object.entries(g.terminals)
    .map(([id, s]) => {
      const down = s.state !== 'online';
      const alarm = s.clockAlarm === true;
      if (down) p('problem.terminalDown', 'bad', { id, state: s.state });
      if (alarm) p('problem.clockAlarm', 'warn', { id, skew: formatSkew(s.skewMs ?? 0) });
      const severity: Severity = down ? 'bad' : alarm ? 'warn' : 'ok';
      return { id, state: s.state, reason: cleanReason(s.reason), skewMs: s.skewMs, clockAlarm: alarm, severity };
    })
    .sort((a, b) => a.id.localeCompare(b.id));
  const cameraIds = new Set([...Object.keys(g.cameras), ...(h?.cameras ?? []).map((c) => c.id)]);
  const cameras = [...cameraIds]
    .map((id) => {
      const s = g.cameras[id];
      const state = s?.state ?? h?.cameras?.find((c) => c.id === id)?.state ?? 'unknown';
      const problem = CAMERA_PROBLEMS[state];
      if (problem) p(problem.key, problem.severity, { id });
      return { id, state, reason: cleanReason(s?.reason), severity: problem?.severity ?? 'ok' };
    })
    .sort((a, b) => a.id.localeCompare(b.id));
  problems.sort((a, b) => RANK[b.severity] - RANK[a.severity]);
  return {
    gateway: g.gateway,
    opd: g.opd,
    opdName,
    state: g.state,
    since: g.since,
    lastSeenAt: g.lastSeenAt,
    lastSeenAgeS,
    version: g.version,
    health: h,
    terminals,
    cameras,
    problems,
    severity: worst(problems.map((x) => x.severity)),
  };
}

/** Every gateway, registered-but-never-seen ones too, problems first. */
export function gatewayRows(state: ApiState, nowMs: number, opd?: string): GatewayRow[] {
  const names = opdNames(state.opds);
  const rows = state.gateways.map((g) => gatewayRow(g, names.get(g.opd) ?? g.opd, nowMs));
  const seen = new Set(rows.map((r) => r.gateway));
  for (const o of state.opds) {
    for (const gw of o.gateways) {
      if (seen.has(gw)) continue;
      rows.push({
        gateway: gw,
        opd: o.code,
        opdName: o.name,
        state: 'never',
        since: null,
        lastSeenAt: null,
        lastSeenAgeS: null,
        version: null,
        health: null,
        terminals: [],
        cameras: [],
        problems: [{ key: 'problem.gatewayUnknown', params: {}, severity: 'warn' }],
        severity: 'warn',
      });
    }
  }
  const stateOrder = { offline: 0, never: 1, unknown: 2, online: 3 } as const;
  return rows
    .filter((r) => opd === undefined || r.opd === opd)
    .sort(
      (a, b) =>
        RANK[b.severity] - RANK[a.severity] ||
        stateOrder[a.state] - stateOrder[b.state] ||
        b.problems.length - a.problems.length ||
        a.opdName.localeCompare(b.opdName, 'id') ||
        a.gateway.localeCompare(b.gateway),
    );
}

// ---------------------------------------------------------------- office map

export interface OfficeDot {
  code: string;
  name: string;
  location: { lat: number; lon: number } | null;
  /** Worst state of its gateways: offline bad, never connected / unknown warn, all online ok; none without gateways. */
  severity: Severity | 'none';
  online: number;
  total: number;
}

const GATEWAY_STATE_SEVERITY: Record<GatewayRow['state'], Severity> = { online: 'ok', unknown: 'warn', never: 'warn', offline: 'bad' };

/** Every OPD of the registry with its worst gateway state, for the map (all OPDs, whatever the filter). */
export function officeDots(state: ApiState, nowMs: number): OfficeDot[] {
  const rows = gatewayRows(state, nowMs);
  return state.opds
    .map((o) => {
      const mine = rows.filter((r) => r.opd === o.code);
      const location = o.location && Number.isFinite(o.location.lat) && Number.isFinite(o.location.lon) ? o.location : null;
      return {
        code: o.code,
        name: o.name,
        location,
        severity: mine.length === 0 ? ('none' as const) : worst(mine.map((r) => GATEWAY_STATE_SEVERITY[r.state])),
        online: mine.filter((r) => r.state === 'online').length,
        total: mine.length,
      };
    })
    .sort((a, b) => a.name.localeCompare(b.name, 'id') || a.code.localeCompare(b.code));
}

// ---------------------------------------------------------------- registry admin

/** The zones an OPD can be in (what the central accepts for the registry). */
export const OPD_ZONES = ['Asia/Jakarta', 'Asia/Makassar', 'Asia/Jayapura'] as const;
const OPD_CODE = /^[a-z0-9][a-z0-9_-]{0,31}$/;

/** The OPD form as typed: text fields, parsed only on save. */
export interface OpdDraft {
  code: string;
  isNew: boolean;
  name: string;
  zone: string;
  lat: string;
  lon: string;
}

export type OpdDraftResult =
  | { ok: true; code: string; body: { name: string; zone: string; location: { lat: number; lon: number } | null } }
  | { ok: false; errors: MessageKey[] };

/** A decimal as typed on an Indonesian keyboard too: "-6,2" is -6.2. */
export function decimal(text: string): number | undefined {
  const s = text.trim();
  if (s === '') return undefined;
  const normal = s.includes('.') ? s : s.replace(',', '.');
  if (!/^[+-]?(\d+\.?\d*|\.\d+)$/.test(normal)) return NaN;
  return Number(normal);
}

/** Checks the form the way the central will, so a mistake is named before it is sent. */
export function parseOpdDraft(d: OpdDraft): OpdDraftResult {
  const errors: MessageKey[] = [];
  const code = d.code.trim();
  if (!OPD_CODE.test(code)) errors.push('admin.errCode');
  const name = d.name.trim();
  if (name === '') errors.push('admin.errName');
  const lat = decimal(d.lat);
  const lon = decimal(d.lon);
  let location: { lat: number; lon: number } | null = null;
  if ((lat === undefined) !== (lon === undefined)) errors.push('admin.errPair');
  else if (lat !== undefined && lon !== undefined) {
    if (!(Number.isFinite(lat) && lat >= -90 && lat <= 90)) errors.push('admin.errLat');
    if (!(Number.isFinite(lon) && lon >= -180 && lon <= 180)) errors.push('admin.errLon');
    location = { lat, lon };
  }
  if (errors.length) return { ok: false, errors };
  return { ok: true, code, body: { name, zone: d.zone, location } };
}
