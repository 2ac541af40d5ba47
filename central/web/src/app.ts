/// <reference lib="dom" />
/**
 * The command room web app: one page, one view per address (#/wall, #/absensi,
 * #/kesehatan, #/peringatan, #/pengaduan[/id|baru|aturan], #/laporan[/kinerja], #/data,
 * #/perangkat, #/admin[/code], each with an optional ?opd=CODE filter), kept live
 * without reloading:
 *  - an EventSource on /api/events; every `change` refetches /api/state, /api/cameras
 *    and the open alerts (one fetch at a time, a change during a fetch causes one
 *    more); `alert-raised|acknowledged|cleared` update the alerts at once (and sound
 *    a tone for a new one);
 *  - a panic (a person in danger) gets its own red banner above every view, with the
 *    nearest camera's frame, and a siren repeated until someone acknowledges it;
 *  - a refetch every 15 s whatever happens (the fallback when the stream is down);
 *  - the stream counts as down on an error, or when no event (the central sends a
 *    `ping` every 15 s) arrived for 40 s; then it is reopened;
 *  - the header shows LANGSUNG (green) or TERPUTUS (red) and when the data was last
 *    fetched; older than 45 s, a red banner says the data is old.
 * Any request answered 401 shows the login form; the address stays, so after logging
 * in the user is back where they were. Tabs follow the user's permissions, and a page
 * the role may not open says "Tidak berwenang".
 */
import { AlertBook, alertText, bannerSummary, isPanic, type AlertEventName } from './alerts-model.js';
import { isStatus, request, setUnauthorizedHandler } from './api.js';
import type { ApiAlert, ApiCamera, ApiOpenAlerts, ApiPermission, ApiRecentAlerts, ApiState } from './api-types.js';
import { badge, h } from './dom.js';
import { language, saveLanguage, savedLanguage, setLanguage, t, tMaybe, type MessageKey } from './i18n.js';
import { formatAge, formatDateTime, formatTime } from './model.js';
import { can, currentUser, forgetUser, isAnonymousView, loadUser, logOut, setAnonymousView } from './session.js';
import { loadSoundPreference, onSoundChange, PANIC_TONE_S, panicTonesPlayed, playAlertTone, playPanicTone, setSoundWanted, soundReady, soundWanted, tonesPlayed, unlockSound } from './sound.js';
import type { ViewContext } from './views/context.js';
import { renderAdmin, resetAdmin } from './views/admin.js';
import { renderAlerts } from './views/alerts.js';
import { renderAttendance } from './views/attendance.js';
import { resetComplaintFigures } from './views/complaint-figures.js';
import { renderComplaints, resetComplaints } from './views/complaints.js';
import { resetDatasetTiles } from './views/dataset-tiles.js';
import { renderDatasets, resetDatasets } from './views/datasets.js';
import { renderDevices, resetDevices } from './views/devices.js';
import { renderForbidden } from './views/forbidden.js';
import { renderHealth } from './views/health.js';
import { renderLogin, resetLogin } from './views/login.js';
import { renderPanicBanner, resetPanicBanner } from './views/panic.js';
import { renderReports, resetReports } from './views/reports.js';
import { renderWall, wallKey, wallReset, wallTick } from './views/wall.js';

const REFETCH_MS = 15_000;
const STREAM_SILENT_MS = 40_000;
const DATA_OLD_MS = 45_000;
const RECENT_REFETCH_MS = 10_000;
/**
 * The panic siren (2 s) starts again this often while a panic is open and nobody
 * acknowledged it: 2 s of siren, 2 s to hear a colleague, until someone presses Akui.
 */
const PANIC_TONE_EVERY_MS = 4000;

type View = 'wall' | 'absensi' | 'kesehatan' | 'peringatan' | 'pengaduan' | 'laporan' | 'data' | 'perangkat' | 'admin';
interface ViewSpec {
  view: View;
  label: MessageKey;
  needs: ApiPermission;
  render: (root: HTMLElement, ctx: ViewContext) => void;
}
const VIEWS: ViewSpec[] = [
  { view: 'wall', label: 'nav.wall', needs: 'view', render: renderWall },
  { view: 'absensi', label: 'nav.attendance', needs: 'view', render: renderAttendance },
  { view: 'kesehatan', label: 'nav.health', needs: 'view', render: renderHealth },
  { view: 'peringatan', label: 'nav.alerts', needs: 'view', render: renderAlerts },
  { view: 'pengaduan', label: 'nav.complaints', needs: 'complaints.handle', render: renderComplaints },
  { view: 'laporan', label: 'nav.reports', needs: 'reports.read', render: renderReports },
  { view: 'data', label: 'nav.datasets', needs: 'datasets.manage', render: renderDatasets },
  { view: 'perangkat', label: 'nav.devices', needs: 'devices.manage', render: renderDevices },
  { view: 'admin', label: 'nav.admin', needs: 'registry.manage', render: renderAdmin },
];

/** Requests whose 401 means "viewing needs a login here", not just "this action does". */
const VIEW_PATHS = /^\/api\/(state|cameras|events|alerts(\/recent)?(\?|$)|datasets(\/[^/]+(\/latest)?)?(\?|$))/;

interface Data {
  state: ApiState;
  cameras: ApiCamera[];
}

/** starting: asking who is logged in; login: the form; app: the views. */
let mode: 'starting' | 'login' | 'app' = 'starting';
let loginNote: string | undefined;
let data: Data | undefined;
const alerts = new AlertBook();
let recentFetchedAt = 0;
/** Server clock minus this browser's clock, from the last /api/state (ms). */
let clockOffsetMs = 0;
let lastOkAt: number | undefined;
let fetchFailed = false;
let stream: 'connecting' | 'open' | 'down' = 'connecting';
let lastEventAt = Date.now();
let source: EventSource | undefined;
let inFlight = false;
let again = false;
let panicToneAt = 0;

const storage = (): Storage | undefined => {
  try {
    return window.localStorage;
  } catch {
    return undefined;
  }
};

const $ = <T extends HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} missing from index.html`);
  return el as T;
};

function serverNow(): number {
  return Date.now() + clockOffsetMs;
}

function route(): { spec: ViewSpec; sub: string | undefined; opd: string | undefined } {
  const m = /^#\/([a-z]+)(?:\/([^?]*))?(?:\?(.*))?$/.exec(location.hash);
  const spec = VIEWS.find((v) => v.view === m?.[1]) ?? VIEWS[0]!;
  const opd = new URLSearchParams(m?.[3] ?? '').get('opd') ?? undefined;
  const sub = m?.[2] || undefined;
  return { spec, sub, opd: opd === '' ? undefined : opd };
}

function href(view: View, opd: string | undefined): string {
  return `#/${view}${opd !== undefined ? `?opd=${encodeURIComponent(opd)}` : ''}`;
}

function setOpd(opd: string | undefined): void {
  wallReset();
  const { spec, sub } = route();
  location.hash = `#/${spec.view}${sub ? `/${sub}` : ''}${opd !== undefined ? `?opd=${encodeURIComponent(opd)}` : ''}`;
}

// ---------------------------------------------------------------- data

async function openAlerts(): Promise<ApiAlert[] | undefined> {
  try {
    return (await request<ApiOpenAlerts>('/api/alerts')).open;
  } catch (err) {
    // A central without the alert engine (or an older one): the rest of the page works.
    if (isStatus(err, 404)) {
      alerts.available = false;
      return undefined;
    }
    throw err;
  }
}

function loadRecent(): void {
  recentFetchedAt = Date.now();
  request<ApiRecentAlerts>('/api/alerts/recent?limit=100').then(
    (r) => {
      alerts.setRecent(r.alerts);
      if (route().spec.view === 'peringatan') render();
    },
    () => undefined, // shown as loading; the next refresh tries again
  );
}

async function refresh(): Promise<void> {
  if (mode !== 'app') return;
  if (inFlight) {
    again = true;
    return;
  }
  inFlight = true;
  try {
    const mark = alerts.mark();
    const [state, cameras, open] = await Promise.all([request<ApiState>('/api/state'), request<ApiCamera[]>('/api/cameras'), openAlerts()]);
    const at = Date.parse(state.at);
    if (Number.isFinite(at)) clockOffsetMs = at - Date.now();
    data = { state, cameras };
    if (open) alerts.setOpen(open, mark);
    lastOkAt = Date.now();
    fetchFailed = false;
    if (route().spec.view === 'peringatan' && alerts.available !== false && Date.now() - recentFetchedAt > RECENT_REFETCH_MS) loadRecent();
    render();
  } catch (err) {
    // A 401 has shown the login form already; anything else means the central is out of reach.
    if (!isStatus(err, 401)) {
      fetchFailed = true;
      renderStatus();
    }
  } finally {
    inFlight = false;
    if (again) {
      again = false;
      void refresh();
    }
  }
}

function onAlertEvent(name: AlertEventName, event: MessageEvent<string>): void {
  lastEventAt = Date.now();
  let alert: ApiAlert;
  try {
    alert = JSON.parse(event.data) as ApiAlert;
  } catch {
    return;
  }
  const raised = alerts.apply(name, alert);
  if (raised && isPanic(raised)) soundPanic(true);
  else if (raised) playAlertTone(raised.severity);
  renderPanic();
  renderAlertBanner();
  if (route().spec.view === 'peringatan') render();
}

function connect(): void {
  source?.close();
  stream = 'connecting';
  lastEventAt = Date.now();
  const es = new EventSource('/api/events');
  source = es;
  es.onopen = () => {
    stream = 'open';
    lastEventAt = Date.now();
    renderStatus();
    void refresh(); // whatever changed while the stream was away
  };
  es.addEventListener('change', () => {
    lastEventAt = Date.now();
    void refresh();
  });
  es.addEventListener('ping', () => {
    lastEventAt = Date.now();
    if (stream !== 'open') stream = 'open';
  });
  for (const name of ['alert-raised', 'alert-acknowledged', 'alert-cleared'] as const) es.addEventListener(name, (e) => onAlertEvent(name, e));
  es.onerror = () => {
    stream = 'down';
    renderStatus();
    // An EventSource does not tell a 401 from a dead server: a fetch does.
    void refresh();
    // The browser retries by itself unless the stream is closed for good.
    if (es.readyState === EventSource.CLOSED && source === es) setTimeout(() => source === es && mode === 'app' && connect(), 5000);
  };
}

function stopLive(): void {
  source?.close();
  source = undefined;
  stream = 'connecting';
}

// ---------------------------------------------------------------- login and modes

function enterApp(): void {
  mode = 'app';
  loginNote = undefined;
  if (!source) connect();
  render();
  void refresh();
}

function showLogin(note?: string): void {
  mode = 'login';
  loginNote = note;
  stopLive();
  render();
}

/** Any request answered 401: the session is gone (or viewing needs one here). */
function onUnauthorized(path: string): void {
  if (mode === 'login') return;
  forgetUser();
  if (VIEW_PATHS.test(path)) setAnonymousView(false);
  showLogin();
}

/** The session's user is in session.ts now; what the page showed before may have been another user's. */
function loggedIn(): void {
  data = undefined;
  resetViews();
  enterApp();
}

/** What a view kept of the last user (lists, drafts, a token on screen) goes. */
function resetViews(): void {
  resetDevices();
  resetAdmin();
  resetReports();
  resetComplaints();
  resetComplaintFigures();
  resetDatasets();
  resetDatasetTiles();
  resetPanicBanner();
}

/**
 * Who is here: a session, else whether the central lets anyone view (a kiosk wall),
 * else the login form.
 */
async function boot(): Promise<void> {
  mode = 'starting';
  render();
  try {
    if (await loadUser()) return enterApp();
  } catch {
    // The central is out of reach: the app shows TERPUTUS and keeps trying.
    return enterApp();
  }
  try {
    const state = await request<ApiState>('/api/state', { quiet401: true });
    setAnonymousView(true);
    data = { state, cameras: [] };
    enterApp();
  } catch (err) {
    if (isStatus(err, 401)) {
      setAnonymousView(false);
      showLogin();
    } else enterApp();
  }
}

async function logout(): Promise<void> {
  try {
    await logOut();
  } catch {
    // The session ends at the central when it can be reached; here it is gone anyway.
  }
  stopLive();
  data = undefined;
  alerts.setOpen([], alerts.mark());
  resetLogin();
  resetViews();
  // A kiosk wall goes back to showing the wall, not to a login for the page just left.
  const { spec, opd } = route();
  if (spec.needs !== 'view') history.replaceState(null, '', href('wall', opd));
  await boot();
}

// ---------------------------------------------------------------- rendering

function renderTabs(): void {
  const { spec, opd } = route();
  const shown = VIEWS.filter((v) => can(v.needs));
  $('tabs').setAttribute('aria-label', t('nav.label'));
  // An admin has nine tabs: app.css makes them compact so the bar still fits 1920 px.
  $('tabs').dataset.count = String(shown.length);
  $('tabs').replaceChildren(
    ...shown.map((v) =>
      h('a', { class: `tab${v.view === spec.view ? ' active' : ''}`, href: href(v.view, opd), 'aria-current': v.view === spec.view ? 'page' : undefined, 'data-view': v.view }, t(v.label)),
    ),
  );
}

let filterSignature = '';
function renderFilter(): void {
  $('filter-label').textContent = t('filter.opd');
  const select = $<HTMLSelectElement>('opd-filter');
  const opds = data?.state.opds ?? [];
  const { opd } = route();
  const signature = JSON.stringify([opds.map((o) => [o.code, o.name]), opd, language()]);
  if (signature === filterSignature) return; // rebuilding would close an open list
  filterSignature = signature;
  select.replaceChildren(
    h('option', { value: '' }, t('filter.all')),
    ...[...opds].sort((a, b) => a.name.localeCompare(b.name, 'id')).map((o) => h('option', { value: o.code, selected: o.code === opd }, o.name)),
  );
  if (opd !== undefined && !opds.some((o) => o.code === opd)) select.append(h('option', { value: opd, selected: true }, opd));
  select.value = opd ?? '';
}

function renderSoundToggle(): void {
  const button = $<HTMLButtonElement>('sound-toggle');
  const state = !soundWanted() ? 'off' : soundReady() ? 'on' : 'locked';
  button.dataset.state = state;
  button.dataset.tones = String(tonesPlayed());
  button.dataset.panicTones = String(panicTonesPlayed());
  button.setAttribute('aria-pressed', state === 'off' ? 'false' : 'true');
  button.title = t('sound.hint');
  // ♪ is in the system fonts the wall uses (DejaVu); emoji often are not.
  button.textContent = state === 'off' ? t('sound.off') : `♪ ${state === 'on' ? t('sound.on') : t('sound.locked')}`;
}

let userSignature = '';
function renderUser(): void {
  const user = currentUser();
  const box = $('user');
  // Rebuilt only when it changes: a refresh must not take the keyboard focus off "Keluar".
  const signature = JSON.stringify([mode, user?.username, user?.role, language(), isAnonymousView()]);
  if (signature === userSignature) return;
  userSignature = signature;
  if (mode !== 'app') {
    box.replaceChildren();
    return;
  }
  if (user) {
    box.replaceChildren(
      h('span', { class: 'user-name', id: 'user-name' }, user.username),
      h('span', { class: 'user-role', id: 'user-role', 'data-role': user.role }, tMaybe(`user.role.${user.role}`) ?? user.role),
      h('button', { class: 'btn', id: 'logout', type: 'button', onclick: () => void logout() }, t('user.logout')),
    );
  } else {
    box.replaceChildren(
      h('span', { class: 'user-role anonymous' }, t('user.anonymous')),
      h('button', { class: 'btn', id: 'login-button', type: 'button', onclick: () => showLogin() }, t('user.login')),
    );
  }
}

function renderToolbar(): void {
  renderFilter();
  renderSoundToggle();
  const lang = $<HTMLButtonElement>('lang-toggle');
  lang.textContent = t('lang.switch');
  lang.title = t('lang.switchTitle');
  lang.setAttribute('aria-label', t('lang.switchTitle'));
  lang.lang = language() === 'id' ? 'en' : 'id';
  renderUser();
}

function renderStatus(): void {
  const down = stream !== 'open' || fetchFailed;
  const label = fetchFailed ? t('conn.down') : stream === 'open' ? t('conn.live') : stream === 'connecting' && lastOkAt === undefined ? t('conn.connecting') : t('conn.down');
  const hint = fetchFailed ? t('conn.fetchFailed') : stream !== 'open' ? t('conn.downHint') : '';
  const conn = $('conn');
  conn.className = `conn ${down ? 'conn-down' : 'conn-live'}`;
  conn.dataset.state = down ? 'down' : 'live';
  conn.title = hint;
  conn.replaceChildren(
    h('span', { class: 'conn-pill' }, h('span', { class: 'conn-dot', 'aria-hidden': 'true' }), label),
    h(
      'span',
      { class: 'conn-text' },
      h('span', {}, lastOkAt === undefined ? t('conn.never') : t('conn.updated', { time: formatTime(lastOkAt), age: formatAge((Date.now() - lastOkAt) / 1000) })),
      hint ? h('span', { class: 'conn-hint' }, hint) : null,
    ),
  );
  const banner = $('stale-banner');
  const old = mode === 'app' && lastOkAt !== undefined && Date.now() - lastOkAt > DATA_OLD_MS;
  banner.hidden = !old;
  if (old && lastOkAt !== undefined) banner.textContent = t('conn.staleBanner', { age: formatAge((Date.now() - lastOkAt) / 1000) });
}

/**
 * The siren while a panic is open and unacknowledged: at once for a new press (unless
 * one is still sounding), then every PANIC_TONE_EVERY_MS from tick(). While the browser
 * keeps sound locked it retries every second, so the first click starts it.
 */
function soundPanic(newPress: boolean): void {
  if (mode !== 'app' || alerts.panics().length === 0) return;
  const since = Date.now() - panicToneAt;
  if (since < (newPress ? PANIC_TONE_S * 1000 : PANIC_TONE_EVERY_MS)) return;
  if (playPanicTone()) panicToneAt = Date.now();
}

/** On every view, above everything: the panics nobody acknowledged yet. */
function renderPanic(): void {
  const panics = mode === 'app' ? alerts.panics() : [];
  renderPanicBanner(
    $('panic-banner'),
    {
      panics,
      opds: data?.state.opds ?? [],
      cameras: data?.cameras ?? [],
      nowMs: serverNow(),
      canAck: can('alerts.ack'),
      anonymous: isAnonymousView(),
      acknowledge,
      requestLogin: () => showLogin(),
      alertsHref: href('peringatan', undefined),
    },
    renderPanic,
  );
  document.body.dataset.panic = panics.length > 0 ? 'open' : 'none';
}

/** On every view: how many open device alerts nobody acknowledged, and the one that matters most. */
function renderAlertBanner(): void {
  const banner = $('alert-banner');
  const summary = mode === 'app' ? bannerSummary(alerts.unacknowledgedDeviceAlerts()) : undefined;
  banner.hidden = summary === undefined;
  if (!summary) {
    banner.replaceChildren();
    delete banner.dataset.count;
    delete banner.dataset.signature;
    return;
  }
  const { top, count, critical } = summary;
  const names = new Map((data?.state.opds ?? []).map((o) => [o.code, o.name]));
  const raised = Date.parse(top.raisedAt);
  const time = Number.isFinite(raised) ? formatDateTime(raised, serverNow()) : top.raisedAt;
  const onAlertsPage = route().spec.view === 'peringatan';
  // Unchanged: leave it, so a screen reader does not announce it again on every refresh.
  const signature = JSON.stringify([language(), count, top.id, critical, time, names.get(top.opd), onAlertsPage]);
  if (banner.dataset.signature === signature) return;
  banner.dataset.signature = signature;
  banner.className = `alert-banner ${critical ? 'sev-bad' : 'sev-warn'}`;
  banner.dataset.count = String(count);
  banner.dataset.alertId = String(top.id);
  banner.replaceChildren(
    badge(critical ? t('badge.critical') : t('badge.warning'), critical ? 'bad' : 'warn', 'banner-badge'),
    h('span', { class: 'banner-count' }, t(count === 1 ? 'alert.bannerOne' : 'alert.bannerMany', { n: count })),
    h('span', { class: 'banner-message' }, alertText(top, language())),
    h('span', { class: 'banner-opd' }, names.get(top.opd) ?? top.opd),
    h('span', { class: 'banner-time' }, time),
    ...(onAlertsPage ? [] : [h('a', { class: 'btn banner-link', href: href('peringatan', undefined) }, t('alert.bannerView'))]),
  );
}

async function acknowledge(id: number): Promise<void> {
  const alert = await request<ApiAlert>(`/api/alerts/${id}/ack`, { method: 'POST' });
  // A panic comes back cleared by its acknowledgement: apply() takes it off the open list.
  alerts.apply('alert-acknowledged', alert);
  render();
}

function render(): void {
  const lang = language();
  document.documentElement.lang = lang;
  document.title = t('app.title');
  $('brand').textContent = t('app.title');
  document.body.dataset.mode = mode;
  const { spec, sub, opd } = route();
  document.body.dataset.view = spec.view;
  renderTabs();
  renderToolbar();
  renderStatus();
  renderPanic();
  renderAlertBanner();
  const root = $('view');
  if (mode === 'starting') {
    root.replaceChildren(h('p', { class: 'empty' }, t('common.loading')));
    return;
  }
  if (mode === 'login') {
    renderLogin(root, {
      note: loginNote,
      cancel: isAnonymousView()
        ? () => {
            if (!can(route().spec.needs)) location.hash = href('wall', undefined);
            enterApp();
          }
        : undefined,
      loggedIn,
    });
    return;
  }
  if (!can(spec.needs)) {
    // Not logged in on a kiosk: a login may open the page; logged in: the role may not.
    if (!currentUser()) showLogin(t('login.needed'));
    else renderForbidden(root, spec.needs);
    return;
  }
  if (!data) {
    root.replaceChildren(h('p', { class: 'empty' }, t('conn.never')));
    return;
  }
  if (spec.view === 'peringatan' && alerts.available !== false && !alerts.hasRecent && Date.now() - recentFetchedAt > 2000) loadRecent();
  const ctx: ViewContext = {
    state: data.state,
    cameras: data.cameras,
    nowMs: serverNow(),
    opd,
    sub,
    setOpd,
    rerender: render,
    alerts,
    acknowledge,
    requestLogin: () => showLogin(),
  };
  spec.render(root, ctx);
}

/** Every second: clock, ages, connection state, wall paging. */
function tick(): void {
  $('clock').textContent = formatTime(Date.now());
  if (mode !== 'app') return;
  if (stream === 'open' && Date.now() - lastEventAt > STREAM_SILENT_MS) {
    stream = 'down';
    connect(); // a silently dead connection (NAT, proxy): open a new one
  }
  renderStatus();
  soundPanic(false);
  const now = serverNow();
  for (const el of document.querySelectorAll<HTMLElement>('[data-since]')) {
    const since = Number(el.dataset.since);
    if (Number.isFinite(since)) el.textContent = formatAge((now - since) / 1000);
  }
  if (route().spec.view === 'wall') wallTick();
}

function start(): void {
  setLanguage(savedLanguage(storage()));
  loadSoundPreference(storage());
  setUnauthorizedHandler(onUnauthorized);
  onSoundChange(renderSoundToggle);
  $<HTMLSelectElement>('opd-filter').addEventListener('change', (e) => {
    const value = (e.target as HTMLSelectElement).value;
    setOpd(value === '' ? undefined : value);
  });
  $('lang-toggle').addEventListener('click', () => {
    const next = language() === 'id' ? 'en' : 'id';
    setLanguage(next);
    saveLanguage(storage(), next);
    filterSignature = '';
    render();
  });
  $('sound-toggle').addEventListener('click', () => {
    // On but not yet allowed by the browser: this click is the gesture that allows it.
    if (soundWanted() && !soundReady()) unlockSound();
    else setSoundWanted(!soundWanted(), storage());
  });
  // Any click or key press lets the browser play sound from then on.
  document.addEventListener('pointerdown', unlockSound, { capture: true });
  window.addEventListener('hashchange', () => {
    if (mode === 'app') render();
  });
  document.addEventListener('keydown', (e) => {
    unlockSound();
    if (mode !== 'app') return;
    const target = e.target as HTMLElement | null;
    const inControl = target && target !== document.body && ['INPUT', 'SELECT', 'BUTTON', 'TEXTAREA', 'A'].includes(target.tagName);
    if (inControl && e.key !== 'Escape') return;
    if (route().spec.view === 'wall' && can('view')) wallKey(e);
  });
  if (!location.hash) history.replaceState(null, '', href('wall', undefined));
  setInterval(() => void refresh(), REFETCH_MS);
  setInterval(tick, 1000);
  tick();
  void boot();
}

start();
