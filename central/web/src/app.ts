/// <reference lib="dom" />
/**
 * The command room web app: one page, one view per address (pages.ts), kept live
 * without reloading (live.ts), under a header (header.ts) and the alert banners
 * (banners.ts). This wires them together and decides what the page shows:
 * any request answered 401 shows the login form; the address stays, so after logging
 * in the user is back where they were. Tabs follow the user's permissions, and a page
 * the role may not open says "Tidak berwenang".
 */
import { isStatus, request, setUnauthorizedHandler } from './api.js';
import type { ApiState } from './api-types.js';
import { Banners } from './banners.js';
import { byId, h } from './dom.js';
import { Header, type AppMode } from './header.js';
import { language, t } from './i18n.js';
import { Live } from './live.js';
import { formatAge } from './model.js';
import { currentPage, resetViews, setOpd, viewHref } from './pages.js';
import { can, currentUser, forgetUser, isAnonymousView, loadUser, logOut, setAnonymousView } from './session.js';
import { unlockSound } from './sound.js';
import { complaintsEvent } from './views/complaints.js';
import type { ViewContext } from './views/context.js';
import { datasetTilesEvent } from './views/dataset-tiles.js';
import { datasetsEvent } from './views/datasets.js';
import { renderForbidden } from './views/forbidden.js';
import { renderLogin, resetLogin } from './views/login.js';
import { wallKey, wallTick } from './views/wall.js';

/** Requests whose 401 means "viewing needs a login here", not just "this action does". */
const VIEW_PATHS = /^\/api\/(state|cameras|events|alerts(\/recent)?(\?|$)|datasets(\/[^/]+(\/latest)?)?(\?|$))/;

let mode: AppMode = 'starting';
let loginNote: string | undefined;

const onAlertsPage = (): boolean => currentPage().spec.view === 'peringatan';

const live = new Live({
  active: () => mode === 'app',
  onAlertsPage,
  changed: () => render(),
  connectionChanged: () => header.renderStatus(),
  alertEvent: (raised) => {
    banners.alertEvent(raised);
    if (onAlertsPage()) render();
  },
  // The pages fetch what changed themselves: the event's body names no more than ids.
  complaintEvent: () => complaintsEvent(render),
  datasetEvent: () => {
    datasetsEvent(render);
    datasetTilesEvent();
  },
});
const header = new Header(live, {
  mode: () => mode,
  logout: () => void logout(),
  showLogin: () => showLogin(),
  rerender: () => render(),
});
const banners = new Banners(live, {
  inApp: () => mode === 'app',
  showLogin: () => showLogin(),
});

// ---------------------------------------------------------------- login and modes

function enterApp(): void {
  mode = 'app';
  loginNote = undefined;
  live.open();
  render();
  void live.refresh();
}

function showLogin(note?: string): void {
  mode = 'login';
  loginNote = note;
  live.stop();
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
  live.data = undefined;
  resetViews();
  enterApp();
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
    live.data = { state, cameras: [] };
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
  live.stop();
  live.data = undefined;
  live.alerts.setOpen([], live.alerts.mark());
  resetLogin();
  resetViews();
  // A kiosk wall goes back to showing the wall, not to a login for the page just left.
  const { spec, opd } = currentPage();
  if (spec.needs !== 'view') history.replaceState(null, '', viewHref('wall', opd));
  await boot();
}

// ---------------------------------------------------------------- rendering

function render(): void {
  document.documentElement.lang = language();
  document.title = t('app.title');
  byId('brand').textContent = t('app.title');
  document.body.dataset.mode = mode;
  const { spec, sub, opd } = currentPage();
  document.body.dataset.view = spec.view;
  header.render();
  banners.render();
  const root = byId('view');
  if (mode === 'starting') {
    root.replaceChildren(h('p', { class: 'empty' }, t('common.loading')));
    return;
  }
  if (mode === 'login') {
    renderLogin(root, {
      note: loginNote,
      cancel: isAnonymousView()
        ? () => {
            if (!can(currentPage().spec.needs)) location.hash = viewHref('wall', undefined);
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
  if (!live.data) {
    root.replaceChildren(h('p', { class: 'empty' }, t('conn.never')));
    return;
  }
  if (spec.view === 'peringatan') live.wantRecent();
  const ctx: ViewContext = {
    state: live.data.state,
    cameras: live.data.cameras,
    nowMs: live.serverNow(),
    opd,
    sub,
    setOpd,
    rerender: render,
    alerts: live.alerts,
    acknowledge: live.acknowledge,
    requestLogin: () => showLogin(),
  };
  spec.render(root, ctx);
}

/** Every second: clock, ages, connection state, the siren, wall paging. */
function tick(): void {
  header.renderClock();
  if (mode !== 'app') return;
  live.watchdog();
  header.renderStatus();
  banners.soundPanic(false);
  const now = live.serverNow();
  for (const el of document.querySelectorAll<HTMLElement>('[data-since]')) {
    const since = Number(el.dataset.since);
    if (Number.isFinite(since)) el.textContent = formatAge((now - since) / 1000);
  }
  if (currentPage().spec.view === 'wall') wallTick();
}

function start(): void {
  header.start();
  setUnauthorizedHandler(onUnauthorized);
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
    if (currentPage().spec.view === 'wall' && can('view')) wallKey(e);
  });
  if (!location.hash) history.replaceState(null, '', viewHref('wall', undefined));
  live.start();
  setInterval(tick, 1000);
  tick();
  void boot();
}

start();
