/// <reference lib="dom" />
import { badge, h } from '../dom.js';
import { formatNumber, t } from '../i18n.js';
import { formatDeviceTime, opdRows, punchRows } from '../model.js';
import type { ViewContext } from './context.js';

/**
 * Absensi Hari Ini: per OPD the roster size and today's punches (today in the OPD's
 * own zone), and the latest punches; clicking an OPD narrows the list to it.
 */
export function renderAttendance(root: HTMLElement, ctx: ViewContext): void {
  const rows = opdRows(ctx.state);
  const shown = ctx.opd === undefined ? rows : rows.filter((r) => r.code === ctx.opd);
  const total = shown.reduce((n, r) => n + r.punchesToday, 0);
  const roster = shown.reduce((n, r) => n + r.employees, 0);
  const selected = ctx.opd !== undefined ? rows.find((r) => r.code === ctx.opd) : undefined;

  const table = h(
    'table',
    { class: 'table att-table' },
    h('thead', {}, h('tr', {}, h('th', {}, t('att.opd')), h('th', {}, t('att.zone')), h('th', { class: 'num' }, t('att.roster')), h('th', { class: 'num' }, t('att.punches')))),
    h(
      'tbody',
      {},
      rows.map((r) =>
        h(
          'tr',
          {
            class: `att-row${r.code === ctx.opd ? ' selected' : ''}${r.punchesToday === 0 ? ' zero' : ''}`,
            'data-opd': r.code,
            tabindex: 0,
            'aria-selected': r.code === ctx.opd ? 'true' : 'false',
            onclick: () => ctx.setOpd(r.code === ctx.opd ? undefined : r.code),
            onkeydown: (e: Event) => {
              if ((e as KeyboardEvent).key === 'Enter') ctx.setOpd(r.code === ctx.opd ? undefined : r.code);
            },
          },
          h('td', {}, h('span', { class: 'opd-title' }, r.name), h('span', { class: 'opd-code' }, r.code)),
          h('td', {}, r.zoneAbbr),
          h('td', { class: 'num roster' }, formatNumber(r.employees)),
          h('td', { class: 'num punches-today' }, formatNumber(r.punchesToday)),
        ),
      ),
    ),
  );

  const punches = punchRows(ctx.state, ctx.opd);
  const list = punches.length
    ? h(
        'table',
        { class: 'table punch-table' },
        h('thead', {}, h('tr', {}, h('th', {}, t('att.time')), h('th', {}, t('att.employee')), h('th', {}, t('att.opd')), h('th', {}, t('att.terminal')), h('th', {}, t('att.note')))),
        h(
          'tbody',
          {},
          punches.map((p) =>
            h(
              'tr',
              { class: `punch-row${p.historical ? ' historical' : ''}`, 'data-opd': p.opd },
              h('td', { class: 'mono' }, formatDeviceTime(p.deviceTime, p.zone, ctx.nowMs)),
              h('td', { class: 'mono employee' }, p.employee),
              h('td', {}, p.opdName),
              h('td', { class: 'mono' }, p.terminal),
              h('td', {}, p.historical ? badge(t('badge.historical'), 'warn') : ''),
            ),
          ),
        ),
      )
    : h('p', { class: 'empty' }, t('att.none'));

  root.replaceChildren(
    h(
      'section',
      { class: 'att' },
      h('div', { class: 'summary' }, t('att.summary', { punches: total, offices: shown.length, roster })),
      h(
        'div',
        { class: 'att-cols' },
        h('div', { class: 'panel' }, rows.length ? table : h('p', { class: 'empty' }, t('att.noOpds')), h('p', { class: 'hint' }, t('att.drill'))),
        h(
          'div',
          { class: 'panel' },
          h(
            'div',
            { class: 'panel-head' },
            h('h2', {}, selected ? t('att.latestOf', { opd: selected.name }) : t('att.latest')),
            selected ? h('button', { class: 'btn', type: 'button', onclick: () => ctx.setOpd(undefined) }, t('filter.showAll')) : null,
          ),
          list,
        ),
      ),
    ),
  );
}
