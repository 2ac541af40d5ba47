/// <reference lib="dom" />
import type { ApiOfficePerformance, ApiPerformanceRanking, ApiRankedOffice, ApiRankingSort } from '../api-types.js';
import { h } from '../dom.js';
import { formatNumber, t, type MessageKey } from '../i18n.js';
import { dateInZone, formatInstant, viewerZone } from '../model.js';
import { formatDuration, formatPeriod, formatShare, isMonth, performancePath, RANKING_SORTS, shareSeverity } from '../reports-model.js';
import type { ViewContext } from './context.js';
import { field, syncValue } from './form-parts.js';
import { officeDetail, shareCell } from './report-office.js';
import { Fetched, redraw, resultChanged, retry, stateOf } from './report-fetch.js';

/**
 * Laporan, #/laporan/kinerja[?opd=CODE]: the office performance ranking of a month,
 * sortable as the central sorts it; a click on an OPD shows its performance beside it.
 */

const ranking = new Fetched<ApiPerformanceRanking>(true);
const office = new Fetched<ApiOfficePerformance>();

let perfMonth: string | undefined;
let perfMonthError = false;
let sort: ApiRankingSort = 'score';

/** The month asked for: the viewer's current month the first time. */
export function preparePerformance(ctx: ViewContext): void {
  perfMonth ??= dateInZone(ctx.nowMs, viewerZone()).slice(0, 7);
}

/** Fetches the ranking (and the chosen OPD's detail) unless fetched already; true when a fetch started. */
export function fetchPerformance(ctx: ViewContext): boolean {
  if (perfMonth === undefined || !isMonth(perfMonth)) return false;
  const done = redraw(ctx);
  let started = ranking.want(performancePath(perfMonth, { sort }), done);
  if (ctx.opd !== undefined) started = office.want(performancePath(perfMonth, { opd: ctx.opd }), done) || started;
  return started;
}

export function performanceForm(ctx: ViewContext): { el: HTMLElement; sync: (ctx: ViewContext) => void } {
  const month = h('input', { id: 'perf-month', type: 'month', value: perfMonth ?? '', placeholder: t('rep.monthPlaceholder'), autocomplete: 'off' });
  const error = h('p', { class: 'form-error', role: 'alert' });
  const read = () => {
    perfMonth = month.value.trim();
    perfMonthError = !isMonth(perfMonth);
  };
  month.addEventListener('change', () => {
    read();
    ctx.rerender();
  });
  const el = h(
    'form',
    {
      class: 'panel report-form',
      id: 'perf-form',
      novalidate: true,
      onsubmit: (e: Event) => {
        e.preventDefault();
        read();
        if (!perfMonthError && perfMonth !== undefined) {
          // Reload what is shown; a new month is fetched by the render below.
          const path = performancePath(perfMonth, { sort });
          if (path === ranking.path) ranking.load(path, redraw(ctx));
          const detailPath = ctx.opd !== undefined ? performancePath(perfMonth, { opd: ctx.opd }) : undefined;
          if (detailPath !== undefined && detailPath === office.path) office.load(detailPath, redraw(ctx));
          resultChanged();
        }
        ctx.rerender();
      },
    },
    h('div', { class: 'form-grid' }, field('perf-month', t('perf.month'), month), h('div', { class: 'field field-submit' }, h('button', { class: 'btn btn-primary', type: 'submit' }, t('rep.show')))),
    error,
  );
  const sync = () => {
    syncValue(month, perfMonth ?? '');
    error.textContent = perfMonthError ? t('rep.errMonth') : '';
    error.hidden = !perfMonthError;
  };
  return { el, sync };
}

const SORT_LABEL: Record<ApiRankingSort, MessageKey> = {
  score: 'perf.score',
  workdays: 'perf.workdays',
  uptime: 'perf.uptime',
  cameras: 'perf.cameras',
  response: 'perf.median',
};

function sortHeader(key: ApiRankingSort, ctx: ViewContext): HTMLElement {
  const active = sort === key;
  // "response" is best when shortest; every other key when highest.
  const direction = key === 'response' ? 'ascending' : 'descending';
  return h(
    'th',
    { class: 'num sortable', scope: 'col', 'aria-sort': active ? direction : undefined },
    h(
      'button',
      {
        class: `sort-btn${active ? ' active' : ''}`,
        type: 'button',
        'data-sort': key,
        title: t('perf.sortBy', { key: t(SORT_LABEL[key]) }),
        onclick: () => {
          if (sort === key) return;
          sort = key;
          resultChanged();
          ctx.rerender();
        },
      },
      t(SORT_LABEL[key]),
      h('span', { class: 'sort-mark', 'aria-hidden': 'true' }, active ? (key === 'response' ? ' ▲' : ' ▼') : ' ⇅'),
    ),
  );
}

function rankingTable(rk: ApiPerformanceRanking, ctx: ViewContext): HTMLElement {
  const select = (code: string) => ctx.setOpd(code === ctx.opd ? undefined : code);
  const row = (o: ApiRankedOffice) =>
    h(
      'tr',
      {
        class: `rank-row${o.opd.code === ctx.opd ? ' selected' : ''}`,
        'data-opd': o.opd.code,
        'data-rank': o.rank,
        tabindex: 0,
        'aria-selected': o.opd.code === ctx.opd ? 'true' : 'false',
        onclick: () => select(o.opd.code),
        onkeydown: (e: Event) => {
          if ((e as KeyboardEvent).key === 'Enter') select(o.opd.code);
        },
      },
      h('td', { class: 'num rank' }, formatNumber(o.rank)),
      h('td', { class: 'opd' }, h('span', { class: 'opd-title' }, o.opd.name), h('span', { class: 'opd-code' }, o.opd.code)),
      h(
        'td',
        { class: `num share score share-${shareSeverity(o.score)}`, title: o.score === null ? t('perf.nothing') : undefined },
        o.score !== null ? h('meter', { class: 'score-meter', min: 0, max: 1, low: 0.7, high: 0.9, optimum: 1, value: o.score, 'aria-hidden': 'true' }) : null,
        h('span', { class: 'share-value' }, formatShare(o.score)),
      ),
      shareCell('workdays', o.workdays.share, o.workdays.planned > 0 ? t('perf.daysOf', { n: o.workdays.withPunches, total: o.workdays.planned }) : undefined),
      shareCell('uptime', o.gateways.average),
      shareCell('cameras', o.cameras.average),
      h('td', { class: 'num median' }, formatDuration(o.alerts.medianS)),
      h('td', { class: 'num p90' }, formatDuration(o.alerts.p90S)),
      h('td', { class: `num unacked${o.alerts.unacknowledged > 0 ? ' has-value' : ''}` }, formatNumber(o.alerts.unacknowledged)),
    );
  return h(
    'table',
    { class: 'table perf-table', 'data-sort': rk.sort },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', { class: 'num', scope: 'col' }, t('perf.rank')),
        h('th', { scope: 'col' }, t('perf.opd')),
        RANKING_SORTS.filter((k) => k !== 'response').map((k) => sortHeader(k, ctx)),
        sortHeader('response', ctx),
        h('th', { class: 'num', scope: 'col' }, t('perf.p90')),
        h('th', { class: 'num', scope: 'col' }, t('perf.unacked')),
      ),
    ),
    h('tbody', {}, rk.offices.map(row)),
  );
}

export function performanceResult(ctx: ViewContext): HTMLElement[] {
  const table = stateOf(ranking, retry(ranking, ctx), (rk) =>
    h(
      'section',
      { class: 'panel perf-ranking', 'data-month': rk.period.label },
      h('h2', {}, t('perf.title', { period: formatPeriod(rk.period) })),
      h('p', { class: 'hint' }, t('rep.generated', { time: formatInstant(rk.generatedAt, ctx.nowMs) }), ' · ', t('perf.hint')),
      rk.offices.length ? rankingTable(rk, ctx) : h('p', { class: 'empty' }, t('perf.none')),
      h('p', { class: 'hint' }, t('perf.scoreHint')),
    ),
  );
  if (ctx.opd === undefined) return [h('div', { class: 'perf-cols' }, h('div', { class: 'perf-main' }, table))];
  const name = ctx.state.opds.find((o) => o.code === ctx.opd)?.name ?? office.data?.opd.name ?? ctx.opd;
  const side = h(
    'aside',
    { class: 'panel perf-detail', 'data-opd': ctx.opd },
    h(
      'div',
      { class: 'panel-head' },
      h('h3', {}, t('perf.detailTitle', { opd: `${name} (${ctx.opd})` })),
      h('button', { class: 'btn btn-close', type: 'button', onclick: () => ctx.setOpd(undefined) }, t('rep.close')),
    ),
    stateOf(office, retry(office, ctx), (p) => officeDetail(p)),
  );
  return [h('div', { class: 'perf-cols with-detail' }, h('div', { class: 'perf-main' }, table), side)];
}

export function resetPerformance(): void {
  ranking.clear();
  office.clear();
  perfMonth = undefined;
  perfMonthError = false;
  sort = 'score';
}
