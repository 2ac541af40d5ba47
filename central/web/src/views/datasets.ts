/// <reference lib="dom" />
import { errorText, request } from '../api.js';
import type { ApiDataset, ApiDatasetList, ApiDatasetRegistered, ApiFieldType } from '../api-types.js';
import { emptyDatasetDraft, emptyField, FIELD_TYPES, parseDatasetDraft, pushExamples, type DatasetDraft, type FieldDraft } from '../datasets-model.js';
import { ageText, badge, copyText, h } from '../dom.js';
import { formatNumber, language, t, type MessageKey } from '../i18n.js';
import { formatAge, formatInstant } from '../model.js';
import { Refetch } from '../live.js';
import type { ViewContext } from './context.js';
import { nextStaleAt } from './dataset-tiles.js';
import { field, opdOptions } from './form-parts.js';

/**
 * Data OPD (datasets.manage): the datasets other OPD systems push into the command
 * room, with their latest row, last push and refused rows; the form that registers a
 * new one; and its push token, shown once with the curl commands to send rows (a new
 * token for an existing dataset likewise). What the wall shows of them is in
 * dataset-tiles.ts. The list is fetched again after the central's `dataset` event
 * (live.ts), when a dataset is due to turn stale, and only while the event stream is
 * down every 60 s.
 */

const BURST_MS = 300;
const FALLBACK_MS = 60_000;

const TYPE_LABEL: Record<ApiFieldType, MessageKey> = { number: 'data.type.number', integer: 'data.type.integer', string: 'data.type.string', boolean: 'data.type.boolean' };

let list: ApiDataset[] | undefined;
let listError: string | undefined;
let loading = false;
let loadedAt = 0;
let staleAt = Infinity;
let dataVersion = 0;
const refetch = new Refetch(BURST_MS, FALLBACK_MS);

let draft: DatasetDraft = emptyDatasetDraft();
let draftErrors: string[] = [];
let saving = false;
/** Bumped to rebuild the form: a field row added or removed, a dataset registered. */
let formVersion = 0;

/** The token just issued, with what to send it to; shown until closed or another user logs in. */
let issued: { slug: string; name: string; token: string; fields: ApiDataset['fields']; rotated: boolean } | undefined;
let rotating: { slug: string; confirm: boolean; busy: boolean; error?: string } | undefined;

interface Mounted {
  key: string;
  el: HTMLElement;
  version: number;
  fill: (live: ViewContext) => void;
}
let mounted: Mounted | undefined;

function load(ctx: ViewContext): void {
  loading = true;
  refetch.fetching();
  request<ApiDatasetList>('/api/datasets').then(
    (answer) => {
      list = answer.datasets;
      listError = undefined;
      staleAt = nextStaleAt(answer, Date.now());
    },
    (err: unknown) => {
      listError = errorText(err);
      // The failed-fetch fallback asks again, not at every render.
      staleAt = Infinity;
    },
  ).finally(() => {
    loading = false;
    loadedAt = Date.now();
    dataVersion++;
    ctx.rerender();
  });
}

/** Copies a <pre>'s text; on plain HTTP (no Clipboard API) it selects the text for Ctrl+C. */
function copyButton(source: HTMLElement, cls: string): HTMLButtonElement {
  const button = h('button', { class: `btn btn-copy ${cls}`, type: 'button' }, t('dev.tokenCopy'));
  button.addEventListener('click', () => copyText(source.textContent ?? '', source, (ok) => (button.textContent = ok ? t('dev.tokenCopied') : t('dev.tokenCopyFailed'))));
  return button;
}

function tokenPanel(ctx: ViewContext): HTMLElement | null {
  if (!issued) return null;
  const examples = pushExamples(location.origin, issued.slug, issued.token, issued.fields, new Date(ctx.nowMs).toISOString());
  const token = h('pre', { class: 'command', id: 'dataset-token' }, issued.token);
  const json = h('pre', { class: 'command curl-json' }, examples.json);
  const csv = h('pre', { class: 'command curl-csv' }, examples.csv);
  return h(
    'div',
    { class: 'panel token-box', 'data-dataset': issued.slug, role: 'status' },
    h(
      'div',
      { class: 'panel-head' },
      h('h2', {}, t(issued.rotated ? 'data.tokenRotatedTitle' : 'data.tokenTitle', { name: issued.name, slug: issued.slug })),
      h(
        'button',
        {
          class: 'btn btn-close-token',
          type: 'button',
          onclick: () => {
            issued = undefined;
            dataVersion++;
            ctx.rerender();
          },
        },
        t('rep.close'),
      ),
    ),
    h('p', { class: 'token-once' }, badge(t('data.tokenOnceBadge'), 'warn'), ' ', t('data.tokenOnce')),
    h('div', { class: 'command-row' }, token, copyButton(token, 'copy-token')),
    h('p', { class: 'token-label' }, t('data.exampleJson')),
    h('div', { class: 'command-row' }, json, copyButton(json, 'copy-json')),
    h('p', { class: 'token-label' }, t('data.exampleCsv', { file: `${issued.slug}.csv` })),
    h('div', { class: 'command-row' }, csv, copyButton(csv, 'copy-csv')),
    h('p', { class: 'hint' }, t('data.exampleHint')),
  );
}

function rotateCell(d: ApiDataset, ctx: ViewContext): HTMLElement {
  const mine = rotating?.slug === d.slug ? rotating : undefined;
  const rotate = () => {
    rotating = { slug: d.slug, confirm: false, busy: true };
    dataVersion++;
    ctx.rerender();
    request<{ dataset: string; token: string }>(`/api/datasets/${encodeURIComponent(d.slug)}/token`, { method: 'POST' }).then(
      (answer) => {
        issued = { slug: d.slug, name: d.name, token: answer.token, fields: d.fields, rotated: true };
        rotating = undefined;
      },
      (err: unknown) => {
        rotating = { slug: d.slug, confirm: false, busy: false, error: errorText(err) };
      },
    ).finally(() => {
      dataVersion++;
      ctx.rerender();
    });
  };
  const ask = (confirm: boolean) => () => {
    rotating = confirm ? { slug: d.slug, confirm: true, busy: false } : undefined;
    dataVersion++;
    ctx.rerender();
  };
  if (mine?.confirm)
    return h(
      'td',
      { class: 'row-actions' },
      h('span', { class: 'hint' }, t('data.rotateConfirm')),
      ' ',
      h('button', { class: 'btn btn-rotate-yes', type: 'button', onclick: rotate }, t('data.rotateYes')),
      h('button', { class: 'btn', type: 'button', onclick: ask(false) }, t('admin.cancel')),
    );
  return h(
    'td',
    { class: 'row-actions' },
    h('button', { class: 'btn btn-rotate', type: 'button', disabled: mine?.busy === true, onclick: ask(true) }, mine?.busy ? t('data.rotating') : t('data.rotate')),
    mine?.error ? h('span', { class: 'form-error' }, mine.error) : null,
  );
}

function datasetTable(ctx: ViewContext): HTMLElement {
  if (!list) return h('p', { class: listError ? 'form-error' : 'empty' }, listError ? t('common.loadFailed', { error: listError }) : t('common.loading'));
  const shown = list.filter((d) => ctx.opd === undefined || d.opd === ctx.opd);
  if (shown.length === 0) return h('p', { class: 'empty' }, t('data.none'));
  const names = new Map(ctx.state.opds.map((o) => [o.code, o.name]));
  const when = (iso: string | null) => {
    const ms = iso ? Date.parse(iso) : NaN;
    return Number.isFinite(ms) ? [formatInstant(iso, ctx.nowMs), h('span', { class: 'cmp-age' }, ageText(ms, formatAge((ctx.nowMs - ms) / 1000)))] : [t('data.never')];
  };
  return h(
    'table',
    { class: 'table dataset-table' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', {}, t('data.slug')),
        h('th', {}, t('data.name')),
        h('th', {}, t('data.opd')),
        h('th', {}, t('data.fields')),
        h('th', {}, t('data.latestRow')),
        h('th', {}, t('data.lastPush')),
        h('th', { class: 'num' }, t('data.rows')),
        h('th', {}, t('data.status')),
        h('th', {}),
      ),
    ),
    h(
      'tbody',
      {},
      shown.map((d) =>
        h(
          'tr',
          { class: `dataset-row${d.stale ? ' stale' : ''}`, 'data-dataset': d.slug },
          h('td', { class: 'mono' }, d.slug),
          h('td', {}, d.name),
          h('td', {}, names.get(d.opd) ?? d.opd),
          h('td', { class: 'dataset-fields' }, d.fields.map((f) => `${f.label ?? f.name}${f.unit ? ` (${f.unit})` : ''}`).join(', ')),
          h('td', {}, ...when(d.latestRowAt)),
          h('td', {}, ...when(d.lastPushAt)),
          h('td', { class: 'num' }, formatNumber(d.rowsAccepted), d.rowsRejected > 0 ? h('span', { class: 'rows-rejected' }, t('data.rejected', { n: d.rowsRejected })) : null),
          h(
            'td',
            {},
            d.stale
              ? badge(t('badge.stale'), 'warn', 'badge-stale')
              : d.latestRowAt === null
                ? badge(t('data.noRowsBadge'), 'warn')
                : badge(t('badge.ok'), 'ok'),
            d.staleAfterS !== undefined ? h('span', { class: 'hint stale-after' }, t('data.staleAfter', { age: formatStale(d.staleAfterS) })) : null,
          ),
          rotateCell(d, ctx),
        ),
      ),
    ),
  );
}

/** "15 mnt", "2 jam": a duration, not an age ("... lalu"). */
function formatStale(seconds: number): string {
  if (seconds < 120) return `${formatNumber(seconds)} ${t('unit.seconds')}`;
  if (seconds < 7200) return `${formatNumber(Math.round(seconds / 60))} ${t('unit.minutes')}`;
  return `${formatNumber(Math.round(seconds / 360) / 10)} ${t('unit.hours')}`;
}

function input(id: string, value: string, set: (v: string) => void, attrs: Record<string, string | number | boolean> = {}): HTMLInputElement {
  const el = h('input', { id, value, autocomplete: 'off', spellcheck: 'false', ...attrs });
  el.addEventListener('input', () => set(el.value));
  return el;
}

function fieldRow(f: FieldDraft, i: number, ctx: ViewContext): HTMLElement {
  const n = i + 1;
  const type = h('select', { id: `field-type-${n}`, 'aria-label': `${t('data.fieldType')} ${n}` }, FIELD_TYPES.map((x) => h('option', { value: x }, t(TYPE_LABEL[x]))));
  type.value = f.type;
  type.addEventListener('change', () => (f.type = FIELD_TYPES.find((x) => x === type.value) ?? 'number'));
  const optional = h('input', { id: `field-optional-${n}`, type: 'checkbox', checked: f.optional, 'aria-label': `${t('data.fieldOptional')} ${n}` });
  optional.addEventListener('change', () => (f.optional = optional.checked));
  return h(
    'tr',
    { class: 'field-row', 'data-row': n },
    h('td', { class: 'num' }, String(n)),
    h('td', {}, input(`field-name-${n}`, f.name, (v) => (f.name = v), { maxlength: 63, placeholder: n === 1 ? 'level' : '', 'aria-label': `${t('data.fieldName')} ${n}` })),
    h('td', {}, type),
    h('td', {}, input(`field-unit-${n}`, f.unit, (v) => (f.unit = v), { maxlength: 32, placeholder: n === 1 ? 'cm' : '', class: 'short', 'aria-label': `${t('data.fieldUnit')} ${n}` })),
    h('td', {}, input(`field-label-${n}`, f.label, (v) => (f.label = v), { maxlength: 100, 'aria-label': `${t('data.fieldLabel')} ${n}` })),
    h('td', { class: 'center' }, optional),
    h('td', {}, input(`field-min-${n}`, f.min, (v) => (f.min = v), { inputmode: 'decimal', class: 'short', 'aria-label': `${t('data.fieldMin')} ${n}` })),
    h('td', {}, input(`field-max-${n}`, f.max, (v) => (f.max = v), { inputmode: 'decimal', class: 'short', 'aria-label': `${t('data.fieldMax')} ${n}` })),
    h(
      'td',
      { class: 'row-actions' },
      h(
        'button',
        {
          class: 'btn btn-remove-field',
          type: 'button',
          disabled: draft.fields.length < 2,
          onclick: () => {
            draft.fields.splice(i, 1);
            formVersion++;
            ctx.rerender();
          },
        },
        t('cmp.removeRule'),
      ),
    ),
  );
}

function registerForm(ctx: ViewContext): HTMLElement {
  const opd = h('select', { id: 'dataset-opd' }, h('option', { value: '' }, '—'), opdOptions(ctx.state.opds));
  opd.value = draft.opd;
  opd.addEventListener('change', () => (draft.opd = opd.value));
  const errors = h('div', { class: 'form-error', role: 'alert' }, draftErrors.map((e) => h('p', {}, e)));
  errors.hidden = draftErrors.length === 0;
  const submit = h('button', { class: 'btn btn-primary', type: 'submit', disabled: saving }, saving ? t('admin.saving') : t('data.register'));
  return h(
    'form',
    {
      class: 'panel dataset-form',
      novalidate: true,
      onsubmit: (e: Event) => {
        e.preventDefault();
        if (saving) return;
        const parsed = parseDatasetDraft(draft, new Set(ctx.state.opds.map((o) => o.code)));
        if (!parsed.ok) {
          draftErrors = parsed.errors.map((x) => t(x.key, x.params));
          formVersion++;
          ctx.rerender();
          return;
        }
        saving = true;
        draftErrors = [];
        formVersion++;
        ctx.rerender();
        request<ApiDatasetRegistered>('/api/datasets', { method: 'POST', json: parsed.body }).then(
          (answer) => {
            issued = { slug: answer.dataset.slug, name: answer.dataset.name, token: answer.token, fields: answer.dataset.fields, rotated: false };
            draft = emptyDatasetDraft(draft.opd);
            load(ctx);
          },
          (err: unknown) => {
            draftErrors = [t('admin.saveFailed', { error: errorText(err) })];
          },
        ).finally(() => {
          saving = false;
          formVersion++;
          dataVersion++;
          ctx.rerender();
        });
      },
    },
    h('h2', {}, t('data.formTitle')),
    h(
      'div',
      { class: 'form-grid' },
      field('dataset-slug', t('data.slug'), input('dataset-slug', draft.slug, (v) => (draft.slug = v), { maxlength: 48, placeholder: 'tinggi-muka-air' }), { hint: t('data.slugHint') }),
      field('dataset-name', t('data.name'), input('dataset-name', draft.name, (v) => (draft.name = v), { maxlength: 200, placeholder: 'Tinggi Muka Air Sungai Tallo', class: 'wide' })),
      field('dataset-opd', t('data.opd'), opd),
      field('dataset-stale', t('data.staleMinutes'), input('dataset-stale', draft.staleMinutes, (v) => (draft.staleMinutes = v), { inputmode: 'decimal', class: 'short', placeholder: '15' }), { hint: t('data.staleHint') }),
    ),
    h('h3', {}, t('data.fields')),
    h(
      'table',
      { class: 'table fields-table' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', { class: 'num' }, '#'),
          h('th', {}, t('data.fieldName')),
          h('th', {}, t('data.fieldType')),
          h('th', {}, t('data.fieldUnit')),
          h('th', {}, t('data.fieldLabel')),
          h('th', {}, t('data.fieldOptional')),
          h('th', {}, t('data.fieldMin')),
          h('th', {}, t('data.fieldMax')),
          h('th', {}),
        ),
      ),
      h(
        'tbody',
        {},
        draft.fields.map((f, i) => fieldRow(f, i, ctx)),
      ),
    ),
    h('p', { class: 'hint' }, t('data.fieldsHint')),
    errors,
    h(
      'div',
      { class: 'form-actions' },
      h(
        'button',
        {
          class: 'btn btn-add-field',
          type: 'button',
          onclick: () => {
            draft.fields.push(emptyField());
            formVersion++;
            ctx.rerender();
          },
        },
        t('data.addField'),
      ),
      submit,
    ),
  );
}

export function renderDatasets(root: HTMLElement, ctx: ViewContext): void {
  if (!loading && (refetch.due(loadedAt, listError !== undefined) || Date.now() >= staleAt)) load(ctx);
  const key = `${language()}|${formVersion}|${ctx.opd ?? ''}|${ctx.state.opds.map((o) => `${o.code}:${o.name}`).join(',')}`;
  if (!mounted || mounted.key !== key || root.firstElementChild !== mounted.el) {
    const listBox = h('div', {});
    const tokenBox = h('div', {});
    const heading = h('h2', {});
    const el = h('section', { class: 'data-page' }, tokenBox, h('div', { class: 'panel data-list' }, heading, h('p', { class: 'hint' }, t('data.listHint')), listBox), registerForm(ctx));
    // The token panel is rebuilt only for another token: a reload of the list must not
    // undo a selection or the "copied" state while someone copies the token.
    let tokenFor: typeof issued | null = null;
    mounted = {
      key,
      el,
      version: -1,
      fill: (live) => {
        heading.textContent = t('data.listTitle', { n: list?.filter((d) => live.opd === undefined || d.opd === live.opd).length ?? 0 });
        listBox.replaceChildren(datasetTable(live));
        if (tokenFor === issued) return;
        tokenFor = issued;
        const panel = tokenPanel(live);
        tokenBox.replaceChildren(...(panel ? [panel] : []));
      },
    };
    root.replaceChildren(el);
  }
  if (mounted.version !== dataVersion) {
    mounted.version = dataVersion;
    mounted.fill(ctx);
  }
}

/** The central's `dataset` event (or the stream back after a gap): a shown page refetches after the burst. */
export function datasetsEvent(rerender: () => void): void {
  refetch.event(() => {
    if (mounted?.el.isConnected) rerender();
  });
}

/** Another user (or none) from now on: a token on screen least of all stays. */
export function resetDatasets(): void {
  list = undefined;
  listError = undefined;
  loadedAt = 0;
  staleAt = Infinity;
  refetch.reset();
  draft = emptyDatasetDraft();
  draftErrors = [];
  issued = undefined;
  rotating = undefined;
  mounted = undefined;
  dataVersion++;
  formVersion++;
}
