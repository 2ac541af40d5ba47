/// <reference lib="dom" />
import { errorText, request } from '../api.js';
import type { ApiComplaint, ApiComplaintDetail } from '../api-types.js';
import { NOTE_MAX } from '../complaints-model.js';
import { h } from '../dom.js';
import { language, t } from '../i18n.js';
import { formatInstant } from '../model.js';
import { loadFigures } from './complaint-figures.js';
import { reloadDetail } from './complaint-detail.js';
import { reloadList } from './complaint-list.js';
import { userOpd } from '../session.js';
import type { ViewContext } from './context.js';
import { opdOptions } from './form-parts.js';

/**
 * The steps left on an open complaint: assign to an OPD, acknowledge with a note,
 * close with a note. The forms outlive the page's reloads, so nobody loses a
 * half-typed note.
 */

type Step = 'assign' | 'ack' | 'close';

/** Typed notes of the complaint being handled; forgotten when another one is opened. */
const notes = { forId: 0, assignOpd: '', assignNote: '', ack: '', close: '' };
let stepBusy = false;
let stepError: string | undefined;
/** The forms on screen, rebuilt only when the complaint's state, OPD or the language changed. */
let mounted: { key: string; el: HTMLElement } | undefined;

/** After a step taken here: everything it changes, now. */
function reloadAll(ctx: ViewContext): void {
  reloadList(ctx);
  reloadDetail(ctx);
  loadFigures(ctx.rerender);
}

function errorLine(text: string): HTMLElement {
  return h('p', { class: 'form-error', role: 'alert' }, text);
}

/** A step on the complaint; the answer reloads what it changed. */
function takeStep(ctx: ViewContext, id: number, step: Step, body: Record<string, string>, status: HTMLElement, buttons: HTMLButtonElement[]): void {
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
      mounted = undefined;
    },
    (err: unknown) => {
      stepError = t('cmp.stepFailed', { error: errorText(err) });
      status.replaceChildren(errorLine(stepError));
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
  const status = h('div', { class: 'cmp-step-status', 'aria-live': 'polite' }, stepError ? errorLine(stepError) : null);
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
  const take = (step: Step, body: Record<string, string>) => takeStep(ctx, c.id, step, body, status, buttons);
  const assign = h(
    'form',
    {
      class: 'cmp-assign form-grid',
      onsubmit: (e: Event) => {
        e.preventDefault();
        if (!notes.assignOpd) {
          status.replaceChildren(errorLine(t('cmp.errAssignOpd')));
          return;
        }
        const body: Record<string, string> = { opd: notes.assignOpd };
        if (notes.assignNote.trim()) body.note = notes.assignNote.trim();
        take('assign', body);
      },
    },
    h(
      'div',
      { class: 'field' },
      h('label', { for: 'cmp-assign-opd' }, c.opd === null ? t('cmp.assignTo') : t('cmp.reassignTo')),
      bindText(h('select', { id: 'cmp-assign-opd' }, h('option', { value: '' }, '—'), opdOptions(ctx.state.opds)), 'assignOpd'),
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
              take('ack', notes.ack.trim() ? { note: notes.ack.trim() } : {});
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
                status.replaceChildren(errorLine(t('cmp.errCloseNote')));
                return;
              }
              take('close', { note });
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
  // Routing is the command room's: the central refuses it to staff of one OPD (403).
  return h('div', { class: 'cmp-actions' }, h('h4', {}, t('cmp.actions')), ack, close, userOpd() === undefined ? assign : null, status);
}

/** Puts the steps for complaint `c` (none while it is not loaded) into `box`, keeping forms being filled in. */
export function fillActions(box: HTMLElement, ctx: ViewContext, c: ApiComplaintDetail | undefined): void {
  if (!c) {
    mounted = undefined;
    box.replaceChildren();
    return;
  }
  const key = `${language()}|${c.id}|${c.state}|${c.opd ?? ''}`;
  if (mounted && mounted.key === key && box.firstElementChild === mounted.el) return;
  const built = buildActions(ctx, c);
  mounted = { key, el: built };
  box.replaceChildren(built);
}

/** The page was built anew: the forms go with it. */
export function forgetActions(): void {
  mounted = undefined;
}

export function resetActions(): void {
  Object.assign(notes, { forId: 0, assignOpd: '', assignNote: '', ack: '', close: '' });
  stepError = undefined;
  mounted = undefined;
}
