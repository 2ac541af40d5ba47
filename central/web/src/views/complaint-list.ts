/// <reference lib="dom" />
import { errorText, request } from '../api.js';
import type { ApiComplaint, ApiComplaintList } from '../api-types.js';
import { complaintOpdName, complaintsPath, type ListState } from '../complaints-model.js';
import { ageText, h } from '../dom.js';
import { t } from '../i18n.js';
import { formatAge, formatInstant } from '../model.js';
import { formatLocation } from '../panic-model.js';
import type { ViewContext } from './context.js';
import { pageHref, stateBadge } from './complaint-page.js';

/** The complaints of the list page (open or all, the toolbar's OPD): loading them and the table. */

let listState: ListState = 'open';
let list: ApiComplaint[] | undefined;
let listError: string | undefined;
let listPath = '';
let listLoadedAt = 0;
let listLoading = false;
let listSeq = 0;
/** Bumped whenever the list changed; the page refills its data parts then. */
let version = 0;

export function listVersion(): number {
  return version;
}

function loadList(ctx: ViewContext, path: string): void {
  const seq = ++listSeq;
  listLoading = true;
  request<ApiComplaintList>(path).then(
    (answer) => {
      if (seq !== listSeq) return;
      list = answer.complaints;
      listPath = path;
      listError = undefined;
    },
    (err: unknown) => {
      if (seq !== listSeq) return;
      listError = errorText(err);
    },
  ).finally(() => {
    if (seq !== listSeq) return;
    listLoading = false;
    listLoadedAt = Date.now();
    version++;
    ctx.rerender();
  });
}

/** Loads the list the route asks for when it is another one, or older than `everyMs`. */
export function refreshList(ctx: ViewContext, everyMs: number): void {
  const path = complaintsPath(listState, ctx.opd);
  if (listLoading || (path === listPath && Date.now() - listLoadedAt <= everyMs)) return;
  if (path !== listPath) list = undefined;
  loadList(ctx, path);
}

/** After a step taken here: the list now, whatever its age. */
export function reloadList(ctx: ViewContext): void {
  loadList(ctx, complaintsPath(listState, ctx.opd));
}

/** A complaint was filed: the list is out of date, and is fetched when it is shown next. */
export function expireList(): void {
  listLoadedAt = 0;
}

/** Open or all: another list, fetched at once. */
export function listStateSelect(ctx: ViewContext): HTMLSelectElement {
  const select = h(
    'select',
    { id: 'cmp-state-filter' },
    h('option', { value: 'open', selected: listState === 'open' }, t('cmp.filterOpen')),
    h('option', { value: 'all', selected: listState === 'all' }, t('cmp.filterAll')),
  );
  select.addEventListener('change', () => {
    listState = select.value === 'all' ? 'all' : 'open';
    list = undefined;
    version++;
    loadList(ctx, complaintsPath(listState, ctx.opd));
  });
  return select;
}

export function listHeading(): string {
  return list ? t(listState === 'open' ? 'cmp.listOpen' : 'cmp.listAll', { n: list.length }) : t('cmp.listTitle');
}

function where(c: ApiComplaint): string {
  const parts = [c.address, c.location ? formatLocation(c.location) : null].filter((x): x is string => x !== null);
  return parts.join(' · ') || '—';
}

function shorten(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

export function listTable(ctx: ViewContext, selected: number | undefined): HTMLElement {
  if (!list) return h('p', { class: listError ? 'form-error' : 'empty' }, listError ? t('common.loadFailed', { error: listError }) : t('common.loading'));
  const rows = list;
  if (rows.length === 0) return h('p', { class: 'empty' }, listState === 'open' ? t('cmp.noneOpen') : t('cmp.none'));
  const open = (id: number) => (location.hash = pageHref(String(id), ctx.opd));
  return h(
    'div',
    {},
    listError ? h('p', { class: 'form-error' }, t('common.loadFailed', { error: listError })) : null,
    h(
      'table',
      { class: 'table complaint-table' },
      h(
        'thead',
        {},
        h('tr', {}, h('th', { class: 'num' }, '#'), h('th', {}, t('cmp.received')), h('th', {}, t('cmp.category')), h('th', {}, t('cmp.text')), h('th', {}, t('cmp.where')), h('th', {}, t('cmp.opd')), h('th', {}, t('cmp.state'))),
      ),
      h(
        'tbody',
        {},
        rows.map((c) => {
          const receivedMs = Date.parse(c.received.at);
          return h(
            'tr',
            {
              class: `complaint-row state-${c.state}${c.id === selected ? ' selected' : ''}`,
              'data-id': c.id,
              'data-state': c.state,
              'data-opd': c.opd ?? '',
              tabindex: 0,
              onclick: () => open(c.id),
              onkeydown: (e: Event) => {
                if ((e as KeyboardEvent).key === 'Enter') open(c.id);
              },
            },
            h('td', { class: 'num mono' }, String(c.id)),
            h('td', { class: 'cmp-when' }, formatInstant(c.received.at, ctx.nowMs), c.state !== 'closed' ? h('span', { class: 'cmp-age' }, ageText(receivedMs, formatAge((ctx.nowMs - receivedMs) / 1000))) : null),
            h('td', { class: 'cmp-category' }, c.category),
            h('td', { class: 'cmp-text' }, shorten(c.text, 90), c.photo ? [' ', h('span', { class: 'cmp-has-photo' }, t('cmp.photo'))] : null),
            h('td', { class: 'cmp-where' }, shorten(where(c), 60)),
            h('td', { class: 'cmp-opd' }, complaintOpdName(ctx.state.opds, c.opd)),
            h('td', {}, stateBadge(c)),
          );
        }),
      ),
    ),
  );
}

export function resetList(): void {
  list = undefined;
  listError = undefined;
  listPath = '';
  listLoadedAt = 0;
  version++;
}
