/// <reference lib="dom" />
/**
 * The command room web app: one page, three views (#/wall, #/absensi, #/kesehatan,
 * each with an optional ?opd=CODE filter), kept live without reloading:
 *  - an EventSource on /api/events; every `change` refetches /api/state and
 *    /api/cameras (one fetch at a time, a change during a fetch causes one more);
 *  - a refetch every 15 s whatever happens (the fallback when the stream is down);
 *  - the stream counts as down on an error, or when no event (the central sends a
 *    `ping` every 15 s) arrived for 40 s; then it is reopened;
 *  - the header shows LANGSUNG (green) or TERPUTUS (red) and when the data was last
 *    fetched; older than 45 s, a red banner says the data is old.
 */
import type { ApiCamera, ApiState } from './api-types.js';
import { h } from './dom.js';
import { t, type MessageKey } from './i18n.js';
import { formatAge, formatTime } from './model.js';
import type { ViewContext } from './views/context.js';
import { renderAttendance } from './views/attendance.js';
import { renderHealth } from './views/health.js';
import { renderWall, wallKey, wallReset, wallTick } from './views/wall.js';

const REFETCH_MS = 15_000;
const STREAM_SILENT_MS = 40_000;
const DATA_OLD_MS = 45_000;
const FETCH_TIMEOUT_MS = 10_000;

type View = 'wall' | 'absensi' | 'kesehatan';
const VIEWS: { view: View; label: MessageKey }[] = [
  { view: 'wall', label: 'nav.wall' },
  { view: 'absensi', label: 'nav.attendance' },
  { view: 'kesehatan', label: 'nav.health' },
];
const RENDER: Record<View, (root: HTMLElement, ctx: ViewContext) => void> = { wall: renderWall, absensi: renderAttendance, kesehatan: renderHealth };

interface Data {
  state: ApiState;
  cameras: ApiCamera[];
}

let data: Data | undefined;
/** Server clock minus this browser's clock, from the last /api/state (ms). */
let clockOffsetMs = 0;
let lastOkAt: number | undefined;
let fetchFailed = false;
let stream: 'connecting' | 'open' | 'down' = 'connecting';
let lastEventAt = Date.now();
let source: EventSource | undefined;
let inFlight = false;
let again = false;

const $ = <T extends HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} missing from index.html`);
  return el as T;
};

function serverNow(): number {
  return Date.now() + clockOffsetMs;
}

function route(): { view: View; opd: string | undefined } {
  const m = /^#\/([a-z]+)(?:\?(.*))?$/.exec(location.hash);
  const view = VIEWS.find((v) => v.view === m?.[1])?.view ?? 'wall';
  const opd = new URLSearchParams(m?.[2] ?? '').get('opd') ?? undefined;
  return { view, opd: opd === '' ? undefined : opd };
}

function href(view: View, opd: string | undefined): string {
  return `#/${view}${opd !== undefined ? `?opd=${encodeURIComponent(opd)}` : ''}`;
}

function setOpd(opd: string | undefined): void {
  wallReset();
  location.hash = href(route().view, opd);
}

async function getJson<T>(path: string): Promise<T> {
  const res = await fetch(path, { cache: 'no-store', signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

async function refresh(): Promise<void> {
  if (inFlight) {
    again = true;
    return;
  }
  inFlight = true;
  try {
    const [state, cameras] = await Promise.all([getJson<ApiState>('/api/state'), getJson<ApiCamera[]>('/api/cameras')]);
    const at = Date.parse(state.at);
    if (Number.isFinite(at)) clockOffsetMs = at - Date.now();
    data = { state, cameras };
    lastOkAt = Date.now();
    fetchFailed = false;
    render();
  } catch {
    fetchFailed = true;
    renderStatus();
  } finally {
    inFlight = false;
    if (again) {
      again = false;
      void refresh();
    }
  }
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
  es.onerror = () => {
    stream = 'down';
    renderStatus();
    // The browser retries by itself unless the stream is closed for good.
    if (es.readyState === EventSource.CLOSED && source === es) setTimeout(connect, 5000);
  };
}

function renderTabs(): void {
  const { view, opd } = route();
  $('tabs').replaceChildren(
    ...VIEWS.map((v) => h('a', { class: `tab${v.view === view ? ' active' : ''}`, href: href(v.view, opd), 'aria-current': v.view === view ? 'page' : undefined, 'data-view': v.view }, t(v.label))),
  );
}

let filterSignature = '';
function renderFilter(): void {
  const select = $<HTMLSelectElement>('opd-filter');
  const opds = data?.state.opds ?? [];
  const { opd } = route();
  const signature = JSON.stringify([opds.map((o) => [o.code, o.name]), opd]);
  if (signature === filterSignature) return; // rebuilding would close an open list
  filterSignature = signature;
  select.replaceChildren(
    h('option', { value: '' }, t('filter.all')),
    ...[...opds].sort((a, b) => a.name.localeCompare(b.name, 'id')).map((o) => h('option', { value: o.code, selected: o.code === opd }, o.name)),
  );
  if (opd !== undefined && !opds.some((o) => o.code === opd)) select.append(h('option', { value: opd, selected: true }, opd));
  select.value = opd ?? '';
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
  const old = lastOkAt !== undefined && Date.now() - lastOkAt > DATA_OLD_MS;
  banner.hidden = !old;
  if (old && lastOkAt !== undefined) banner.textContent = t('conn.staleBanner', { age: formatAge((Date.now() - lastOkAt) / 1000) });
}

function render(): void {
  renderTabs();
  renderFilter();
  renderStatus();
  const root = $('view');
  const { view, opd } = route();
  document.body.dataset.view = view;
  if (!data) {
    root.replaceChildren(h('p', { class: 'empty' }, t('conn.never')));
    return;
  }
  const ctx: ViewContext = { state: data.state, cameras: data.cameras, nowMs: serverNow(), opd, setOpd, rerender: render };
  RENDER[view](root, ctx);
}

/** Every second: clock, ages, connection state, wall paging. */
function tick(): void {
  $('clock').textContent = formatTime(Date.now());
  if (stream === 'open' && Date.now() - lastEventAt > STREAM_SILENT_MS) {
    stream = 'down';
    connect(); // a silently dead connection (NAT, proxy): open a new one
  }
  renderStatus();
  const now = serverNow();
  for (const el of document.querySelectorAll<HTMLElement>('[data-since]')) {
    const since = Number(el.dataset.since);
    if (Number.isFinite(since)) el.textContent = formatAge((now - since) / 1000);
  }
  if (route().view === 'wall') wallTick();
}

function start(): void {
  document.title = t('app.title');
  $('brand').textContent = t('app.title');
  $('filter-label').textContent = t('filter.opd');
  $<HTMLSelectElement>('opd-filter').addEventListener('change', (e) => {
    const value = (e.target as HTMLSelectElement).value;
    setOpd(value === '' ? undefined : value);
  });
  window.addEventListener('hashchange', render);
  document.addEventListener('keydown', (e) => {
    const target = e.target as HTMLElement | null;
    const inControl = target && target !== document.body && ['INPUT', 'SELECT', 'BUTTON', 'TEXTAREA', 'A'].includes(target.tagName);
    if (inControl && e.key !== 'Escape') return;
    if (route().view === 'wall') wallKey(e);
  });
  if (!location.hash) history.replaceState(null, '', href('wall', undefined));
  render();
  connect();
  void refresh();
  setInterval(() => void refresh(), REFETCH_MS);
  setInterval(tick, 1000);
  tick();
}

start();
