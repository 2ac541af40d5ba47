/// <reference lib="dom" />
import { errorText, request } from '../api.js';
import type { ApiAdminOpd, ApiRoster, ApiRosterImport } from '../api-types.js';
import { h } from '../dom.js';
import { formatNumber, language, t } from '../i18n.js';
import { OPD_ZONES, parseOpdDraft, zoneAbbr, type OpdDraft } from '../model.js';
import type { ViewContext } from './context.js';
import { field } from './form-parts.js';

/**
 * Admin (registry.manage): the OPD registry (#/admin: name, zone, coordinates; add
 * and edit) and each OPD's roster (#/admin/{code}: the employees, and a CSV import
 * that names every rejected row by its line).
 */

const RELOAD_MS = 30_000;

let opds: ApiAdminOpd[] | undefined;
let opdsError: string | undefined;
let opdsLoading = false;
let opdsLoadedAt = 0;

let roster: ApiRoster | undefined;
let rosterError: string | undefined;
let rosterLoading: string | undefined;

/** Bumped whenever loaded data changed; the page is rebuilt only then (forms are kept). */
let version = 0;
let mounted: { el: HTMLElement; key: string; version: number } | undefined;

let draft: OpdDraft | undefined;
let draftErrors: string[] = [];
let saving = false;
let savedNote: string | undefined;
let form: { el: HTMLElement; key: string } | undefined;

let importResult: ApiRosterImport | undefined;
let importError: string | undefined;
let importing = false;
let importPanel: { el: HTMLElement; key: string; result: HTMLElement } | undefined;

function loadOpds(ctx: ViewContext): void {
  opdsLoading = true;
  request<{ opds: ApiAdminOpd[] }>('/api/admin/opds').then(
    (answer) => {
      opds = answer.opds;
      opdsError = undefined;
    },
    (err: unknown) => {
      opdsError = errorText(err);
    },
  ).finally(() => {
    opdsLoading = false;
    opdsLoadedAt = Date.now();
    version++;
    ctx.rerender();
  });
}

function loadRoster(ctx: ViewContext, code: string): void {
  rosterLoading = code;
  request<ApiRoster>(`/api/admin/opds/${encodeURIComponent(code)}/employees`).then(
    (answer) => {
      roster = answer;
      rosterError = undefined;
    },
    (err: unknown) => {
      roster = undefined;
      rosterError = errorText(err);
    },
  ).finally(() => {
    rosterLoading = undefined;
    version++;
    ctx.rerender();
  });
}

/** Decimal points whatever the language, as GPS apps and the form show them: "-6,2, 106,8" would be ambiguous. */
function coordinates(o: ApiAdminOpd): string {
  if (!o.location) return t('admin.noCoords');
  const d = (x: number) => String(Number(x.toFixed(5)));
  return `${d(o.location.lat)}, ${d(o.location.lon)}`;
}

function openForm(o: ApiAdminOpd | undefined, ctx: ViewContext): void {
  draft = o
    ? { code: o.code, isNew: false, name: o.name, zone: o.zone, lat: o.location ? String(o.location.lat) : '', lon: o.location ? String(o.location.lon) : '' }
    : { code: '', isNew: true, name: '', zone: 'Asia/Jakarta', lat: '', lon: '' };
  draftErrors = [];
  savedNote = undefined;
  form = undefined;
  version++;
  ctx.rerender();
  document.getElementById('opd-name')?.focus();
}

function closeForm(ctx: ViewContext): void {
  draft = undefined;
  form = undefined;
  version++;
  ctx.rerender();
}

function buildForm(d: OpdDraft, ctx: ViewContext, key: string): { el: HTMLElement; key: string } {
  const bind = (input: HTMLInputElement | HTMLSelectElement, name: 'code' | 'name' | 'zone' | 'lat' | 'lon') => {
    input.addEventListener('input', () => (d[name] = input.value));
    input.addEventListener('change', () => (d[name] = input.value));
    return input;
  };
  const zones: string[] = [...OPD_ZONES];
  if (!zones.includes(d.zone)) zones.push(d.zone);
  const errors = h('div', { class: 'form-error', role: 'alert' }, draftErrors.map((e) => h('p', {}, e)));
  errors.hidden = draftErrors.length === 0;
  const submit = h('button', { class: 'btn btn-primary', type: 'submit', disabled: saving }, saving ? t('admin.saving') : t('admin.save'));
  const el = h(
    'form',
    {
      class: 'panel opd-form',
      'data-opd': d.isNew ? undefined : d.code,
      novalidate: true,
      onsubmit: (e: Event) => {
        e.preventDefault();
        if (saving) return;
        const parsed = parseOpdDraft(d);
        if (!parsed.ok) {
          draftErrors = parsed.errors.map((k) => t(k));
          form = undefined;
          version++;
          ctx.rerender();
          return;
        }
        saving = true;
        draftErrors = [];
        form = undefined;
        version++;
        ctx.rerender();
        request<ApiAdminOpd>(`/api/admin/opds/${encodeURIComponent(parsed.code)}`, { method: 'PUT', json: parsed.body }).then(
          (saved) => {
            savedNote = t('admin.saved', { name: `${saved.name} (${saved.code})` });
            draft = undefined;
            loadOpds(ctx);
          },
          (err: unknown) => {
            draftErrors = [t('admin.saveFailed', { error: errorText(err) })];
          },
        ).finally(() => {
          saving = false;
          form = undefined;
          version++;
          ctx.rerender();
        });
      },
    },
    h('h2', {}, d.isNew ? t('admin.addTitle') : t('admin.editTitle', { code: d.code })),
    h(
      'div',
      { class: 'form-grid' },
      d.isNew ? field('opd-code', t('admin.code'), bind(h('input', { id: 'opd-code', value: d.code, autocomplete: 'off', spellcheck: 'false', maxlength: 32 }), 'code')) : null,
      field('opd-name', t('admin.name'), bind(h('input', { id: 'opd-name', value: d.name, autocomplete: 'off', maxlength: 200 }), 'name')),
      field('opd-zone', t('admin.zone'), bind(h('select', { id: 'opd-zone' }, zones.map((z) => h('option', { value: z, selected: z === d.zone }, `${zoneAbbr(z)} (${z})`))), 'zone')),
      field('opd-lat', t('admin.lat'), bind(h('input', { id: 'opd-lat', value: d.lat, inputmode: 'decimal', autocomplete: 'off', placeholder: '-6.2' }), 'lat')),
      field('opd-lon', t('admin.lon'), bind(h('input', { id: 'opd-lon', value: d.lon, inputmode: 'decimal', autocomplete: 'off', placeholder: '106.8' }), 'lon')),
    ),
    h('p', { class: 'hint' }, t('admin.coordsHint')),
    errors,
    h('div', { class: 'form-actions' }, submit, h('button', { class: 'btn', type: 'button', onclick: () => closeForm(ctx) }, t('admin.cancel'))),
  );
  return { el, key };
}

function opdTable(list: ApiAdminOpd[], ctx: ViewContext): HTMLElement {
  return h(
    'table',
    { class: 'table opd-table' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', {}, t('admin.code')),
        h('th', {}, t('admin.name')),
        h('th', {}, t('admin.zone')),
        h('th', {}, t('admin.coords')),
        h('th', {}, t('admin.gateways')),
        h('th', { class: 'num' }, t('admin.employees')),
        h('th', {}),
      ),
    ),
    h(
      'tbody',
      {},
      list.map((o) =>
        h(
          'tr',
          { class: `opd-admin-row${draft && !draft.isNew && draft.code === o.code ? ' selected' : ''}`, 'data-opd': o.code },
          h('td', { class: 'mono' }, o.code),
          h('td', { class: 'opd-name-cell' }, o.name),
          h('td', {}, zoneAbbr(o.zone)),
          h('td', { class: `mono coords${o.location ? '' : ' none'}` }, coordinates(o)),
          h('td', { class: 'mono' }, o.gateways.join(', ') || '—'),
          h('td', { class: 'num' }, formatNumber(o.employees)),
          h(
            'td',
            { class: 'row-actions' },
            h('button', { class: 'btn btn-edit', type: 'button', onclick: () => openForm(o, ctx) }, t('admin.edit')),
            h('a', { class: 'btn btn-roster', href: `#/admin/${encodeURIComponent(o.code)}` }, t('admin.roster')),
          ),
        ),
      ),
    ),
  );
}

function listPage(ctx: ViewContext): HTMLElement {
  let body: HTMLElement;
  if (!opds) body = h('p', { class: opdsError ? 'form-error' : 'empty' }, opdsError ? t('common.loadFailed', { error: opdsError }) : t('common.loading'));
  else {
    const located = opds.filter((o) => o.location).length;
    const employees = opds.reduce((n, o) => n + o.employees, 0);
    body = h(
      'div',
      {},
      h(
        'div',
        { class: 'panel-head' },
        h('div', { class: 'summary' }, t('admin.summary', { n: opds.length, located, employees })),
        h('button', { class: 'btn btn-add', type: 'button', onclick: () => openForm(undefined, ctx) }, t('admin.add')),
      ),
      savedNote ? h('p', { class: 'form-ok', role: 'status' }, savedNote) : null,
      opdTable(opds, ctx),
    );
  }
  if (draft) {
    const key = `${language()}|${draft.isNew ? '+' : draft.code}`;
    if (!form || form.key !== key) form = buildForm(draft, ctx, key);
  }
  return h('section', { class: 'admin-page' }, h('div', { class: 'panel' }, h('h2', {}, t('admin.title')), body), draft && form ? form.el : null);
}

function renderImportResult(box: HTMLElement): void {
  if (importError) {
    box.replaceChildren(h('p', { class: 'form-error', role: 'alert' }, t('admin.importFailed', { error: importError })));
    return;
  }
  if (!importResult) {
    box.replaceChildren();
    return;
  }
  const r = importResult;
  const summary = h(
    'p',
    { class: r.errors.length ? 'import-summary has-errors' : 'import-summary form-ok', role: 'status' },
    t('admin.importResult', { imported: r.imported, rejected: r.errors.length }),
  );
  if (r.errors.length === 0) {
    box.replaceChildren(summary);
    return;
  }
  box.replaceChildren(
    summary,
    h(
      'table',
      { class: 'table import-errors' },
      h('thead', {}, h('tr', {}, h('th', { class: 'num' }, t('admin.importLine')), h('th', {}, t('admin.importProblem')))),
      h(
        'tbody',
        {},
        r.errors.map((e) => h('tr', { class: 'import-error', 'data-line': e.line }, h('td', { class: 'num mono' }, formatNumber(e.line)), h('td', {}, e.message))),
      ),
    ),
  );
}

function buildImportPanel(code: string, ctx: ViewContext, key: string): { el: HTMLElement; key: string; result: HTMLElement } {
  const file = h('input', { id: 'roster-file', type: 'file', accept: '.csv,text/csv,text/plain' });
  const result = h('div', { class: 'import-result', 'aria-live': 'polite' });
  const submit = h('button', { class: 'btn btn-primary', type: 'submit' }, t('admin.importSubmit'));
  const el = h(
    'form',
    {
      class: 'panel import-panel',
      onsubmit: (e: Event) => {
        e.preventDefault();
        if (importing) return;
        const chosen = file.files?.[0];
        if (!chosen) {
          importResult = undefined;
          importError = t('admin.importNoFile');
          renderImportResult(result);
          return;
        }
        importing = true;
        submit.disabled = true;
        submit.textContent = t('admin.importing');
        chosen
          .text()
          .then((csv) => request<ApiRosterImport>(`/api/admin/opds/${encodeURIComponent(code)}/employees`, { method: 'POST', csv }))
          .then(
            (answer) => {
              importResult = answer;
              importError = undefined;
            },
            (err: unknown) => {
              importResult = undefined;
              importError = errorText(err);
            },
          )
          .finally(() => {
            importing = false;
            submit.disabled = false;
            submit.textContent = t('admin.importSubmit');
            renderImportResult(result);
            loadRoster(ctx, code);
            opdsLoadedAt = 0; // employee counts changed
          });
      },
    },
    h('h2', {}, t('admin.importTitle')),
    h('p', { class: 'hint' }, t('admin.importHelp')),
    h('div', { class: 'form-actions' }, h('label', { for: 'roster-file' }, t('admin.importFile')), file, submit),
    result,
  );
  renderImportResult(result);
  return { el, key, result };
}

function rosterPage(code: string, ctx: ViewContext): HTMLElement {
  const opd = opds?.find((o) => o.code === code) ?? ctx.state.opds.find((o) => o.code === code);
  const key = `${language()}|${code}`;
  if (!importPanel || importPanel.key !== key) {
    if (importPanel?.key.split('|')[1] !== code) {
      importResult = undefined;
      importError = undefined;
    }
    importPanel = buildImportPanel(code, ctx, key);
  }
  let body: HTMLElement;
  const mine = roster?.opd === code ? roster : undefined;
  if (opds && !opd) body = h('p', { class: 'form-error' }, t('admin.unknownOpd', { code }));
  else if (rosterError) body = h('p', { class: 'form-error' }, t('common.loadFailed', { error: rosterError }));
  else if (!mine) body = h('p', { class: 'empty' }, t('common.loading'));
  else if (mine.employees.length === 0) body = h('p', { class: 'empty' }, t('admin.rosterEmpty'));
  else
    body = h(
      'table',
      { class: 'table roster-table' },
      h('thead', {}, h('tr', {}, h('th', {}, t('admin.pin')), h('th', {}, t('admin.nip')), h('th', {}, t('admin.name')))),
      h(
        'tbody',
        {},
        mine.employees.map((e) => h('tr', { class: 'roster-row', 'data-pin': e.pin }, h('td', { class: 'mono' }, e.pin), h('td', { class: 'mono' }, e.nip ?? '—'), h('td', {}, e.name))),
      ),
    );
  return h(
    'section',
    { class: 'admin-page roster-page', 'data-opd': code },
    h(
      'div',
      { class: 'panel' },
      h('p', {}, h('a', { class: 'btn', href: '#/admin' }, t('admin.back'))),
      h('h2', {}, t('admin.rosterTitle', { name: opd ? `${opd.name} (${code})` : code })),
      mine ? h('div', { class: 'summary roster-count' }, t('admin.rosterCount', { n: mine.employees.length })) : null,
      body,
    ),
    importPanel.el,
  );
}

export function renderAdmin(root: HTMLElement, ctx: ViewContext): void {
  let code: string | undefined;
  try {
    code = ctx.sub ? decodeURIComponent(ctx.sub) : undefined;
  } catch {
    code = ctx.sub;
  }
  const key = `${language()}|${code ?? ''}`;
  // Coming to another page retries a roster that failed to load.
  if (mounted && mounted.key.split('|')[1] !== (code ?? '')) rosterError = undefined;
  if (!opdsLoading && Date.now() - opdsLoadedAt > RELOAD_MS) loadOpds(ctx);
  if (code !== undefined && rosterLoading !== code && roster?.opd !== code && rosterError === undefined) loadRoster(ctx, code);
  if (mounted && mounted.key === key && mounted.version === version && root.firstElementChild === mounted.el) return;
  const el = code === undefined ? listPage(ctx) : rosterPage(code, ctx);
  mounted = { el, key, version };
  root.replaceChildren(el);
}

/** Another user (or none) from now on: forget the last one's data and half-typed forms. */
export function resetAdmin(): void {
  opds = undefined;
  opdsError = undefined;
  opdsLoadedAt = 0;
  roster = undefined;
  rosterError = undefined;
  mounted = undefined;
  draft = undefined;
  draftErrors = [];
  savedNote = undefined;
  form = undefined;
  importResult = undefined;
  importError = undefined;
  importPanel = undefined;
  version++;
}
