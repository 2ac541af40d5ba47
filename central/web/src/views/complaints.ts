/// <reference lib="dom" />
import { errorText, request } from '../api.js';
import type { ApiComplaint, ApiComplaintDetail, ApiComplaintList, ApiRoutingRules } from '../api-types.js';
import {
  actorText,
  COMPLAINT_STATE,
  complaintsPath,
  emptyComplaintDraft,
  HISTORY_ACTION,
  NOTE_MAX,
  noteText,
  parseComplaintDraft,
  parseRulesDraft,
  photoProblem,
  type ComplaintDraft,
  type ListState,
  type RuleDraft,
} from '../complaints-model.js';
import { ageText, badge, h } from '../dom.js';
import { language, t } from '../i18n.js';
import { formatAge, formatInstant } from '../model.js';
import { formatLocation } from '../panic-model.js';
import { can } from '../session.js';
import { figuresDue, figuresTable, figuresVersion, loadFigures } from './complaint-figures.js';
import type { ViewContext } from './context.js';

/**
 * Pengaduan (complaints.handle), three pages of one view:
 *  - #/pengaduan[/ID][?opd=CODE]: response times per OPD, the complaints (open or all,
 *    the OPD filter of the toolbar), and one complaint beside the list: what the citizen
 *    wrote, the photo, its history (received, routed, acknowledged, closed: who, when)
 *    and the steps left: assign to an OPD, acknowledge with a note, close with a note;
 *  - #/pengaduan/baru: filing a complaint as an operator (complaints.submit);
 *  - #/pengaduan/aturan: the routing rules, editable by admins (registry.manage).
 * The central sends no event for complaints: the list and figures are fetched again
 * every 15 s while a page is open, and at once after every step taken here. Forms are
 * kept across those reloads, so nobody loses a half-typed note.
 */

const RELOAD_MS = 15_000;

type Page = { kind: 'list'; id: number | undefined } | { kind: 'new' } | { kind: 'rules' };

let listState: ListState = 'open';
let list: ApiComplaint[] | undefined;
let listError: string | undefined;
let listPath = '';
let listLoadedAt = 0;
let listLoading = false;

let detail: ApiComplaintDetail | undefined;
let detailError: string | undefined;
let detailId: number | undefined;
let detailLoadedAt = 0;
let detailLoading = false;

let rules: ApiRoutingRules['rules'] | undefined;
let rulesError: string | undefined;
let rulesLoadedAt = 0;
let rulesLoading = false;

/** Bumped whenever loaded data changed; the data parts are refilled then. */
let dataVersion = 0;

/** Typed notes of the complaint being handled; forgotten when another one is opened. */
const notes = { forId: 0, assignOpd: '', assignNote: '', ack: '', close: '' };
let stepBusy = false;
let stepError: string | undefined;

let draft: ComplaintDraft = emptyComplaintDraft();
let draftErrors: string[] = [];
let filing = false;
let filed: ApiComplaint | undefined;
/** Bumped to rebuild the filing form (after a complaint was filed). */
let formVersion = 0;

let ruleRows: RuleDraft[] | undefined;
let ruleErrors: string[] = [];
let ruleSaving = false;
let rulesSaved: string | undefined;
/** Bumped to rebuild the rules editor (a row added or removed, rules saved). */
let rulesVersion = 0;

interface Mounted {
  key: string;
  el: HTMLElement;
  version: string;
  /** Refills the data parts from the current context (its clock and registry are fresh). */
  fill: (live: ViewContext) => void;
}
let mounted: Mounted | undefined;
let actionsMounted: { key: string; el: HTMLElement } | undefined;

function pageOf(sub: string | undefined): Page {
  if (sub === 'baru') return { kind: 'new' };
  if (sub === 'aturan') return { kind: 'rules' };
  const id = sub !== undefined && /^\d{1,15}$/.test(sub) ? Number(sub) : undefined;
  return { kind: 'list', id };
}

function pageHref(sub: string | undefined, opd: string | undefined): string {
  return `#/pengaduan${sub ? `/${sub}` : ''}${opd !== undefined ? `?opd=${encodeURIComponent(opd)}` : ''}`;
}

function opdName(ctx: ViewContext, code: string | null): string {
  if (code === null) return t('cmp.unrouted');
  return ctx.state.opds.find((o) => o.code === code)?.name ?? code;
}

// ---------------------------------------------------------------- loading

let listSeq = 0;
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
    dataVersion++;
    ctx.rerender();
  });
}

let detailSeq = 0;
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
    dataVersion++;
    ctx.rerender();
  });
}

function loadRules(ctx: ViewContext): void {
  rulesLoading = true;
  request<ApiRoutingRules>('/api/complaints/routing').then(
    (answer) => {
      rules = answer.rules;
      rulesError = undefined;
      if (!ruleRows) {
        ruleRows = answer.rules.map((r) => ({ ...r }));
        rulesVersion++;
      }
    },
    (err: unknown) => {
      rulesError = errorText(err);
    },
  ).finally(() => {
    rulesLoading = false;
    rulesLoadedAt = Date.now();
    dataVersion++;
    ctx.rerender();
  });
}

/** After a step taken here: everything it changes, now. */
function reloadAll(ctx: ViewContext): void {
  loadList(ctx, complaintsPath(listState, ctx.opd));
  if (detailId !== undefined) loadDetail(ctx, detailId);
  loadFigures(ctx.rerender);
}

// ---------------------------------------------------------------- shared parts

function subnav(page: Page, ctx: ViewContext): HTMLElement {
  const link = (kind: Page['kind'], sub: string | undefined, label: Parameters<typeof t>[0]) =>
    h('a', { class: `subtab${page.kind === kind ? ' active' : ''}`, href: pageHref(sub, ctx.opd), 'data-sub': kind, 'aria-current': page.kind === kind ? 'page' : undefined }, t(label));
  return h(
    'nav',
    { class: 'subtabs', 'aria-label': t('cmp.sub') },
    link('list', undefined, 'cmp.nav.list'),
    can('complaints.submit') ? link('new', 'baru', 'cmp.nav.new') : null,
    link('rules', 'aturan', 'cmp.nav.rules'),
  );
}

function stateBadge(c: Pick<ApiComplaint, 'state'>): HTMLElement {
  const s = COMPLAINT_STATE[c.state];
  return badge(t(s.key), s.severity, 'cmp-state');
}

function where(c: ApiComplaint): string {
  const parts = [c.address, c.location ? formatLocation(c.location) : null].filter((x): x is string => x !== null);
  return parts.join(' · ') || '—';
}

function shorten(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

// ---------------------------------------------------------------- the list page

function listTable(ctx: ViewContext, selected: number | undefined): HTMLElement {
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
            h('td', { class: 'cmp-opd' }, opdName(ctx, c.opd)),
            h('td', {}, stateBadge(c)),
          );
        }),
      ),
    ),
  );
}

function fact(label: string, ...value: (Node | string | null)[]): HTMLElement[] {
  return [h('dt', {}, label), h('dd', {}, ...value)];
}

function detailInfo(ctx: ViewContext): HTMLElement {
  if (detailError) return h('p', { class: 'form-error' }, t('common.loadFailed', { error: detailError }));
  const c = detail;
  if (!c || c.id !== detailId) return h('p', { class: 'empty' }, t('common.loading'));
  const facts: HTMLElement[] = [
    ...fact(t('cmp.category'), c.category),
    ...fact(t('cmp.text'), h('span', { class: 'cmp-full-text' }, c.text)),
    ...fact(t('cmp.address'), c.address ?? '—'),
    ...fact(t('cmp.coords'), c.location ? formatLocation(c.location) : '—'),
    ...fact(t('cmp.opd'), opdName(ctx, c.opd)),
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
            h('td', {}, e.opd === null ? '—' : opdName(ctx, e.opd)),
            h('td', { class: 'history-note' }, noteText(e.note) ?? '—'),
          ),
        ),
      ),
    ),
  );
}

/** A step on the complaint: assign, ack or close; the answer reloads what it changed. */
function takeStep(ctx: ViewContext, id: number, step: 'assign' | 'ack' | 'close', body: Record<string, string>, status: HTMLElement, buttons: HTMLButtonElement[]): void {
  if (stepBusy) return;
  stepBusy = true;
  stepError = undefined;
  status.replaceChildren(h('span', { class: 'hint' }, t('cmp.stepBusy')));
  for (const b of buttons) b.disabled = true;
  request<ApiComplaint>(`/api/complaints/${id}/${step}`, { method: 'POST', json: body }).then(
    () => {
      if (step === 'assign') notes.assignNote = '';
      if (step === 'ack') notes.ack = '';
      if (step === 'close') notes.close = '';
      actionsMounted = undefined;
    },
    (err: unknown) => {
      stepError = t('cmp.stepFailed', { error: errorText(err) });
      status.replaceChildren(h('p', { class: 'form-error', role: 'alert' }, stepError));
    },
  ).finally(() => {
    stepBusy = false;
    for (const b of buttons) b.disabled = false;
    reloadAll(ctx);
  });
}

function buildActions(ctx: ViewContext, c: ApiComplaintDetail): HTMLElement {
  if (notes.forId !== c.id) {
    Object.assign(notes, { forId: c.id, assignOpd: c.opd ?? '', assignNote: '', ack: '', close: '' });
    stepError = undefined;
  }
  if (c.state === 'closed') return h('div', { class: 'cmp-actions' }, h('p', { class: 'hint' }, t('cmp.closedNote', { time: formatInstant(c.closed?.at, ctx.nowMs), user: c.closed?.by ?? '?' })), c.closed?.note ? h('p', { class: 'cmp-close-note' }, c.closed.note) : null);
  const status = h('div', { class: 'cmp-step-status', 'aria-live': 'polite' }, stepError ? h('p', { class: 'form-error', role: 'alert' }, stepError) : null);
  const buttons: HTMLButtonElement[] = [];
  const button = (cls: string, label: string) => {
    const b = h('button', { class: `btn ${cls}`, type: 'submit' }, label);
    buttons.push(b);
    return b;
  };
  const bindText = (el: HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement, key: 'assignOpd' | 'assignNote' | 'ack' | 'close') => {
    el.value = notes[key];
    el.addEventListener('input', () => (notes[key] = el.value));
    el.addEventListener('change', () => (notes[key] = el.value));
    return el;
  };
  const opds = [...ctx.state.opds].sort((a, b) => a.name.localeCompare(b.name, 'id'));
  const assign = h(
    'form',
    {
      class: 'cmp-assign form-grid',
      onsubmit: (e: Event) => {
        e.preventDefault();
        if (!notes.assignOpd) {
          status.replaceChildren(h('p', { class: 'form-error', role: 'alert' }, t('cmp.errAssignOpd')));
          return;
        }
        const body: Record<string, string> = { opd: notes.assignOpd };
        if (notes.assignNote.trim()) body.note = notes.assignNote.trim();
        takeStep(ctx, c.id, 'assign', body, status, buttons);
      },
    },
    h(
      'div',
      { class: 'field' },
      h('label', { for: 'cmp-assign-opd' }, c.opd === null ? t('cmp.assignTo') : t('cmp.reassignTo')),
      bindText(h('select', { id: 'cmp-assign-opd' }, h('option', { value: '' }, '—'), opds.map((o) => h('option', { value: o.code }, `${o.name} (${o.code})`))), 'assignOpd'),
    ),
    h('div', { class: 'field grow' }, h('label', { for: 'cmp-assign-note' }, t('cmp.noteOptional')), bindText(h('input', { id: 'cmp-assign-note', maxlength: NOTE_MAX, autocomplete: 'off' }), 'assignNote')),
    button('btn-assign', c.opd === null ? t('cmp.assign') : t('cmp.reassign')),
  );
  const ack =
    c.state === 'routed'
      ? h(
          'form',
          {
            class: 'cmp-ack form-grid',
            onsubmit: (e: Event) => {
              e.preventDefault();
              takeStep(ctx, c.id, 'ack', notes.ack.trim() ? { note: notes.ack.trim() } : {}, status, buttons);
            },
          },
          h('div', { class: 'field grow' }, h('label', { for: 'cmp-ack-note' }, t('cmp.ackNote')), bindText(h('input', { id: 'cmp-ack-note', maxlength: NOTE_MAX, autocomplete: 'off', placeholder: t('cmp.ackPlaceholder') }), 'ack')),
          button('btn-primary btn-cmp-ack', t('cmp.ack')),
        )
      : null;
  const close =
    c.state === 'routed' || c.state === 'acknowledged'
      ? h(
          'form',
          {
            class: 'cmp-close form-grid',
            novalidate: true,
            onsubmit: (e: Event) => {
              e.preventDefault();
              const note = notes.close.trim();
              if (!note) {
                status.replaceChildren(h('p', { class: 'form-error', role: 'alert' }, t('cmp.errCloseNote')));
                return;
              }
              takeStep(ctx, c.id, 'close', { note }, status, buttons);
            },
          },
          h(
            'div',
            { class: 'field grow' },
            h('label', { for: 'cmp-close-note' }, t('cmp.closeNote')),
            bindText(h('textarea', { id: 'cmp-close-note', rows: 2, maxlength: NOTE_MAX, required: true, placeholder: t('cmp.closePlaceholder') }), 'close'),
          ),
          button('btn-cmp-close', t('cmp.close')),
        )
      : h('p', { class: 'hint' }, t('cmp.routeFirst'));
  return h('div', { class: 'cmp-actions' }, h('h4', {}, t('cmp.actions')), ack, close, assign, status);
}

function listPage(ctx: ViewContext, page: { id: number | undefined }): Mounted {
  const stateSelect = h(
    'select',
    { id: 'cmp-state-filter' },
    h('option', { value: 'open', selected: listState === 'open' }, t('cmp.filterOpen')),
    h('option', { value: 'all', selected: listState === 'all' }, t('cmp.filterAll')),
  );
  stateSelect.addEventListener('change', () => {
    listState = stateSelect.value === 'all' ? 'all' : 'open';
    list = undefined;
    dataVersion++;
    loadList(ctx, complaintsPath(listState, ctx.opd));
  });
  const figures = h('div', { class: 'figures-box' });
  const listBox = h('div', { class: 'complaint-list-box' });
  const heading = h('h2', {});
  const detailBox = h('div', {});
  const actionsBox = h('div', {});
  const withDetail = page.id !== undefined;
  const el = h(
    'section',
    { class: 'complaints-page' },
    subnav({ kind: 'list', id: page.id }, ctx),
    h('div', { class: 'panel complaint-figures' }, h('h2', {}, t('cmp.figuresTitle')), h('p', { class: 'hint' }, t('cmp.figuresHint')), figures),
    h(
      'div',
      { class: `complaint-cols${withDetail ? ' with-detail' : ''}` },
      h(
        'div',
        { class: 'panel complaint-list' },
        h('div', { class: 'panel-head' }, heading, h('label', { class: 'inline-field' }, t('cmp.show'), ' ', stateSelect)),
        listBox,
      ),
      withDetail
        ? h('div', { class: 'panel complaint-detail' }, h('p', {}, h('a', { class: 'btn btn-close-detail', href: pageHref(undefined, ctx.opd) }, t('rep.close'))), detailBox, actionsBox)
        : null,
    ),
  );
  const fill = (live: ViewContext) => {
    figures.replaceChildren(figuresTable(live.state.opds, live.opd, live.nowMs));
    heading.textContent = list ? t(listState === 'open' ? 'cmp.listOpen' : 'cmp.listAll', { n: list.length }) : t('cmp.listTitle');
    listBox.replaceChildren(listTable(live, page.id));
    if (!withDetail) return;
    detailBox.replaceChildren(detailInfo(live));
    const c = detail && detail.id === page.id ? detail : undefined;
    const key = c ? `${language()}|${c.id}|${c.state}|${c.opd ?? ''}` : '';
    if (!c) {
      actionsMounted = undefined;
      actionsBox.replaceChildren();
    } else if (!actionsMounted || actionsMounted.key !== key || actionsBox.firstElementChild !== actionsMounted.el) {
      const built = buildActions(live, c);
      actionsMounted = { key, el: built };
      actionsBox.replaceChildren(built);
    }
  };
  return { key: '', el, version: '', fill };
}

// ---------------------------------------------------------------- filing a complaint

function readPhoto(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => (typeof reader.result === 'string' ? resolve(reader.result) : reject(new Error('the photo could not be read')));
    reader.onerror = () => reject(reader.error ?? new Error('the photo could not be read'));
    reader.readAsDataURL(file);
  });
}

function field(id: string, label: string, input: HTMLElement, cls = ''): HTMLElement {
  return h('div', { class: `field ${cls}`.trim() }, h('label', { for: id }, label), input);
}

function newPage(ctx: ViewContext): Mounted {
  const errors = h('div', { class: 'form-error', role: 'alert' });
  const result = h('div', { class: 'cmp-filed-box', 'aria-live': 'polite' });
  const bind = <E extends HTMLInputElement | HTMLTextAreaElement>(el: E, key: keyof ComplaintDraft): E => {
    el.value = draft[key];
    el.addEventListener('input', () => (draft[key] = el.value));
    return el;
  };
  const categories = h('datalist', { id: 'cmp-categories' });
  const photo = h('input', { id: 'cmp-photo', type: 'file', accept: 'image/jpeg,image/png' });
  const submit = h('button', { class: 'btn btn-primary', type: 'submit' }, t('cmp.file'));
  const showErrors = () => {
    errors.replaceChildren(...draftErrors.map((e) => h('p', {}, e)));
    errors.hidden = draftErrors.length === 0;
  };
  const form = h(
    'form',
    {
      class: 'panel cmp-form',
      novalidate: true,
      onsubmit: (e: Event) => {
        e.preventDefault();
        if (filing) return;
        const parsed = parseComplaintDraft(draft);
        const chosen = photo.files?.[0];
        const photoError = chosen ? photoProblem(chosen) : undefined;
        draftErrors = [...(parsed.ok ? [] : parsed.errors.map((k) => t(k))), ...(photoError ? [t(photoError)] : [])];
        showErrors();
        if (!parsed.ok || photoError) return;
        filing = true;
        submit.disabled = true;
        submit.textContent = t('cmp.filing');
        (chosen ? readPhoto(chosen) : Promise.resolve(undefined))
          .then((dataUrl) => request<ApiComplaint>('/api/complaints', { method: 'POST', json: { ...parsed.body, ...(dataUrl !== undefined && { photo: dataUrl }) } }))
          .then(
            (answer) => {
              filed = answer;
              draft = emptyComplaintDraft();
              draftErrors = [];
              formVersion++;
              loadFigures(ctx.rerender);
              listLoadedAt = 0;
            },
            (err: unknown) => {
              draftErrors = [t('cmp.fileFailed', { error: errorText(err) })];
              showErrors();
            },
          )
          .finally(() => {
            filing = false;
            submit.disabled = false;
            submit.textContent = t('cmp.file');
            ctx.rerender();
          });
      },
    },
    h('h2', {}, t('cmp.newTitle')),
    h(
      'div',
      { class: 'form-grid cmp-form-grid' },
      field('cmp-category', t('cmp.category'), bind(h('input', { id: 'cmp-category', list: 'cmp-categories', autocomplete: 'off', spellcheck: 'false', maxlength: 64, placeholder: 'sampah' }), 'category')),
      field('cmp-address', t('cmp.address'), bind(h('input', { id: 'cmp-address', autocomplete: 'off', maxlength: 500 }), 'address'), 'grow'),
      field('cmp-lat', t('admin.lat'), bind(h('input', { id: 'cmp-lat', inputmode: 'decimal', autocomplete: 'off', placeholder: '-5.1477' }), 'lat')),
      field('cmp-lon', t('admin.lon'), bind(h('input', { id: 'cmp-lon', inputmode: 'decimal', autocomplete: 'off', placeholder: '119.4327' }), 'lon')),
    ),
    field('cmp-text', t('cmp.text'), bind(h('textarea', { id: 'cmp-text', rows: 4, maxlength: 5000 }), 'text'), 'wide'),
    field('cmp-photo', t('cmp.photoOptional'), photo),
    h('p', { class: 'hint' }, t('cmp.newHint')),
    errors,
    h('div', { class: 'form-actions' }, submit),
    categories,
  );
  showErrors();
  const fill = (live: ViewContext) => {
    const known = (rules ?? []).map((r) => r.category).filter((c) => c !== '*');
    categories.replaceChildren(...[...new Set(known)].sort().map((c) => h('option', { value: c })));
    if (!filed) {
      result.replaceChildren();
      return;
    }
    const f = filed;
    result.replaceChildren(
      h(
        'div',
        { class: 'panel cmp-filed', 'data-id': f.id, 'data-state': f.state },
        h('p', { class: 'form-ok' }, t('cmp.filed', { id: f.id })),
        h(
          'p',
          {},
          stateBadge(f),
          ' ',
          f.opd === null ? t('cmp.filedUnrouted') : t('cmp.filedRouted', { opd: opdName(live, f.opd), by: f.routed ? actorText(f.routed.by) : '?' }),
        ),
        h('a', { class: 'btn btn-open-filed', href: pageHref(String(f.id), live.opd) }, t('cmp.openFiled')),
      ),
    );
  };
  const el = h('section', { class: 'complaints-page' }, subnav({ kind: 'new' }, ctx), result, can('complaints.submit') ? form : h('p', { class: 'form-error' }, t('cmp.noSubmit')));
  return { key: '', el, version: '', fill };
}

// ---------------------------------------------------------------- routing rules

function rulesPage(ctx: ViewContext): Mounted {
  const editable = can('registry.manage');
  const box = h('div', {});
  const opds = [...ctx.state.opds].sort((a, b) => a.name.localeCompare(b.name, 'id'));
  const known = new Set(opds.map((o) => o.code));
  let builtFor = -1;
  const rerenderEditor = () => {
    rulesVersion++;
    ctx.rerender();
  };
  const editor = (rows: RuleDraft[]): HTMLElement => {
    const errors = h('div', { class: 'form-error', role: 'alert' }, ruleErrors.map((e) => h('p', {}, e)));
    errors.hidden = ruleErrors.length === 0;
    const save = h('button', { class: 'btn btn-primary btn-save-rules', type: 'submit', disabled: ruleSaving }, ruleSaving ? t('admin.saving') : t('admin.save'));
    return h(
      'form',
      {
        class: 'rules-form',
        novalidate: true,
        onsubmit: (e: Event) => {
          e.preventDefault();
          if (ruleSaving) return;
          const parsed = parseRulesDraft(rows, known);
          if (!parsed.ok) {
            ruleErrors = parsed.errors.map((x) => t(x.key, x.params));
            rulesSaved = undefined;
            rerenderEditor();
            return;
          }
          ruleSaving = true;
          ruleErrors = [];
          rerenderEditor();
          request<ApiRoutingRules>('/api/complaints/routing', { method: 'PUT', json: { rules: parsed.rules } }).then(
            (answer) => {
              rules = answer.rules;
              ruleRows = answer.rules.map((r) => ({ ...r }));
              rulesSaved = t('cmp.rulesSaved', { n: answer.rules.length });
            },
            (err: unknown) => {
              ruleErrors = [t('admin.saveFailed', { error: errorText(err) })];
              rulesSaved = undefined;
            },
          ).finally(() => {
            ruleSaving = false;
            rerenderEditor();
          });
        },
      },
      h(
        'table',
        { class: 'table rules-table' },
        h('thead', {}, h('tr', {}, h('th', { class: 'num' }, '#'), h('th', {}, t('cmp.category')), h('th', {}, t('cmp.opd')), h('th', {}))),
        h(
          'tbody',
          {},
          rows.map((row, i) => {
            const category = h('input', { class: 'rule-category', value: row.category, autocomplete: 'off', spellcheck: 'false', maxlength: 64, 'aria-label': `${t('cmp.category')} ${i + 1}` });
            category.addEventListener('input', () => (row.category = category.value));
            const opd = h('select', { class: 'rule-opd', 'aria-label': `${t('cmp.opd')} ${i + 1}` }, h('option', { value: '' }, '—'), opds.map((o) => h('option', { value: o.code }, `${o.name} (${o.code})`)));
            opd.value = row.opd;
            opd.addEventListener('change', () => (row.opd = opd.value));
            return h(
              'tr',
              { class: 'rule-row', 'data-row': i + 1 },
              h('td', { class: 'num' }, String(i + 1)),
              h('td', {}, category),
              h('td', {}, opd),
              h(
                'td',
                { class: 'row-actions' },
                h(
                  'button',
                  {
                    class: 'btn btn-remove-rule',
                    type: 'button',
                    onclick: () => {
                      rows.splice(i, 1);
                      rerenderEditor();
                    },
                  },
                  t('cmp.removeRule'),
                ),
              ),
            );
          }),
        ),
      ),
      h(
        'div',
        { class: 'form-actions' },
        h(
          'button',
          {
            class: 'btn btn-add-rule',
            type: 'button',
            onclick: () => {
              rows.push({ category: '', opd: '' });
              rerenderEditor();
            },
          },
          t('cmp.addRule'),
        ),
        save,
      ),
      errors,
      rulesSaved ? h('p', { class: 'form-ok', role: 'status' }, rulesSaved) : null,
    );
  };
  const readOnly = (live: ViewContext, list: ApiRoutingRules['rules']): HTMLElement =>
    list.length === 0
      ? h('p', { class: 'empty' }, t('cmp.rulesNone'))
      : h(
          'table',
          { class: 'table rules-table' },
          h('thead', {}, h('tr', {}, h('th', {}, t('cmp.category')), h('th', {}, t('cmp.opd')))),
          h(
            'tbody',
            {},
            list.map((r) => h('tr', { class: 'rule-row' }, h('td', { class: 'mono' }, r.category === '*' ? `* (${t('cmp.fallback')})` : r.category), h('td', {}, opdName(live, r.opd)))),
          ),
        );
  const fill = (live: ViewContext) => {
    if (!rules) {
      box.replaceChildren(h('p', { class: rulesError ? 'form-error' : 'empty' }, rulesError ? t('common.loadFailed', { error: rulesError }) : t('common.loading')));
      builtFor = -1;
      return;
    }
    if (!editable) {
      box.replaceChildren(readOnly(live, rules), h('p', { class: 'hint' }, t('cmp.rulesAdminOnly')));
      return;
    }
    // The editor is rebuilt only when rows come or go, so typing is never interrupted.
    if (builtFor === rulesVersion && box.firstElementChild) return;
    builtFor = rulesVersion;
    ruleRows ??= rules.map((r) => ({ ...r }));
    box.replaceChildren(editor(ruleRows));
  };
  const el = h('section', { class: 'complaints-page' }, subnav({ kind: 'rules' }, ctx), h('div', { class: 'panel rules-panel' }, h('h2', {}, t('cmp.rulesTitle')), h('p', { class: 'hint' }, t('cmp.rulesHint')), box));
  return { key: '', el, version: '', fill };
}

// ---------------------------------------------------------------- the view

export function renderComplaints(root: HTMLElement, ctx: ViewContext): void {
  const page = pageOf(ctx.sub);
  if (page.kind === 'list') {
    const path = complaintsPath(listState, ctx.opd);
    if (!listLoading && (path !== listPath || Date.now() - listLoadedAt > RELOAD_MS)) {
      if (path !== listPath) list = undefined;
      loadList(ctx, path);
    }
    if (figuresDue(RELOAD_MS)) loadFigures(ctx.rerender);
    if (page.id !== undefined && !detailLoading && (detailId !== page.id || Date.now() - detailLoadedAt > RELOAD_MS)) loadDetail(ctx, page.id);
  } else if (!rulesLoading && Date.now() - rulesLoadedAt > RELOAD_MS * 4) loadRules(ctx);

  const key = `${language()}|${page.kind}|${page.kind === 'list' ? (page.id ?? '') : ''}|${ctx.opd ?? ''}|${can('complaints.submit')}|${can('registry.manage')}|${page.kind === 'new' ? formVersion : ''}|${ctx.state.opds.map((o) => `${o.code}:${o.name}`).join(',')}`;
  if (!mounted || mounted.key !== key || root.firstElementChild !== mounted.el) {
    actionsMounted = undefined;
    const built = page.kind === 'list' ? listPage(ctx, page) : page.kind === 'new' ? newPage(ctx) : rulesPage(ctx);
    mounted = { ...built, key };
    root.replaceChildren(built.el);
  }
  const version = `${dataVersion}|${figuresVersion()}|${rulesVersion}`;
  if (mounted.version !== version) {
    mounted.version = version;
    mounted.fill(ctx);
  }
}

/** Another user (or none) from now on: nothing of the last one's complaints or drafts stays. */
export function resetComplaints(): void {
  list = undefined;
  listError = undefined;
  listPath = '';
  listLoadedAt = 0;
  detail = undefined;
  detailError = undefined;
  detailId = undefined;
  detailLoadedAt = 0;
  rules = undefined;
  rulesError = undefined;
  rulesLoadedAt = 0;
  Object.assign(notes, { forId: 0, assignOpd: '', assignNote: '', ack: '', close: '' });
  stepError = undefined;
  draft = emptyComplaintDraft();
  draftErrors = [];
  filed = undefined;
  ruleRows = undefined;
  ruleErrors = [];
  rulesSaved = undefined;
  mounted = undefined;
  actionsMounted = undefined;
  dataVersion++;
}
