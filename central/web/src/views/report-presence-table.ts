/// <reference lib="dom" />
import type { ApiPresenceDay, ApiPresenceEmployee, ApiPresenceReport, ApiPresenceTotals } from '../api-types.js';
import { badge, h } from '../dom.js';
import { formatNumber, t, type MessageKey } from '../i18n.js';
import { zoneAbbr } from '../model.js';
import { dayStatus, formatClock, formatDate } from '../reports-model.js';

/** The tables of the presence report: one row per employee with the OPD total, and one employee's days. */

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

/** Column heads: the text, and whether the column holds numbers (right-aligned). */
function headRow(heads: readonly (readonly [string, boolean])[]): HTMLElement {
  return h('thead', {}, h('tr', {}, heads.map(([label, num]) => h('th', { class: num ? 'num' : undefined, scope: 'col' }, label))));
}

const EMPLOYEE_HEADS: readonly (readonly [MessageKey, boolean])[] = [
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

/** Which employee's days are open, and what a click on a row does. */
export interface EmployeeRows {
  isOpen(pin: string): boolean;
  toggle(pin: string): void;
}

export function presenceTable(r: ApiPresenceReport, rows: EmployeeRows): HTMLElement {
  return h(
    'table',
    { class: 'table presence-table' },
    headRow(EMPLOYEE_HEADS.map(([key, num]) => [t(key), num] as const)),
    h(
      'tbody',
      {},
      r.employees.map((e) => {
        const open = rows.isOpen(e.pin);
        const toggle = () => rows.toggle(e.pin);
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

/** One employee's days from the detailed report; punch times are in the OPD's `zone`. */
export function employeeDays(full: ApiPresenceReport, pin: string, zone: string): HTMLElement {
  const employee = full.employees.find((x) => x.pin === pin);
  if (!employee?.days) return h('p', { class: 'empty' }, t('rep.noDays'));
  const abbr = zoneAbbr(zone);
  const onRoster = employee.flag === null;
  return h(
    'table',
    { class: 'table employee-days' },
    headRow([
      [t('rep.date'), false],
      [t('rep.dayKind'), false],
      [t('rep.in', { zone: abbr }), false],
      [t('rep.out', { zone: abbr }), false],
      [t('rep.status'), false],
      [t('rep.lateMin'), true],
      [t('rep.earlyMin'), true],
      [t('rep.punches'), true],
      [t('rep.flags'), false],
    ]),
    h('tbody', {}, employee.days.map((day) => dayRow(day, onRoster))),
  );
}
