/// <reference lib="dom" />
import { errorText, isStatus, request } from '../api.js';
import type { ApiComplaintStats, ApiOpd, ApiOpdComplaintStats } from '../api-types.js';
import { complaintOpdName, formatWait, slowestFirst } from '../complaints-model.js';
import { h } from '../dom.js';
import { formatNumber, t } from '../i18n.js';
import { can } from '../session.js';
import type { ViewContext } from './context.js';

/**
 * Response times to complaints per OPD (GET /api/complaints/stats, the last 30 days):
 * in full on the Pengaduan page, and the slowest offices compactly on the health view,
 * so an office is judged by how fast it answers citizens as well as by its devices.
 */

/** The health view asks again this often; the Pengaduan page reloads with its list. */
const HEALTH_RELOAD_MS = 60_000;
/** Offices the compact panel lists. */
const COMPACT_ROWS = 6;

let stats: ApiComplaintStats | undefined;
let loadError: string | undefined;
/** false: this central has no complaint routes (404); the panels stay away. */
let available: boolean | undefined;
let loading = false;
let loadedAt = 0;
let version = 0;

/** Bumped whenever the figures changed: pages rebuild their part then. */
export function figuresVersion(): number {
  return version;
}

export function loadFigures(rerender: () => void): void {
  if (loading) return;
  loading = true;
  request<ApiComplaintStats>('/api/complaints/stats').then(
    (answer) => {
      stats = answer;
      loadError = undefined;
      available = true;
    },
    (err: unknown) => {
      if (isStatus(err, 404)) available = false;
      loadError = errorText(err);
    },
  ).finally(() => {
    loading = false;
    loadedAt = Date.now();
    version++;
    rerender();
  });
}

export function figuresDue(everyMs: number): boolean {
  return !loading && Date.now() - loadedAt > everyMs;
}

function waited(s: ApiOpdComplaintStats, nowMs: number): string {
  if (!s.oldestOpenSince) return '—';
  return formatWait((nowMs - Date.parse(s.oldestOpenSince)) / 1000);
}

/** The full table; `opd` narrows it to one office. */
export function figuresTable(opds: readonly ApiOpd[], opd: string | undefined, nowMs: number): HTMLElement {
  if (!stats) return h('p', { class: loadError ? 'form-error' : 'empty' }, loadError ? t('common.loadFailed', { error: loadError }) : t('common.loading'));
  const rows = slowestFirst(stats.opds).filter((s) => opd === undefined || s.opd === opd);
  if (rows.length === 0) return h('p', { class: 'empty' }, t('cmp.figuresNone'));
  return h(
    'table',
    { class: 'table figures-table' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', {}, t('cmp.opd')),
        h('th', { class: 'num' }, t('cmp.fig.received')),
        h('th', { class: 'num' }, t('cmp.fig.open')),
        h('th', { class: 'num' }, t('cmp.fig.oldest')),
        h('th', { class: 'num' }, t('cmp.fig.ackMedian')),
        h('th', { class: 'num' }, t('cmp.fig.ackP90')),
        h('th', { class: 'num' }, t('cmp.fig.closeMedian')),
        h('th', { class: 'num' }, t('cmp.fig.closeP90')),
      ),
    ),
    h(
      'tbody',
      {},
      rows.map((s) =>
        h(
          'tr',
          { class: `figure-row${s.open > 0 && s.acknowledge.count === 0 ? ' silent' : ''}`, 'data-opd': s.opd ?? '-' },
          h('td', {}, complaintOpdName(opds, s.opd)),
          h('td', { class: 'num received' }, formatNumber(s.received)),
          h('td', { class: `num open${s.open > 0 ? ' has-value' : ''}` }, formatNumber(s.open)),
          h('td', { class: 'num oldest' }, waited(s, nowMs)),
          h('td', { class: 'num ack-median' }, formatWait(s.acknowledge.medianS)),
          h('td', { class: 'num ack-p90' }, formatWait(s.acknowledge.p90S)),
          h('td', { class: 'num close-median' }, formatWait(s.close.medianS)),
          h('td', { class: 'num close-p90' }, formatWait(s.close.p90S)),
        ),
      ),
    ),
  );
}

/** For the health view: the slowest offices, or nothing for a user (or central) without complaints. */
export function complaintFiguresPanel(ctx: ViewContext): HTMLElement | null {
  if (!can('complaints.handle') || available === false) return null;
  if (figuresDue(HEALTH_RELOAD_MS)) loadFigures(ctx.rerender);
  if (!stats) return null;
  const rows = slowestFirst(stats.opds).filter((s) => s.opd !== null && (ctx.opd === undefined || s.opd === ctx.opd));
  const shown = rows.slice(0, COMPACT_ROWS);
  return h(
    'div',
    { class: 'panel figures-compact' },
    h('div', { class: 'panel-head' }, h('h2', {}, t('cmp.figuresCompactTitle')), h('a', { class: 'btn', href: '#/pengaduan' }, t('cmp.figuresAll'))),
    shown.length === 0
      ? h('p', { class: 'empty' }, t('cmp.figuresNone'))
      : h(
          'table',
          { class: 'table figures-table compact' },
          h('thead', {}, h('tr', {}, h('th', {}, t('cmp.opd')), h('th', { class: 'num' }, t('cmp.fig.open')), h('th', { class: 'num' }, t('cmp.fig.ackMedian')), h('th', { class: 'num' }, t('cmp.fig.ackP90')), h('th', { class: 'num' }, t('cmp.fig.oldest')))),
          h(
            'tbody',
            {},
            shown.map((s) =>
              h(
                'tr',
                { class: `figure-row${s.open > 0 && s.acknowledge.count === 0 ? ' silent' : ''}`, 'data-opd': s.opd ?? '-' },
                h('td', {}, complaintOpdName(ctx.state.opds, s.opd)),
                h('td', { class: `num open${s.open > 0 ? ' has-value' : ''}` }, formatNumber(s.open)),
                h('td', { class: 'num ack-median' }, formatWait(s.acknowledge.medianS)),
                h('td', { class: 'num ack-p90' }, formatWait(s.acknowledge.p90S)),
                h('td', { class: 'num oldest' }, waited(s, ctx.nowMs)),
              ),
            ),
          ),
        ),
    rows.length > shown.length ? h('p', { class: 'hint' }, t('cmp.figuresMore', { n: rows.length - shown.length })) : null,
  );
}

export function resetComplaintFigures(): void {
  stats = undefined;
  loadError = undefined;
  available = undefined;
  loadedAt = 0;
  version++;
}
