/// <reference lib="dom" />
import { ApiError, errorText, request } from '../api.js';
import type {
  ApiOfficePerformance,
  ApiPerformanceRanking,
  ApiPresenceDay,
  ApiPresenceEmployee,
  ApiPresenceReport,
  ApiPresenceTotals,
  ApiRankedOffice,
  ApiRankingSort,
} from '../api-types.js';
import { badge, h } from '../dom.js';
import { formatNumber, language, t, type MessageKey } from '../i18n.js';
import { dateInZone, formatInstant, viewerZone, zoneAbbr } from '../model.js';
import {
  addDays,
  choiceOf,
  dayStatus,
  draftFor,
  formatClock,
  formatDate,
  formatDuration,
  formatHour,
  formatPeriod,
  formatShare,
  isMonth,
  PERIOD_KINDS,
  performancePath,
  periodChoice,
  presencePath,
  RANKING_SORTS,
  reportErrorKey,
  shareSeverity,
  type PeriodDraft,
  type PeriodKind,
} from '../reports-model.js';
import type { ViewContext } from './context.js';

/**
 * Laporan (reports.read): two pages of one view.
 *  - #/laporan?opd=CODE: the presence report of one OPD for a month, week or day (the
 *    summary per employee, the OPD total, schedule and holiday notes, CSV/XLSX
 *    downloads); a click on an employee fetches the daily detail (detail=true).
 *  - #/laporan/kinerja[?opd=CODE]: the office performance ranking of a month,
 *    sortable as the central sorts it; a click on an OPD shows its performance.
 * The OPD is the route's ?opd=, like the filter of the other views, so an address
 * opens a report directly. Reports are not live: they are fetched when what is asked
 * changes, or on "Muat ulang". Nothing here is rebuilt on the app's 15 s refresh, so a
 * form being filled in or a scrolled table stays as it is.
 */

/** A month of a big OPD, or the ranking of fifty, reads a lot from InfluxDB. */
const REPORT_TIMEOUT_MS = 60_000;

/** One report from the central: what was asked (its address), the answer or why there is none. */
class Fetched<T> {
  path: string | undefined;
  data: T | undefined;
  error: unknown;
  busy = false;
  private seq = 0;

  /**
   * `keepWhileLoading`: the last answer stays on screen (greyed) while another is
   * fetched, so re-sorting a long ranking does not make the page jump.
   */
  constructor(private readonly keepWhileLoading = false) {}

  /** Asks again even for the same address (reload); an answer to an older question is dropped. */
  load(path: string, done: () => void): void {
    if (path !== this.path && !this.keepWhileLoading) this.data = undefined;
    this.path = path;
    this.error = undefined;
    this.busy = true;
    const mine = ++this.seq;
    request<T>(path, { timeoutMs: REPORT_TIMEOUT_MS })
      .then(
        (answer) => {
          if (mine === this.seq) this.data = answer;
        },
        (err: unknown) => {
          if (mine !== this.seq) return;
          this.error = err;
          this.data = undefined; // an older answer next to an error would read as current
        },
      )
      .finally(() => {
        if (mine !== this.seq) return;
        this.busy = false;
        done();
      });
  }

  /** Loads unless this address is loaded, loading or failed already (a failure waits for "Coba lagi"). */
  want(path: string | undefined, done: () => void): boolean {
    if (path === undefined || path === this.path) return false;
    this.load(path, done);
    return true;
  }

  clear(): void {
    this.seq++;
    this.path = undefined;
    this.data = undefined;
    this.error = undefined;
    this.busy = false;
  }
}

type Sub = 'kehadiran' | 'kinerja';

const presence = new Fetched<ApiPresenceReport>();
const detail = new Fetched<ApiPresenceReport>();
const ranking = new Fetched<ApiPerformanceRanking>(true);
const office = new Fetched<ApiOfficePerformance>();

let draft: PeriodDraft | undefined;
let draftError: MessageKey | undefined;
let perfMonth: string | undefined;
let perfMonthError = false;
let sort: ApiRankingSort = 'score';
/** The employee whose days are open, and the OPD that was for (another OPD closes it). */
let openPin: { opd: string; pin: string } | undefined;
let scrollToDetail = false;
/** Bumped whenever what the result area shows changed. */
let version = 0;

interface Mounted {
  key: string;
  el: HTMLElement;
  result: HTMLElement;
  resultKey: string;
  /** The OPD the sub-page links carry. */
  navOpd: string | undefined;
  sync: (ctx: ViewContext) => void;
}
let mounted: Mounted | undefined;

function changed(ctx: ViewContext): () => void {
  return () => {
    version++;
    ctx.rerender();
  };
}

function subOf(ctx: ViewContext): Sub {
  return ctx.sub === 'kinerja' ? 'kinerja' : 'kehadiran';
}

function opdZone(ctx: ViewContext, code: string | undefined): string {
  return ctx.state.opds.find((o) => o.code === code)?.zone ?? viewerZone();
}

// ---------------------------------------------------------------- what to fetch

function wantedPresence(ctx: ViewContext): string | undefined {
  if (ctx.opd === undefined || !draft) return undefined;
  const parsed = periodChoice(draft);
  return parsed.ok ? presencePath(ctx.opd, parsed.choice) : undefined;
}

/** Fetches what the page shows when it is not fetched yet: the state of the form and route drives it. */
function fetchWanted(ctx: ViewContext, sub: Sub): void {
  const done = changed(ctx);
  let started = false;
  if (sub === 'kehadiran') {
    started = presence.want(wantedPresence(ctx), done) || started;
    if (openPin && openPin.opd !== ctx.opd) openPin = undefined;
    // The detail is the same report with every day: asked for only when someone opens an employee.
    const base = presence.data && presence.path;
    if (openPin && base) started = detail.want(`${base}&detail=true`, done) || started;
  } else if (perfMonth !== undefined && isMonth(perfMonth)) {
    started = ranking.want(performancePath(perfMonth, { sort }), done) || started;
    if (ctx.opd !== undefined) started = office.want(performancePath(perfMonth, { opd: ctx.opd }), done) || started;
  }
  if (started) version++;
}

// ---------------------------------------------------------------- shared pieces

function loadingLine(): HTMLElement {
  return h('p', { class: 'empty report-loading', role: 'status', 'aria-busy': 'true' }, t('rep.loading'));
}

function problem(err: unknown, retry: () => void): HTMLElement {
  const status = err instanceof ApiError ? err.status : 0;
  const key = reportErrorKey(status, err instanceof ApiError && err.timedOut);
  return h(
    'div',
    { class: 'report-error', role: 'alert', 'data-status': status },
    h('p', {}, t(key, { error: errorText(err), s: REPORT_TIMEOUT_MS / 1000 })),
    h('button', { class: 'btn btn-retry', type: 'button', onclick: retry }, t('common.retry')),
  );
}

/** Loading, failed, or the content: the three states every report area has. */
function stateOf<T>(fetched: Fetched<T>, retry: () => void, content: (data: T) => HTMLElement | HTMLElement[]): HTMLElement[] {
  const out: HTMLElement[] = [];
  if (fetched.busy) out.push(loadingLine());
  if (fetched.error !== undefined && !fetched.busy) out.push(problem(fetched.error, retry));
  if (fetched.data !== undefined) {
    const shown = [content(fetched.data)].flat();
    if (fetched.busy) for (const el of shown) el.classList.add('is-stale');
    out.push(...shown);
  }
  return out;
}

function shareCell(cls: string, share: number | null, extra?: string): HTMLElement {
  const severity = shareSeverity(share);
  return h(
    'td',
    { class: `num share ${cls} share-${severity}`, title: share === null ? t('perf.nothing') : undefined },
    h('span', { class: 'share-value' }, formatShare(share)),
    extra ? h('span', { class: 'share-extra' }, extra) : null,
  );
}

function field(id: string, label: string, input: HTMLElement, hint?: HTMLElement): HTMLElement {
  return h('div', { class: 'field' }, h('label', { for: id }, label), input, hint ?? null);
}

function subnav(sub: Sub, ctx: ViewContext): HTMLElement {
  const query = ctx.opd !== undefined ? `?opd=${encodeURIComponent(ctx.opd)}` : '';
  const link = (target: Sub, label: MessageKey, path: string) =>
    h('a', { class: `subtab${target === sub ? ' active' : ''}`, href: `${path}${query}`, 'data-sub': target, 'aria-current': target === sub ? 'page' : undefined }, t(label));
  return h('nav', { class: 'subtabs', 'aria-label': t('rep.sub') }, link('kehadiran', 'rep.nav.presence', '#/laporan'), link('kinerja', 'rep.nav.performance', '#/laporan/kinerja'));
}

/** Sets a control's value from the state unless someone is typing in it. */
function syncValue(el: HTMLInputElement | HTMLSelectElement, value: string): void {
  if (el.value !== value && document.activeElement !== el) el.value = value;
}

// ---------------------------------------------------------------- presence: the form

function presenceForm(ctx: ViewContext, d: PeriodDraft): { el: HTMLElement; sync: (ctx: ViewContext) => void } {
  const opds = [...ctx.state.opds].sort((a, b) => a.name.localeCompare(b.name, 'id'));
  const opd = h('select', { id: 'report-opd' }, h('option', { value: '' }, t('rep.chooseOpd')), opds.map((o) => h('option', { value: o.code }, `${o.name} (${o.code})`)));
  const kind = h('select', { id: 'report-kind' }, PERIOD_KINDS.map((k) => h('option', { value: k }, t(`rep.kind.${k}`))));
  const month = h('input', { id: 'report-month', type: 'month', value: d.month, placeholder: t('rep.monthPlaceholder'), autocomplete: 'off' });
  const week = h('input', { id: 'report-week', type: 'date', value: d.week, autocomplete: 'off' });
  const day = h('input', { id: 'report-day', type: 'date', value: d.day, autocomplete: 'off' });
  const weekHint = h('span', { class: 'hint week-hint', id: 'report-week-hint' });
  const error = h('p', { class: 'form-error', role: 'alert' });
  const submit = h('button', { class: 'btn btn-primary', type: 'submit' }, t('rep.show'));
  const fields: Record<PeriodKind, HTMLElement> = {
    month: field('report-month', t('rep.month'), month),
    week: field('report-week', t('rep.week'), week, weekHint),
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
        if (path !== undefined && path === presence.path) {
          presence.load(path, changed(ctx));
          if (openPin) detail.clear();
          version++;
        }
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

// ---------------------------------------------------------------- presence: the report

function flagText(e: ApiPresenceEmployee): string {
  if (e.flag === null) return e.note ?? '';
  // The central's note is Indonesian; the flag and the OPD it names are enough to say it in either language.
  const elsewhere = /sekarang di OPD (\S+)/.exec(e.note ?? '')?.[1];
  const text = t(e.flag === 'unknown' ? 'rep.flagUnknown' : 'rep.flagGone');
  return elsewhere ? `${text}; ${t('rep.flagElsewhere', { opd: elsewhere })}` : text;
}

function countWithMinutes(cls: string, days: number, minutes: number): HTMLElement {
  return h('td', { class: `num ${cls}${days > 0 ? ' has-value' : ''}` }, h('span', { class: 'count' }, formatNumber(days)), minutes > 0 ? h('span', { class: 'minutes' }, t('rep.minutes', { n: minutes })) : null);
}

function totalsCells(x: ApiPresenceTotals): HTMLElement[] {
  const n = (cls: string, v: number) => h('td', { class: `num ${cls}${v > 0 ? ' has-value' : ''}` }, formatNumber(v));
  return [
    n('work-days', x.workDays),
    n('present', x.present),
    n('absent', x.absent),
    countWithMinutes('late', x.lateDays, x.lateMinutes),
    countWithMinutes('early', x.earlyLeaveDays, x.earlyLeaveMinutes),
    n('missing-out', x.missingOut),
    n('missing-in', x.missingIn),
    n('off-day', x.offDayPresence),
    n('punches', x.punches),
  ];
}

function toggleEmployee(ctx: ViewContext, report: ApiPresenceReport, pin: string): void {
  const open = openPin?.pin === pin && openPin.opd === report.opd.code;
  openPin = open ? undefined : { opd: report.opd.code, pin };
  scrollToDetail = !open;
  version++;
  ctx.rerender();
}

function presenceTable(r: ApiPresenceReport, ctx: ViewContext): HTMLElement {
  const heads: [MessageKey, boolean][] = [
    ['rep.pin', false],
    ['rep.name', false],
    ['rep.workDays', true],
    ['rep.present', true],
    ['rep.absent', true],
    ['rep.late', true],
    ['rep.early', true],
    ['rep.missingOut', true],
    ['rep.missingIn', true],
    ['rep.offDay', true],
    ['rep.punches', true],
    ['rep.note', false],
  ];
  return h(
    'table',
    { class: 'table presence-table' },
    h('thead', {}, h('tr', {}, heads.map(([key, num]) => h('th', { class: num ? 'num' : undefined, scope: 'col' }, t(key))))),
    h(
      'tbody',
      {},
      r.employees.map((e) => {
        const open = openPin?.pin === e.pin && openPin.opd === r.opd.code;
        const toggle = () => toggleEmployee(ctx, r, e.pin);
        return h(
          'tr',
          {
            class: `employee-row${e.flag ? ' flagged' : ''}${open ? ' selected' : ''}`,
            'data-pin': e.pin,
            tabindex: 0,
            'aria-expanded': open ? 'true' : 'false',
            onclick: toggle,
            onkeydown: (ev: Event) => {
              if ((ev as KeyboardEvent).key === 'Enter') toggle();
            },
          },
          h('td', { class: 'mono pin' }, e.pin),
          h('td', { class: 'who' }, h('span', { class: 'employee-name' }, e.name ?? '—'), e.nip ? h('span', { class: 'nip mono' }, e.nip) : null),
          totalsCells(e.totals),
          h('td', { class: 'note' }, e.flag ? badge(flagText(e), 'warn', 'flag') : (e.note ?? '')),
        );
      }),
    ),
    h(
      'tfoot',
      {},
      h(
        'tr',
        { class: 'total-row' },
        h('th', { colspan: 2, scope: 'row' }, t('rep.total', { n: r.totals.employees })),
        totalsCells(r.totals),
        h('td', { class: 'note' }, r.flagged.employees > 0 ? t('rep.flaggedNote', { n: r.flagged.employees, punches: r.flagged.punches }) : ''),
      ),
    ),
  );
}

function dayRow(day: ApiPresenceDay, onRoster: boolean): HTMLElement {
  const status = dayStatus(day, onRoster);
  const kind = day.kind === 'holiday' ? t('rep.day.holiday', { name: day.holiday ?? '' }) : t(`rep.day.${day.kind}`);
  const remarks = [day.missingOut ? t('rep.missingOut') : '', day.missingIn ? t('rep.missingIn') : '', day.pending && !day.future && day.kind === 'workday' ? t('rep.pending') : ''].filter(Boolean);
  return h(
    'tr',
    { class: `day-row kind-${day.kind}${day.future ? ' future' : ''}`, 'data-date': day.date },
    h('td', { class: 'date' }, formatDate(day.date, 'short')),
    h('td', { class: 'day-kind' }, kind),
    h('td', { class: 'mono in' }, formatClock(day.in)),
    h('td', { class: 'mono out' }, formatClock(day.out)),
    h('td', { class: 'status' }, status ? (status.severity === 'none' ? t(status.key) : badge(t(status.key), status.severity)) : ''),
    h('td', { class: `num late${day.lateMinutes > 0 ? ' has-value' : ''}` }, day.lateMinutes > 0 ? formatNumber(day.lateMinutes) : ''),
    h('td', { class: `num early${day.earlyLeaveMinutes > 0 ? ' has-value' : ''}` }, day.earlyLeaveMinutes > 0 ? formatNumber(day.earlyLeaveMinutes) : ''),
    h('td', { class: 'num punches' }, day.punches > 0 ? formatNumber(day.punches) : ''),
    h('td', { class: 'remarks' }, remarks.join('; ')),
  );
}

function employeeDetail(r: ApiPresenceReport, pin: string, ctx: ViewContext): HTMLElement {
  const e = r.employees.find((x) => x.pin === pin);
  const zone = zoneAbbr(r.opd.zone);
  const close = () => toggleEmployee(ctx, r, pin);
  const body = stateOf(
    detail,
    () => {
      if (detail.path) detail.load(detail.path, changed(ctx));
      version++;
      ctx.rerender();
    },
    (full) => {
      const days = full.employees.find((x) => x.pin === pin)?.days;
      if (!days) return h('p', { class: 'empty' }, t('rep.noDays'));
      const heads: [string, boolean][] = [
        [t('rep.date'), false],
        [t('rep.dayKind'), false],
        [t('rep.in', { zone }), false],
        [t('rep.out', { zone }), false],
        [t('rep.status'), false],
        [t('rep.lateMin'), true],
        [t('rep.earlyMin'), true],
        [t('rep.punches'), true],
        [t('rep.flags'), false],
      ];
      const onRoster = full.employees.find((x) => x.pin === pin)?.flag === null;
      return h(
        'table',
        { class: 'table employee-days' },
        h('thead', {}, h('tr', {}, heads.map(([label, num]) => h('th', { class: num ? 'num' : undefined, scope: 'col' }, label)))),
        h('tbody', {}, days.map((day) => dayRow(day, onRoster))),
      );
    },
  );
  return h(
    'div',
    { class: 'panel employee-detail', 'data-pin': pin, id: 'employee-detail' },
    h(
      'div',
      { class: 'panel-head' },
      h('h3', {}, t('rep.detailTitle', { name: `${e?.name ?? '—'} (${pin})` })),
      h('button', { class: 'btn btn-close', type: 'button', onclick: close }, t('rep.close')),
    ),
    body,
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
  const reload = () => {
    if (presence.path) presence.load(presence.path, changed(ctx));
    if (openPin) detail.clear();
    version++;
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
        h('button', { class: 'btn btn-reload', type: 'button', onclick: reload, disabled: presence.busy }, t('rep.reload')),
      ),
    ),
    notes,
    h('p', { class: 'summary report-summary' }, t('rep.summaryLine', { employees: t0.employees, workDays: t0.workDays, present: t0.present, absent: t0.absent, late: t0.lateDays })),
    r.employees.length ? [presenceTable(r, ctx), h('p', { class: 'hint' }, t('rep.openHint'))] : h('p', { class: 'empty' }, t('rep.empty')),
    openPin && openPin.opd === r.opd.code ? employeeDetail(r, openPin.pin, ctx) : null,
  );
}

function presenceResult(ctx: ViewContext): HTMLElement[] {
  if (ctx.opd === undefined) return [h('p', { class: 'empty' }, t('rep.pickOpd'))];
  // Another OPD chosen while the period field is wrong: the last report is not this OPD's.
  const asked = presence.path ? new URLSearchParams(presence.path.split('?')[1]).get('opd') : null;
  if (asked !== ctx.opd) return [];
  return stateOf(
    presence,
    () => {
      const path = presence.path ?? wantedPresence(ctx);
      if (path) presence.load(path, changed(ctx));
      version++;
      ctx.rerender();
    },
    (r) => presenceReport(r, ctx),
  );
}

// ---------------------------------------------------------------- performance

function performanceForm(ctx: ViewContext): { el: HTMLElement; sync: (ctx: ViewContext) => void } {
  const month = h('input', { id: 'perf-month', type: 'month', value: perfMonth ?? '', placeholder: t('rep.monthPlaceholder'), autocomplete: 'off' });
  const error = h('p', { class: 'form-error', role: 'alert' });
  const read = () => {
    perfMonth = month.value.trim();
    perfMonthError = !isMonth(perfMonth);
  };
  month.addEventListener('change', () => {
    read();
    ctx.rerender();
  });
  const el = h(
    'form',
    {
      class: 'panel report-form',
      id: 'perf-form',
      novalidate: true,
      onsubmit: (e: Event) => {
        e.preventDefault();
        read();
        if (!perfMonthError && perfMonth !== undefined) {
          // Reload what is shown; a new month is fetched by the render below.
          const path = performancePath(perfMonth, { sort });
          if (path === ranking.path) ranking.load(path, changed(ctx));
          const detailPath = ctx.opd !== undefined ? performancePath(perfMonth, { opd: ctx.opd }) : undefined;
          if (detailPath !== undefined && detailPath === office.path) office.load(detailPath, changed(ctx));
          version++;
        }
        ctx.rerender();
      },
    },
    h('div', { class: 'form-grid' }, field('perf-month', t('perf.month'), month), h('div', { class: 'field field-submit' }, h('button', { class: 'btn btn-primary', type: 'submit' }, t('rep.show')))),
    error,
  );
  const sync = () => {
    syncValue(month, perfMonth ?? '');
    error.textContent = perfMonthError ? t('rep.errMonth') : '';
    error.hidden = !perfMonthError;
  };
  return { el, sync };
}

const SORT_LABEL: Record<ApiRankingSort, MessageKey> = {
  score: 'perf.score',
  workdays: 'perf.workdays',
  uptime: 'perf.uptime',
  cameras: 'perf.cameras',
  response: 'perf.median',
};

function sortHeader(key: ApiRankingSort, ctx: ViewContext): HTMLElement {
  const active = sort === key;
  // "response" is best when shortest; every other key when highest.
  const direction = key === 'response' ? 'ascending' : 'descending';
  return h(
    'th',
    { class: 'num sortable', scope: 'col', 'aria-sort': active ? direction : undefined },
    h(
      'button',
      {
        class: `sort-btn${active ? ' active' : ''}`,
        type: 'button',
        'data-sort': key,
        title: t('perf.sortBy', { key: t(SORT_LABEL[key]) }),
        onclick: () => {
          if (sort === key) return;
          sort = key;
          version++;
          ctx.rerender();
        },
      },
      t(SORT_LABEL[key]),
      h('span', { class: 'sort-mark', 'aria-hidden': 'true' }, active ? (key === 'response' ? ' ▲' : ' ▼') : ' ⇅'),
    ),
  );
}

function rankingTable(rk: ApiPerformanceRanking, ctx: ViewContext): HTMLElement {
  const select = (code: string) => ctx.setOpd(code === ctx.opd ? undefined : code);
  const row = (o: ApiRankedOffice) =>
    h(
      'tr',
      {
        class: `rank-row${o.opd.code === ctx.opd ? ' selected' : ''}`,
        'data-opd': o.opd.code,
        'data-rank': o.rank,
        tabindex: 0,
        'aria-selected': o.opd.code === ctx.opd ? 'true' : 'false',
        onclick: () => select(o.opd.code),
        onkeydown: (e: Event) => {
          if ((e as KeyboardEvent).key === 'Enter') select(o.opd.code);
        },
      },
      h('td', { class: 'num rank' }, formatNumber(o.rank)),
      h('td', { class: 'opd' }, h('span', { class: 'opd-title' }, o.opd.name), h('span', { class: 'opd-code' }, o.opd.code)),
      h(
        'td',
        { class: `num share score share-${shareSeverity(o.score)}`, title: o.score === null ? t('perf.nothing') : undefined },
        o.score !== null ? h('meter', { class: 'score-meter', min: 0, max: 1, low: 0.7, high: 0.9, optimum: 1, value: o.score, 'aria-hidden': 'true' }) : null,
        h('span', { class: 'share-value' }, formatShare(o.score)),
      ),
      shareCell('workdays', o.workdays.share, o.workdays.planned > 0 ? t('perf.daysOf', { n: o.workdays.withPunches, total: o.workdays.planned }) : undefined),
      shareCell('uptime', o.gateways.average),
      shareCell('cameras', o.cameras.average),
      h('td', { class: 'num median' }, formatDuration(o.alerts.medianS)),
      h('td', { class: 'num p90' }, formatDuration(o.alerts.p90S)),
      h('td', { class: `num unacked${o.alerts.unacknowledged > 0 ? ' has-value' : ''}` }, formatNumber(o.alerts.unacknowledged)),
    );
  return h(
    'table',
    { class: 'table perf-table', 'data-sort': rk.sort },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', { class: 'num', scope: 'col' }, t('perf.rank')),
        h('th', { scope: 'col' }, t('perf.opd')),
        RANKING_SORTS.filter((k) => k !== 'response').map((k) => sortHeader(k, ctx)),
        sortHeader('response', ctx),
        h('th', { class: 'num', scope: 'col' }, t('perf.p90')),
        h('th', { class: 'num', scope: 'col' }, t('perf.unacked')),
      ),
    ),
    h('tbody', {}, rk.offices.map(row)),
  );
}

function windowLine(w: ApiOfficePerformance['gateways']['window']): HTMLElement {
  return h('p', { class: 'hint window' }, t('perf.window', { hours: w.hours, from: formatHour(w.from), to: formatHour(w.to) }));
}

function officeDetail(p: ApiOfficePerformance): HTMLElement[] {
  const fact = (label: MessageKey, value: string, cls: string) => [h('dt', {}, t(label)), h('dd', { class: cls }, value)];
  const gateways = p.gateways.list.length
    ? h(
        'table',
        { class: 'table perf-gateways' },
        h('thead', {}, h('tr', {}, h('th', {}, t('perf.gateway')), h('th', { class: 'num' }, t('perf.hoursReported')), h('th', { class: 'num' }, t('perf.share')))),
        h(
          'tbody',
          {},
          p.gateways.list.map((g) =>
            h('tr', { 'data-gateway': g.gateway }, h('td', { class: 'mono' }, g.gateway), h('td', { class: 'num' }, t('perf.hoursOf', { n: g.hoursReported, total: p.gateways.window.hours })), shareCell('uptime', g.share)),
          ),
        ),
      )
    : h('p', { class: 'hint' }, t('perf.noGateways'));
  const cameras = p.cameras.list.length
    ? h(
        'table',
        { class: 'table perf-cameras' },
        h('thead', {}, h('tr', {}, h('th', {}, t('perf.camera')), h('th', { class: 'num' }, t('perf.hoursFrames')), h('th', { class: 'num' }, t('perf.share')))),
        h(
          'tbody',
          {},
          p.cameras.list.map((c) =>
            h(
              'tr',
              { 'data-camera': c.camera },
              h('td', { class: 'mono' }, `${c.camera} (${c.gateway})`),
              h('td', { class: 'num' }, t('perf.hoursOf', { n: c.hoursWithFrames, total: p.cameras.window.hours })),
              shareCell('cameras', c.share),
            ),
          ),
        ),
      )
    : h('p', { class: 'hint' }, t('perf.noCameras'));
  return [
    h('p', { class: `perf-score share-${shareSeverity(p.score)}` }, h('span', {}, t('perf.score')), ' ', h('strong', { class: 'share-value' }, formatShare(p.score))),
    h('h4', {}, t('perf.workdays')),
    h(
      'dl',
      { class: 'facts' },
      fact('perf.planned', formatNumber(p.workdays.planned), 'planned'),
      fact('perf.withPunches', formatNumber(p.workdays.withPunches), 'with-punches'),
      fact('perf.share', formatShare(p.workdays.share), 'workdays-share'),
      fact('perf.withoutPunches', p.workdays.withoutPunches.length ? p.workdays.withoutPunches.map((d) => formatDate(d, 'short')).join(', ') : t('perf.noneMissing'), 'without-punches'),
    ),
    h('h4', {}, t('perf.uptime'), ': ', formatShare(p.gateways.average)),
    windowLine(p.gateways.window),
    gateways,
    h('h4', {}, t('perf.cameras'), ': ', formatShare(p.cameras.average)),
    windowLine(p.cameras.window),
    cameras,
    h('h4', {}, t('perf.alerts')),
    h(
      'dl',
      { class: 'facts' },
      fact('perf.alertCount', formatNumber(p.alerts.count), 'alert-count'),
      fact('perf.acked', formatNumber(p.alerts.acknowledged), 'acked'),
      fact('perf.unacked', formatNumber(p.alerts.unacknowledged), 'unacked'),
      fact('perf.median', formatDuration(p.alerts.medianS), 'median'),
      fact('perf.p90', formatDuration(p.alerts.p90S), 'p90'),
      fact('perf.withinTarget', formatShare(p.alerts.withinTargetShare), 'within-target'),
    ),
  ];
}

function performanceResult(ctx: ViewContext): HTMLElement[] {
  const retry = (fetched: Fetched<unknown>) => () => {
    if (fetched.path) fetched.load(fetched.path, changed(ctx));
    version++;
    ctx.rerender();
  };
  const table = stateOf(ranking, retry(ranking), (rk) =>
    h(
      'section',
      { class: 'panel perf-ranking', 'data-month': rk.period.label },
      h('h2', {}, t('perf.title', { period: formatPeriod(rk.period) })),
      h('p', { class: 'hint' }, t('rep.generated', { time: formatInstant(rk.generatedAt, ctx.nowMs) }), ' · ', t('perf.hint')),
      rk.offices.length ? rankingTable(rk, ctx) : h('p', { class: 'empty' }, t('perf.none')),
      h('p', { class: 'hint' }, t('perf.scoreHint')),
    ),
  );
  if (ctx.opd === undefined) return [h('div', { class: 'perf-cols' }, h('div', { class: 'perf-main' }, table))];
  const name = ctx.state.opds.find((o) => o.code === ctx.opd)?.name ?? office.data?.opd.name ?? ctx.opd;
  const side = h(
    'aside',
    { class: 'panel perf-detail', 'data-opd': ctx.opd },
    h(
      'div',
      { class: 'panel-head' },
      h('h3', {}, t('perf.detailTitle', { opd: `${name} (${ctx.opd})` })),
      h('button', { class: 'btn btn-close', type: 'button', onclick: () => ctx.setOpd(undefined) }, t('rep.close')),
    ),
    stateOf(office, retry(office), (p) => officeDetail(p)),
  );
  return [h('div', { class: 'perf-cols with-detail' }, h('div', { class: 'perf-main' }, table), side)];
}

// ---------------------------------------------------------------- the view

export function renderReports(root: HTMLElement, ctx: ViewContext): void {
  const sub = subOf(ctx);
  if (!draft) draft = draftFor(dateInZone(ctx.nowMs, opdZone(ctx, ctx.opd)));
  if (perfMonth === undefined) perfMonth = dateInZone(ctx.nowMs, viewerZone()).slice(0, 7);
  fetchWanted(ctx, sub);

  const key = `${language()}|${sub}|${ctx.state.opds.map((o) => `${o.code}:${o.name}`).join(',')}`;
  if (!mounted || mounted.key !== key || root.firstElementChild !== mounted.el) {
    const form = sub === 'kehadiran' ? presenceForm(ctx, draft) : performanceForm(ctx);
    // Not aria-live: a screen reader would read out a whole table; loading and errors have their own roles.
    const result = h('div', { class: 'report-result' });
    const el = h('section', { class: `reports-page reports-${sub}` }, subnav(sub, ctx), form.el, result);
    mounted = { key, el, result, resultKey: '', navOpd: ctx.opd, sync: form.sync };
    root.replaceChildren(el);
  }
  mounted.sync(ctx);
  // The sub-page links carry the OPD: keep them current without rebuilding the form.
  if (mounted.navOpd !== ctx.opd) {
    mounted.el.querySelector('.subtabs')?.replaceWith(subnav(sub, ctx));
    mounted.navOpd = ctx.opd;
  }

  const resultKey = `${version}|${ctx.opd ?? ''}|${sub}`;
  if (mounted.resultKey === resultKey) return;
  mounted.resultKey = resultKey;
  mounted.result.replaceChildren(...(sub === 'kehadiran' ? presenceResult(ctx) : performanceResult(ctx)));
  if (scrollToDetail) {
    const panel = mounted.result.querySelector('.employee-detail');
    if (panel) {
      panel.scrollIntoView({ block: 'nearest' });
      scrollToDetail = false;
    }
  }
}

/** Another user (or none) from now on: no report of the last one stays on the page. */
export function resetReports(): void {
  for (const f of [presence, detail, ranking, office]) f.clear();
  draft = undefined;
  draftError = undefined;
  perfMonth = undefined;
  perfMonthError = false;
  sort = 'score';
  openPin = undefined;
  mounted = undefined;
  version++;
}
