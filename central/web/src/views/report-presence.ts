/// <reference lib="dom" />
import type { ApiPresenceReport } from '../api-types.js';
import { h } from '../dom.js';
import { t, type MessageKey } from '../i18n.js';
import { dateInZone, formatInstant, viewerZone } from '../model.js';
import { addDays, choiceOf, draftFor, formatPeriod, PERIOD_KINDS, periodChoice, presencePath, type PeriodDraft, type PeriodKind } from '../reports-model.js';
import type { ViewContext } from './context.js';
import { field, opdOptions, syncValue } from './form-parts.js';
import { employeeDays, presenceTable } from './report-presence-table.js';
import { Fetched, redraw, resultChanged, retry, stateOf } from './report-fetch.js';

/**
 * Laporan, #/laporan?opd=CODE: the presence report of one OPD for a month, week or day
 * (the summary per employee, the OPD total, schedule and holiday notes, CSV/XLSX
 * downloads); a click on an employee fetches the daily detail (detail=true).
 */

const presence = new Fetched<ApiPresenceReport>();
const detail = new Fetched<ApiPresenceReport>();

let draft: PeriodDraft | undefined;
let draftError: MessageKey | undefined;
/** The employee whose days are open, and the OPD that was for (another OPD closes it). */
let openPin: { opd: string; pin: string } | undefined;
let scrollToDetail = false;

function opdZone(ctx: ViewContext, code: string | undefined): string {
  return ctx.state.opds.find((o) => o.code === code)?.zone ?? viewerZone();
}

/** The form's values, the period around today in the OPD's zone the first time. */
export function presenceDraft(ctx: ViewContext): PeriodDraft {
  draft ??= draftFor(dateInZone(ctx.nowMs, opdZone(ctx, ctx.opd)));
  return draft;
}

function wantedPresence(ctx: ViewContext): string | undefined {
  if (ctx.opd === undefined || !draft) return undefined;
  const parsed = periodChoice(draft);
  return parsed.ok ? presencePath(ctx.opd, parsed.choice) : undefined;
}

/** Fetches what the form and the route ask for unless it is fetched already; true when a fetch started. */
export function fetchPresence(ctx: ViewContext): boolean {
  const done = redraw(ctx);
  let started = presence.want(wantedPresence(ctx), done);
  if (openPin && openPin.opd !== ctx.opd) openPin = undefined;
  // The detail is the same report with every day: asked for only when someone opens an employee.
  const base = presence.data && presence.path;
  if (openPin && base) started = detail.want(`${base}&detail=true`, done) || started;
  return started;
}

/** The report again, and the open employee's days with it. */
function reload(ctx: ViewContext, path: string | undefined): void {
  if (path) presence.load(path, redraw(ctx));
  if (openPin) detail.clear();
  resultChanged();
}

export function presenceForm(ctx: ViewContext, d: PeriodDraft): { el: HTMLElement; sync: (ctx: ViewContext) => void } {
  const opd = h('select', { id: 'report-opd' }, h('option', { value: '' }, t('rep.chooseOpd')), opdOptions(ctx.state.opds));
  const kind = h('select', { id: 'report-kind' }, PERIOD_KINDS.map((k) => h('option', { value: k }, t(`rep.kind.${k}`))));
  const month = h('input', { id: 'report-month', type: 'month', value: d.month, placeholder: t('rep.monthPlaceholder'), autocomplete: 'off' });
  const week = h('input', { id: 'report-week', type: 'date', value: d.week, autocomplete: 'off' });
  const day = h('input', { id: 'report-day', type: 'date', value: d.day, autocomplete: 'off' });
  const weekHint = h('span', { class: 'hint week-hint', id: 'report-week-hint' });
  const error = h('p', { class: 'form-error', role: 'alert' });
  const submit = h('button', { class: 'btn btn-primary', type: 'submit' }, t('rep.show'));
  const fields: Record<PeriodKind, HTMLElement> = {
    month: field('report-month', t('rep.month'), month),
    week: field('report-week', t('rep.week'), week, { hint: weekHint }),
    day: field('report-day', t('rep.day'), day),
  };

  const read = () => {
    d.month = month.value;
    d.week = week.value;
    d.day = day.value;
    d.kind = kind.value as PeriodKind;
    const parsed = periodChoice(d);
    draftError = parsed.ok ? undefined : parsed.error;
  };
  // Any change asks for the new report (the page fetches what the form says); no extra click needed.
  for (const input of [month, week, day, kind]) {
    input.addEventListener('change', () => {
      read();
      ctx.rerender();
    });
  }
  opd.addEventListener('change', () => ctx.setOpd(opd.value === '' ? undefined : opd.value));

  const el = h(
    'form',
    {
      class: 'panel report-form',
      id: 'presence-form',
      novalidate: true,
      onsubmit: (e: Event) => {
        e.preventDefault();
        read();
        if (ctx.opd === undefined) {
          opd.focus();
          return;
        }
        // The same report again is a reload; another one is fetched by the render below.
        const path = wantedPresence(ctx);
        if (path !== undefined && path === presence.path) reload(ctx, path);
        ctx.rerender();
      },
    },
    h('div', { class: 'form-grid' }, field('report-opd', t('rep.opd'), opd), field('report-kind', t('rep.kind'), kind), fields.month, fields.week, fields.day, h('div', { class: 'field field-submit' }, submit)),
    error,
  );

  const sync = (now: ViewContext) => {
    const code = now.opd ?? '';
    if (code !== '' && ![...opd.options].some((o) => o.value === code)) opd.append(h('option', { value: code }, code));
    syncValue(opd, code);
    syncValue(kind, d.kind);
    for (const k of PERIOD_KINDS) fields[k].hidden = k !== d.kind;
    const parsedWeek = periodChoice({ ...d, kind: 'week' });
    weekHint.textContent = parsedWeek.ok ? formatPeriod({ kind: 'week', from: parsedWeek.choice.value, to: addDays(parsedWeek.choice.value, 6) }) : '';
    error.textContent = draftError ? t(draftError) : '';
    error.hidden = draftError === undefined;
  };
  return { el, sync };
}

function isOpen(report: ApiPresenceReport, pin: string): boolean {
  return openPin?.pin === pin && openPin.opd === report.opd.code;
}

function toggleEmployee(ctx: ViewContext, report: ApiPresenceReport, pin: string): void {
  const open = isOpen(report, pin);
  openPin = open ? undefined : { opd: report.opd.code, pin };
  scrollToDetail = !open;
  resultChanged();
  ctx.rerender();
}

function employeeDetail(r: ApiPresenceReport, pin: string, ctx: ViewContext): HTMLElement {
  const e = r.employees.find((x) => x.pin === pin);
  return h(
    'div',
    { class: 'panel employee-detail', 'data-pin': pin, id: 'employee-detail' },
    h(
      'div',
      { class: 'panel-head' },
      h('h3', {}, t('rep.detailTitle', { name: `${e?.name ?? '—'} (${pin})` })),
      h('button', { class: 'btn btn-close', type: 'button', onclick: () => toggleEmployee(ctx, r, pin) }, t('rep.close')),
    ),
    stateOf(detail, retry(detail, ctx), (full) => employeeDays(full, pin, r.opd.zone)),
  );
}

function presenceReport(r: ApiPresenceReport, ctx: ViewContext): HTMLElement {
  const choice = choiceOf(r.period);
  const t0 = r.totals;
  const notes = h(
    'dl',
    { class: 'facts report-notes' },
    h('dt', {}, t('rep.schedule')),
    h('dd', { class: 'schedule' }, r.schedule),
    h('dt', {}, t('rep.holidays')),
    h('dd', { class: 'holiday-files' }, r.holidayFiles.length ? r.holidayFiles.join(', ') : t('rep.noHolidays')),
    r.warnings.length ? [h('dt', {}, t('rep.warnings')), h('dd', { class: 'warnings' }, h('ul', {}, r.warnings.map((w) => h('li', {}, w))))] : [],
  );
  const onReload = () => {
    reload(ctx, presence.path);
    ctx.rerender();
  };
  return h(
    'section',
    { class: 'panel presence-report', 'data-opd': r.opd.code, 'data-period': r.period.label },
    h(
      'div',
      { class: 'report-head' },
      h(
        'div',
        {},
        h('h2', {}, t('rep.title', { opd: `${r.opd.name} (${r.opd.code})` })),
        h('p', { class: 'report-period' }, h('strong', {}, formatPeriod(r.period)), ' · ', t('rep.generated', { time: formatInstant(r.generatedAt, ctx.nowMs) })),
      ),
      h(
        'div',
        { class: 'report-actions' },
        h('a', { class: 'btn download-csv', href: presencePath(r.opd.code, choice, { format: 'csv' }), download: '' }, `⤓ ${t('rep.downloadCsv')}`),
        h('a', { class: 'btn download-xlsx', href: presencePath(r.opd.code, choice, { format: 'xlsx' }), download: '' }, `⤓ ${t('rep.downloadXlsx')}`),
        h('button', { class: 'btn btn-reload', type: 'button', onclick: onReload, disabled: presence.busy }, t('rep.reload')),
      ),
    ),
    notes,
    h('p', { class: 'summary report-summary' }, t('rep.summaryLine', { employees: t0.employees, workDays: t0.workDays, present: t0.present, absent: t0.absent, late: t0.lateDays })),
    r.employees.length
      ? [presenceTable(r, { isOpen: (pin) => isOpen(r, pin), toggle: (pin) => toggleEmployee(ctx, r, pin) }), h('p', { class: 'hint' }, t('rep.openHint'))]
      : h('p', { class: 'empty' }, t('rep.empty')),
    openPin && openPin.opd === r.opd.code ? employeeDetail(r, openPin.pin, ctx) : null,
  );
}

export function presenceResult(ctx: ViewContext): HTMLElement[] {
  if (ctx.opd === undefined) return [h('p', { class: 'empty' }, t('rep.pickOpd'))];
  // Another OPD chosen while the period field is wrong: the last report is not this OPD's.
  const asked = presence.path ? new URLSearchParams(presence.path.split('?')[1]).get('opd') : null;
  if (asked !== ctx.opd) return [];
  return stateOf(presence, retry(presence, ctx, () => wantedPresence(ctx)), (r) => presenceReport(r, ctx));
}

/** After an employee was opened: the days are brought into view once they are on the page. */
export function scrollToOpenedEmployee(result: HTMLElement): void {
  if (!scrollToDetail) return;
  const panel = result.querySelector('.employee-detail');
  if (panel) {
    panel.scrollIntoView({ block: 'nearest' });
    scrollToDetail = false;
  }
}

export function resetPresence(): void {
  presence.clear();
  detail.clear();
  draft = undefined;
  draftError = undefined;
  openPin = undefined;
}
