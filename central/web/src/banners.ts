/// <reference lib="dom" />
import { alertText, bannerSummary, isPanic } from './alerts-model.js';
import type { ApiAlert } from './api-types.js';
import { badge, byId, h } from './dom.js';
import { language, t } from './i18n.js';
import type { Live } from './live.js';
import { formatDateTime } from './model.js';
import { currentPage, viewHref } from './pages.js';
import { can, isAnonymousView } from './session.js';
import { PANIC_TONE_S, playAlertTone, playPanicTone } from './sound.js';
import { renderPanicBanner } from './views/panic.js';

/**
 * Above every view: a panic (a person in danger) gets its own red banner, with the
 * nearest camera's frame and a siren repeated until someone acknowledges it; below it,
 * how many device alerts nobody acknowledged yet and the one that matters most.
 */

/**
 * The panic siren (2 s) starts again this often while a panic is open and nobody
 * acknowledged it: 2 s of siren, 2 s to hear a colleague, until someone presses Akui.
 */
const PANIC_TONE_EVERY_MS = 4000;

export interface BannerHooks {
  /** Whether the views are shown (not the login form): the banners are empty otherwise. */
  inApp(): boolean;
  showLogin(): void;
}

export class Banners {
  private panicToneAt = 0;

  constructor(
    private readonly live: Live,
    private readonly hooks: BannerHooks,
  ) {}

  render(): void {
    this.renderPanic();
    this.renderAlertBanner();
  }

  /** An alert event arrived: a tone for a new alert (the siren for a panic), and the banners. */
  alertEvent(raised: ApiAlert | undefined): void {
    if (raised && isPanic(raised)) this.soundPanic(true);
    else if (raised) playAlertTone(raised.severity);
    this.render();
  }

  /**
   * The siren while a panic is open and unacknowledged: at once for a new press (unless
   * one is still sounding), then every PANIC_TONE_EVERY_MS from the app's tick. While
   * the browser keeps sound locked it retries every second, so the first click starts it.
   */
  soundPanic(newPress: boolean): void {
    if (!this.hooks.inApp() || this.live.alerts.panics().length === 0) return;
    const since = Date.now() - this.panicToneAt;
    if (since < (newPress ? PANIC_TONE_S * 1000 : PANIC_TONE_EVERY_MS)) return;
    if (playPanicTone()) this.panicToneAt = Date.now();
  }

  /** The panics nobody acknowledged yet; the banner calls it again when its pictures or buttons change. */
  private readonly renderPanic = (): void => {
    const panics = this.hooks.inApp() ? this.live.alerts.panics() : [];
    renderPanicBanner(
      byId('panic-banner'),
      {
        panics,
        opds: this.live.data?.state.opds ?? [],
        cameras: this.live.data?.cameras ?? [],
        nowMs: this.live.serverNow(),
        canAck: can('alerts.ack'),
        anonymous: isAnonymousView(),
        acknowledge: this.live.acknowledge,
        requestLogin: () => this.hooks.showLogin(),
        alertsHref: viewHref('peringatan', undefined),
      },
      this.renderPanic,
    );
    document.body.dataset.panic = panics.length > 0 ? 'open' : 'none';
  };

  private renderAlertBanner(): void {
    const banner = byId('alert-banner');
    const summary = this.hooks.inApp() ? bannerSummary(this.live.alerts.unacknowledgedDeviceAlerts()) : undefined;
    banner.hidden = summary === undefined;
    if (!summary) {
      banner.replaceChildren();
      delete banner.dataset.count;
      delete banner.dataset.signature;
      return;
    }
    const { top, count, critical } = summary;
    const names = new Map((this.live.data?.state.opds ?? []).map((o) => [o.code, o.name]));
    const raised = Date.parse(top.raisedAt);
    const time = Number.isFinite(raised) ? formatDateTime(raised, this.live.serverNow()) : top.raisedAt;
    const onAlertsPage = currentPage().spec.view === 'peringatan';
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
      ...(onAlertsPage ? [] : [h('a', { class: 'btn banner-link', href: viewHref('peringatan', undefined) }, t('alert.bannerView'))]),
    );
  }
}
