/// <reference lib="dom" />
import { byId, h } from './dom.js';
import { language, saveLanguage, savedLanguage, setLanguage, t, tMaybe } from './i18n.js';
import type { Live } from './live.js';
import { formatAge, formatTime } from './model.js';
import { currentPage, setOpd, viewHref, VIEWS } from './pages.js';
import { can, currentUser, isAnonymousView, userOpd } from './session.js';
import { loadSoundPreference, onSoundChange, panicTonesPlayed, setSoundWanted, soundReady, soundWanted, tonesPlayed, unlockSound } from './sound.js';

/**
 * The header: the tabs (as the user's permissions allow), the OPD filter, sound and
 * language, who is logged in, and the connection: LANGSUNG (green) or TERPUTUS (red)
 * and when the data was last fetched; older than 45 s, a red banner says the data is old.
 * A user of one OPD sees its name where the filter is, fixed: they cannot choose another.
 */

const DATA_OLD_MS = 45_000;

/** starting: asking who is logged in; login: the form; app: the views. */
export type AppMode = 'starting' | 'login' | 'app';

export interface HeaderHooks {
  mode(): AppMode;
  logout(): void;
  showLogin(): void;
  /** The whole page again, in another language. */
  rerender(): void;
}

/** Private browsing or a policy may forbid storage: the preferences then last for the visit. */
function storage(): Storage | undefined {
  try {
    return window.localStorage;
  } catch {
    return undefined;
  }
}

export class Header {
  /** What the OPD list was built from: rebuilding it unchanged would close an open list. */
  private filterSignature = '';
  /** What the user box was built from: rebuilding it would take the keyboard focus off "Keluar". */
  private userSignature = '';

  constructor(
    private readonly live: Live,
    private readonly hooks: HeaderHooks,
  ) {}

  /** The saved language and sound choice, and the header's controls. */
  start(): void {
    setLanguage(savedLanguage(storage()));
    loadSoundPreference(storage());
    onSoundChange(() => this.renderSoundToggle());
    byId<HTMLSelectElement>('opd-filter').addEventListener('change', (e) => {
      const value = (e.target as HTMLSelectElement).value;
      setOpd(value === '' ? undefined : value);
    });
    byId('lang-toggle').addEventListener('click', () => {
      const next = language() === 'id' ? 'en' : 'id';
      setLanguage(next);
      saveLanguage(storage(), next);
      this.filterSignature = '';
      this.hooks.rerender();
    });
    byId('sound-toggle').addEventListener('click', () => {
      // On but not yet allowed by the browser: this click is the gesture that allows it.
      if (soundWanted() && !soundReady()) unlockSound();
      else setSoundWanted(!soundWanted(), storage());
    });
  }

  render(): void {
    this.renderTabs();
    this.renderFilter();
    this.renderSoundToggle();
    this.renderLanguage();
    this.renderUser();
    this.renderStatus();
  }

  renderClock(): void {
    byId('clock').textContent = formatTime(Date.now());
  }

  renderStatus(): void {
    const { stream, lastOkAt, fetchFailed } = this.live.connection();
    const down = stream !== 'open' || fetchFailed;
    const label = fetchFailed ? t('conn.down') : stream === 'open' ? t('conn.live') : stream === 'connecting' && lastOkAt === undefined ? t('conn.connecting') : t('conn.down');
    const hint = fetchFailed ? t('conn.fetchFailed') : stream !== 'open' ? t('conn.downHint') : '';
    const conn = byId('conn');
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
    const banner = byId('stale-banner');
    const old = this.hooks.mode() === 'app' && lastOkAt !== undefined && Date.now() - lastOkAt > DATA_OLD_MS;
    banner.hidden = !old;
    if (old && lastOkAt !== undefined) banner.textContent = t('conn.staleBanner', { age: formatAge((Date.now() - lastOkAt) / 1000) });
  }

  private renderTabs(): void {
    const { spec, opd } = currentPage();
    const shown = VIEWS.filter((v) => can(v.needs));
    const tabs = byId('tabs');
    tabs.setAttribute('aria-label', t('nav.label'));
    // An admin has nine tabs: app.css makes them compact so the bar still fits 1920 px.
    tabs.dataset.count = String(shown.length);
    tabs.replaceChildren(
      ...shown.map((v) =>
        h('a', { class: `tab${v.view === spec.view ? ' active' : ''}`, href: viewHref(v.view, opd), 'aria-current': v.view === spec.view ? 'page' : undefined, 'data-view': v.view }, t(v.label)),
      ),
    );
  }

  private renderFilter(): void {
    byId('filter-label').textContent = t('filter.opd');
    const select = byId<HTMLSelectElement>('opd-filter');
    const opds = this.live.data?.state.opds ?? [];
    const { opd } = currentPage();
    const own = userOpd();
    const signature = JSON.stringify([opds.map((o) => [o.code, o.name]), opd, language(), own]);
    if (signature === this.filterSignature) return;
    this.filterSignature = signature;
    select.disabled = own !== undefined;
    select.title = own ? t('filter.ownOpd') : '';
    if (own) {
      select.replaceChildren(h('option', { value: own.code, selected: true }, own.name));
      return;
    }
    select.replaceChildren(
      h('option', { value: '' }, t('filter.all')),
      ...[...opds].sort((a, b) => a.name.localeCompare(b.name, 'id')).map((o) => h('option', { value: o.code, selected: o.code === opd }, o.name)),
    );
    if (opd !== undefined && !opds.some((o) => o.code === opd)) select.append(h('option', { value: opd, selected: true }, opd));
    select.value = opd ?? '';
  }

  private renderSoundToggle(): void {
    const button = byId<HTMLButtonElement>('sound-toggle');
    const state = !soundWanted() ? 'off' : soundReady() ? 'on' : 'locked';
    button.dataset.state = state;
    button.dataset.tones = String(tonesPlayed());
    button.dataset.panicTones = String(panicTonesPlayed());
    button.setAttribute('aria-pressed', state === 'off' ? 'false' : 'true');
    button.title = t('sound.hint');
    // ♪ is in the system fonts the wall uses (DejaVu); emoji often are not.
    button.textContent = state === 'off' ? t('sound.off') : `♪ ${state === 'on' ? t('sound.on') : t('sound.locked')}`;
  }

  private renderLanguage(): void {
    const lang = byId<HTMLButtonElement>('lang-toggle');
    lang.textContent = t('lang.switch');
    lang.title = t('lang.switchTitle');
    lang.setAttribute('aria-label', t('lang.switchTitle'));
    lang.lang = language() === 'id' ? 'en' : 'id';
  }

  private renderUser(): void {
    const user = currentUser();
    const box = byId('user');
    const mode = this.hooks.mode();
    const signature = JSON.stringify([mode, user?.username, user?.role, user?.opd, language(), isAnonymousView()]);
    if (signature === this.userSignature) return;
    this.userSignature = signature;
    if (mode !== 'app') {
      box.replaceChildren();
      return;
    }
    if (user) {
      box.replaceChildren(
        h('span', { class: 'user-name', id: 'user-name' }, user.username),
        h(
          'span',
          { class: 'user-role', id: 'user-role', 'data-role': user.role, 'data-opd': user.opd?.code, title: user.opd ? t('user.opdOf', { opd: user.opd.name }) : undefined },
          tMaybe(`user.role.${user.role}`) ?? user.role,
        ),
        h('button', { class: 'btn', id: 'logout', type: 'button', onclick: () => this.hooks.logout() }, t('user.logout')),
      );
    } else {
      box.replaceChildren(
        h('span', { class: 'user-role anonymous' }, t('user.anonymous')),
        h('button', { class: 'btn', id: 'login-button', type: 'button', onclick: () => this.hooks.showLogin() }, t('user.login')),
      );
    }
  }
}
