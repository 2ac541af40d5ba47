/// <reference lib="dom" />
import { errorText, request } from '../api.js';
import type { ApiComplaint } from '../api-types.js';
import { actorText, complaintOpdName, emptyComplaintDraft, parseComplaintDraft, photoProblem, type ComplaintDraft } from '../complaints-model.js';
import { h } from '../dom.js';
import { t } from '../i18n.js';
import { can } from '../session.js';
import { loadFigures } from './complaint-figures.js';
import { expireList } from './complaint-list.js';
import { pageHref, stateBadge, subnav, type BuiltPage } from './complaint-page.js';
import { knownCategories } from './complaint-rules.js';
import type { ViewContext } from './context.js';
import { field } from './form-parts.js';

/**
 * #/pengaduan/baru: filing a complaint as an operator (complaints.submit), with an
 * optional photo; the answer says where the central routed it.
 */

let draft: ComplaintDraft = emptyComplaintDraft();
let draftErrors: string[] = [];
let filing = false;
let filed: ApiComplaint | undefined;
/** Bumped to rebuild the form (after a complaint was filed). */
let formVersion = 0;

export function filingFormVersion(): number {
  return formVersion;
}

function readPhoto(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => (typeof reader.result === 'string' ? resolve(reader.result) : reject(new Error('the photo could not be read')));
    reader.onerror = () => reject(reader.error ?? new Error('the photo could not be read'));
    reader.readAsDataURL(file);
  });
}

/** What was filed last, with a link to it. */
function filedNote(f: ApiComplaint, live: ViewContext): HTMLElement {
  return h(
    'div',
    { class: 'panel cmp-filed', 'data-id': f.id, 'data-state': f.state },
    h('p', { class: 'form-ok' }, t('cmp.filed', { id: f.id })),
    h(
      'p',
      {},
      stateBadge(f),
      ' ',
      f.opd === null ? t('cmp.filedUnrouted') : t('cmp.filedRouted', { opd: complaintOpdName(live.state.opds, f.opd), by: f.routed ? actorText(f.routed.by) : '?' }),
    ),
    h('a', { class: 'btn btn-open-filed', href: pageHref(String(f.id), live.opd) }, t('cmp.openFiled')),
  );
}

export function filingPage(ctx: ViewContext): BuiltPage {
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
              expireList();
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
      field('cmp-address', t('cmp.address'), bind(h('input', { id: 'cmp-address', autocomplete: 'off', maxlength: 500 }), 'address'), { cls: 'grow' }),
      field('cmp-lat', t('admin.lat'), bind(h('input', { id: 'cmp-lat', inputmode: 'decimal', autocomplete: 'off', placeholder: '-5.1477' }), 'lat')),
      field('cmp-lon', t('admin.lon'), bind(h('input', { id: 'cmp-lon', inputmode: 'decimal', autocomplete: 'off', placeholder: '119.4327' }), 'lon')),
    ),
    field('cmp-text', t('cmp.text'), bind(h('textarea', { id: 'cmp-text', rows: 4, maxlength: 5000 }), 'text'), { cls: 'wide' }),
    field('cmp-photo', t('cmp.photoOptional'), photo),
    h('p', { class: 'hint' }, t('cmp.newHint')),
    errors,
    h('div', { class: 'form-actions' }, submit),
    categories,
  );
  showErrors();
  const fill = (live: ViewContext) => {
    categories.replaceChildren(...knownCategories().map((c) => h('option', { value: c })));
    result.replaceChildren(...(filed ? [filedNote(filed, live)] : []));
  };
  const el = h('section', { class: 'complaints-page' }, subnav('new', ctx), result, can('complaints.submit') ? form : h('p', { class: 'form-error' }, t('cmp.noSubmit')));
  return { el, fill };
}

export function resetFiling(): void {
  draft = emptyComplaintDraft();
  draftErrors = [];
  filed = undefined;
}
