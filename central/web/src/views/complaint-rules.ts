/// <reference lib="dom" />
import { errorText, request } from '../api.js';
import type { ApiRoutingRules } from '../api-types.js';
import { complaintOpdName, parseRulesDraft, type RuleDraft } from '../complaints-model.js';
import { h } from '../dom.js';
import { t } from '../i18n.js';
import { can } from '../session.js';
import { subnav, type BuiltPage } from './complaint-page.js';
import type { ViewContext } from './context.js';
import { opdOptions } from './form-parts.js';

/**
 * #/pengaduan/aturan: which OPD a complaint of each category goes to, editable by
 * admins (registry.manage), read-only for everyone else. The categories also help
 * the filing form along.
 */

type Rules = ApiRoutingRules['rules'];

let rules: Rules | undefined;
let rulesError: string | undefined;
let rulesLoadedAt = 0;
let rulesLoading = false;
/** Bumped whenever loaded rules changed. */
let dataVersion = 0;

let ruleRows: RuleDraft[] | undefined;
let ruleErrors: string[] = [];
let ruleSaving = false;
let rulesSaved: string | undefined;
/** Bumped to rebuild the editor (a row added or removed, rules saved). */
let editorVersion = 0;

/** Changes whenever the rules page has something new to show. */
export function rulesVersion(): string {
  return `${dataVersion}|${editorVersion}`;
}

const copyRows = (list: Rules): RuleDraft[] => list.map((r) => ({ ...r }));

function loadRules(ctx: ViewContext): void {
  rulesLoading = true;
  request<ApiRoutingRules>('/api/complaints/routing').then(
    (answer) => {
      rules = answer.rules;
      rulesError = undefined;
      if (!ruleRows) {
        ruleRows = copyRows(answer.rules);
        editorVersion++;
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

/** Loads the rules when they are older than `everyMs` (they change seldom, and only here). */
export function refreshRules(ctx: ViewContext, everyMs: number): void {
  if (!rulesLoading && Date.now() - rulesLoadedAt > everyMs) loadRules(ctx);
}

/** The categories the rules name (not the fallback "*"), sorted. */
export function knownCategories(): string[] {
  const known = (rules ?? []).map((r) => r.category).filter((c) => c !== '*');
  return [...new Set(known)].sort();
}

function rerenderEditor(ctx: ViewContext): void {
  editorVersion++;
  ctx.rerender();
}

function save(ctx: ViewContext, rows: readonly RuleDraft[]): void {
  if (ruleSaving) return;
  const parsed = parseRulesDraft(rows, new Set(ctx.state.opds.map((o) => o.code)));
  if (!parsed.ok) {
    ruleErrors = parsed.errors.map((x) => t(x.key, x.params));
    rulesSaved = undefined;
    rerenderEditor(ctx);
    return;
  }
  ruleSaving = true;
  ruleErrors = [];
  rerenderEditor(ctx);
  request<ApiRoutingRules>('/api/complaints/routing', { method: 'PUT', json: { rules: parsed.rules } }).then(
    (answer) => {
      rules = answer.rules;
      ruleRows = copyRows(answer.rules);
      rulesSaved = t('cmp.rulesSaved', { n: answer.rules.length });
    },
    (err: unknown) => {
      ruleErrors = [t('admin.saveFailed', { error: errorText(err) })];
      rulesSaved = undefined;
    },
  ).finally(() => {
    ruleSaving = false;
    rerenderEditor(ctx);
  });
}

function ruleRow(ctx: ViewContext, rows: RuleDraft[], row: RuleDraft, i: number): HTMLElement {
  const category = h('input', { class: 'rule-category', value: row.category, autocomplete: 'off', spellcheck: 'false', maxlength: 64, 'aria-label': `${t('cmp.category')} ${i + 1}` });
  category.addEventListener('input', () => (row.category = category.value));
  const opd = h('select', { class: 'rule-opd', 'aria-label': `${t('cmp.opd')} ${i + 1}` }, h('option', { value: '' }, '—'), opdOptions(ctx.state.opds));
  opd.value = row.opd;
  opd.addEventListener('change', () => (row.opd = opd.value));
  const remove = () => {
    rows.splice(i, 1);
    rerenderEditor(ctx);
  };
  return h(
    'tr',
    { class: 'rule-row', 'data-row': i + 1 },
    h('td', { class: 'num' }, String(i + 1)),
    h('td', {}, category),
    h('td', {}, opd),
    h('td', { class: 'row-actions' }, h('button', { class: 'btn btn-remove-rule', type: 'button', onclick: remove }, t('cmp.removeRule'))),
  );
}

function editor(ctx: ViewContext, rows: RuleDraft[]): HTMLElement {
  const errors = h('div', { class: 'form-error', role: 'alert' }, ruleErrors.map((e) => h('p', {}, e)));
  errors.hidden = ruleErrors.length === 0;
  const add = () => {
    rows.push({ category: '', opd: '' });
    rerenderEditor(ctx);
  };
  return h(
    'form',
    {
      class: 'rules-form',
      novalidate: true,
      onsubmit: (e: Event) => {
        e.preventDefault();
        save(ctx, rows);
      },
    },
    h(
      'table',
      { class: 'table rules-table' },
      h('thead', {}, h('tr', {}, h('th', { class: 'num' }, '#'), h('th', {}, t('cmp.category')), h('th', {}, t('cmp.opd')), h('th', {}))),
      h(
        'tbody',
        {},
        rows.map((row, i) => ruleRow(ctx, rows, row, i)),
      ),
    ),
    h(
      'div',
      { class: 'form-actions' },
      h('button', { class: 'btn btn-add-rule', type: 'button', onclick: add }, t('cmp.addRule')),
      h('button', { class: 'btn btn-primary btn-save-rules', type: 'submit', disabled: ruleSaving }, ruleSaving ? t('admin.saving') : t('admin.save')),
    ),
    errors,
    rulesSaved ? h('p', { class: 'form-ok', role: 'status' }, rulesSaved) : null,
  );
}

function readOnly(live: ViewContext, list: Rules): HTMLElement {
  if (list.length === 0) return h('p', { class: 'empty' }, t('cmp.rulesNone'));
  return h(
    'table',
    { class: 'table rules-table' },
    h('thead', {}, h('tr', {}, h('th', {}, t('cmp.category')), h('th', {}, t('cmp.opd')))),
    h(
      'tbody',
      {},
      list.map((r) => h('tr', { class: 'rule-row' }, h('td', { class: 'mono' }, r.category === '*' ? `* (${t('cmp.fallback')})` : r.category), h('td', {}, complaintOpdName(live.state.opds, r.opd)))),
    ),
  );
}

export function rulesPage(ctx: ViewContext): BuiltPage {
  const editable = can('registry.manage');
  const box = h('div', {});
  let builtFor = -1;
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
    if (builtFor === editorVersion && box.firstElementChild) return;
    builtFor = editorVersion;
    ruleRows ??= copyRows(rules);
    box.replaceChildren(editor(ctx, ruleRows));
  };
  const el = h('section', { class: 'complaints-page' }, subnav('rules', ctx), h('div', { class: 'panel rules-panel' }, h('h2', {}, t('cmp.rulesTitle')), h('p', { class: 'hint' }, t('cmp.rulesHint')), box));
  return { el, fill };
}

export function resetRules(): void {
  rules = undefined;
  rulesError = undefined;
  rulesLoadedAt = 0;
  ruleRows = undefined;
  ruleErrors = [];
  rulesSaved = undefined;
  dataVersion++;
}
