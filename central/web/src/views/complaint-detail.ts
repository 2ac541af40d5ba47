/// <reference lib="dom" />
import { errorText, request } from '../api.js';
import type { ApiComplaintDetail } from '../api-types.js';
import { actorText, complaintOpdName, HISTORY_ACTION, noteText } from '../complaints-model.js';
import { h } from '../dom.js';
import { t } from '../i18n.js';
import { formatInstant } from '../model.js';
import { formatLocation } from '../panic-model.js';
import type { ViewContext } from './context.js';
import { stateBadge } from './complaint-page.js';

/**
 * One complaint beside the list (#/pengaduan/ID): what the citizen wrote, the photo,
 * and its history (received, routed, acknowledged, closed: who, when).
 */

let detail: ApiComplaintDetail | undefined;
let detailError: string | undefined;
let detailId: number | undefined;
let detailLoadedAt = 0;
let detailLoading = false;
let detailSeq = 0;
/** Bumped whenever the complaint changed; the page refills its data parts then. */
let version = 0;

export function detailVersion(): number {
  return version;
}

function loadDetail(ctx: ViewContext, id: number): void {
  const seq = ++detailSeq;
  detailLoading = true;
  if (detailId !== id) {
    detail = undefined;
    detailError = undefined;
  }
  detailId = id;
  request<ApiComplaintDetail>(`/api/complaints/${id}`).then(
    (answer) => {
      if (seq !== detailSeq) return;
      detail = answer;
      detailError = undefined;
    },
    (err: unknown) => {
      if (seq !== detailSeq) return;
      detail = undefined;
      detailError = errorText(err);
    },
  ).finally(() => {
    if (seq !== detailSeq) return;
    detailLoading = false;
    detailLoadedAt = Date.now();
    version++;
    ctx.rerender();
  });
}

/** Loads complaint `id` when another one is shown, or it is older than `everyMs`. */
export function refreshDetail(ctx: ViewContext, id: number, everyMs: number): void {
  if (!detailLoading && (detailId !== id || Date.now() - detailLoadedAt > everyMs)) loadDetail(ctx, id);
}

/** After a step taken here: the complaint now, whatever its age. */
export function reloadDetail(ctx: ViewContext): void {
  if (detailId !== undefined) loadDetail(ctx, detailId);
}

/** Complaint `id` as loaded, undefined while it is not (yet). */
export function loadedComplaint(id: number | undefined): ApiComplaintDetail | undefined {
  return detail && detail.id === id ? detail : undefined;
}

function fact(label: string, ...value: (Node | string | null)[]): HTMLElement[] {
  return [h('dt', {}, label), h('dd', {}, ...value)];
}

export function detailInfo(ctx: ViewContext): HTMLElement {
  if (detailError) return h('p', { class: 'form-error' }, t('common.loadFailed', { error: detailError }));
  const c = detail;
  if (!c || c.id !== detailId) return h('p', { class: 'empty' }, t('common.loading'));
  const opdName = (code: string | null) => complaintOpdName(ctx.state.opds, code);
  const facts: HTMLElement[] = [
    ...fact(t('cmp.category'), c.category),
    ...fact(t('cmp.text'), h('span', { class: 'cmp-full-text' }, c.text)),
    ...fact(t('cmp.address'), c.address ?? '—'),
    ...fact(t('cmp.coords'), c.location ? formatLocation(c.location) : '—'),
    ...fact(t('cmp.opd'), opdName(c.opd)),
    ...fact(t('cmp.received'), `${formatInstant(c.received.at, ctx.nowMs)} · ${c.received.by}`),
  ];
  if (c.externalId) facts.push(...fact(t('cmp.externalId'), h('span', { class: 'mono' }, c.externalId)));
  return h(
    'div',
    { class: 'cmp-detail-info', 'data-id': c.id, 'data-state': c.state },
    h('div', { class: 'panel-head' }, h('h3', {}, t('cmp.detailTitle', { id: c.id })), stateBadge(c)),
    h('dl', { class: 'facts' }, facts),
    c.photo ? h('a', { class: 'cmp-photo-link', href: c.photo, target: '_blank', rel: 'noopener' }, h('img', { class: 'cmp-photo', src: c.photo, alt: t('cmp.photoAlt', { id: c.id }), decoding: 'async' })) : h('p', { class: 'hint' }, t('cmp.noPhoto')),
    h('h4', {}, t('cmp.history')),
    h(
      'table',
      { class: 'table cmp-history' },
      h('thead', {}, h('tr', {}, h('th', {}, t('cmp.step')), h('th', {}, t('cmp.time')), h('th', {}, t('cmp.by')), h('th', {}, t('cmp.opd')), h('th', {}, t('cmp.note')))),
      h(
        'tbody',
        {},
        c.history.map((e) =>
          h(
            'tr',
            { class: 'history-row', 'data-action': e.action },
            h('td', { class: 'history-action' }, t(HISTORY_ACTION[e.action])),
            h('td', { class: 'mono history-at' }, formatInstant(e.at, ctx.nowMs)),
            h('td', { class: 'history-by' }, actorText(e.by)),
            h('td', {}, e.opd === null ? '—' : opdName(e.opd)),
            h('td', { class: 'history-note' }, noteText(e.note) ?? '—'),
          ),
        ),
      ),
    ),
  );
}

export function resetDetail(): void {
  detail = undefined;
  detailError = undefined;
  detailId = undefined;
  detailLoadedAt = 0;
  version++;
}
