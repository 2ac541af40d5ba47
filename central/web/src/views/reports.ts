/// <reference lib="dom" />
import { h } from '../dom.js';
import { language, t } from '../i18n.js';
import { routeHref } from '../route.js';
import type { ViewContext } from './context.js';
import { resultChanged, resultVersion } from './report-fetch.js';
import { fetchPerformance, performanceForm, performanceResult, preparePerformance, resetPerformance } from './report-performance.js';
import { fetchPresence, presenceDraft, presenceForm, presenceResult, resetPresence, scrollToOpenedEmployee } from './report-presence.js';
import { subtabs } from './subtabs.js';

/**
 * Laporan (reports.read): two pages of one view, the presence report
 * (report-presence.ts) and the office performance ranking (report-performance.ts).
 * The OPD is the route's ?opd=, like the filter of the other views, so an address
 * opens a report directly. Reports are not live: they are fetched when what is asked
 * changes, or on "Muat ulang". Nothing here is rebuilt on the app's 15 s refresh, so a
 * form being filled in or a scrolled table stays as it is.
 */

type Sub = 'kehadiran' | 'kinerja';

interface Mounted {
  key: string;
  el: HTMLElement;
  result: HTMLElement;
  resultKey: string;
  /** The OPD the sub-page links carry. */
  navOpd: string | undefined;
  sync: (ctx: ViewContext) => void;
}
let mounted: Mounted | undefined;

function subOf(ctx: ViewContext): Sub {
  return ctx.sub === 'kinerja' ? 'kinerja' : 'kehadiran';
}

function subnav(sub: Sub, ctx: ViewContext): HTMLElement {
  return subtabs(t('rep.sub'), [
    { sub: 'kehadiran', label: t('rep.nav.presence'), href: routeHref('laporan', undefined, ctx.opd), active: sub === 'kehadiran' },
    { sub: 'kinerja', label: t('rep.nav.performance'), href: routeHref('laporan', 'kinerja', ctx.opd), active: sub === 'kinerja' },
  ]);
}

export function renderReports(root: HTMLElement, ctx: ViewContext): void {
  const sub = subOf(ctx);
  const draft = presenceDraft(ctx);
  preparePerformance(ctx);
  if (sub === 'kehadiran' ? fetchPresence(ctx) : fetchPerformance(ctx)) resultChanged();

  const key = `${language()}|${sub}|${ctx.state.opds.map((o) => `${o.code}:${o.name}`).join(',')}`;
  if (!mounted || mounted.key !== key || root.firstElementChild !== mounted.el) {
    const form = sub === 'kehadiran' ? presenceForm(ctx, draft) : performanceForm(ctx);
    // Not aria-live: a screen reader would read out a whole table; loading and errors have their own roles.
    const result = h('div', { class: 'report-result' });
    const el = h('section', { class: `reports-page reports-${sub}` }, subnav(sub, ctx), form.el, result);
    mounted = { key, el, result, resultKey: '', navOpd: ctx.opd, sync: form.sync };
    root.replaceChildren(el);
  }
  mounted.sync(ctx);
  // The sub-page links carry the OPD: keep them current without rebuilding the form.
  if (mounted.navOpd !== ctx.opd) {
    mounted.el.querySelector('.subtabs')?.replaceWith(subnav(sub, ctx));
    mounted.navOpd = ctx.opd;
  }

  const resultKey = `${resultVersion()}|${ctx.opd ?? ''}|${sub}`;
  if (mounted.resultKey === resultKey) return;
  mounted.resultKey = resultKey;
  mounted.result.replaceChildren(...(sub === 'kehadiran' ? presenceResult(ctx) : performanceResult(ctx)));
  scrollToOpenedEmployee(mounted.result);
}

/** Another user (or none) from now on: no report of the last one stays on the page. */
export function resetReports(): void {
  resetPresence();
  resetPerformance();
  mounted = undefined;
  resultChanged();
}
