/// <reference lib="dom" />
import type { ApiAlert } from '../api-types.js';
import { alertText } from '../alerts-model.js';
import { errorText } from '../api.js';
import { badge, h } from '../dom.js';
import { language, t, tMaybe } from '../i18n.js';
import { formatInstant } from '../model.js';
import { can, isAnonymousView } from '../session.js';
import type { ViewContext } from './context.js';

/**
 * Peringatan: the open alerts (unacknowledged and critical first) with an "Akui"
 * button, and the recent history with raised, acknowledged-by and cleared times.
 */

/** Acknowledgements under way, and the last failure per alert. */
const busy = new Set<number>();
const failed = new Map<number, string>();

export function severityBadge(alert: ApiAlert): HTMLElement {
  return alert.severity === 'critical' ? badge(t('badge.critical'), 'bad', 'alert-sev') : badge(t('badge.warning'), 'warn', 'alert-sev');
}

function ackCell(alert: ApiAlert, ctx: ViewContext): HTMLElement {
  if (alert.acknowledgedAt !== null) {
    return h(
      'td',
      { class: 'alert-acked' },
      badge(t('badge.acknowledged'), 'ok'),
      ' ',
      h('span', { class: 'acked-by' }, t('alert.ackBy', { time: formatInstant(alert.acknowledgedAt, ctx.nowMs), user: alert.acknowledgedBy ?? '?' })),
    );
  }
  const error = failed.get(alert.id);
  let action: HTMLElement | null = null;
  if (can('alerts.ack')) {
    const pending = busy.has(alert.id);
    action = h(
      'button',
      {
        class: 'btn btn-ack',
        type: 'button',
        disabled: pending,
        'data-alert-id': alert.id,
        onclick: () => {
          busy.add(alert.id);
          failed.delete(alert.id);
          ctx.rerender();
          ctx.acknowledge(alert.id).then(
            () => {
              busy.delete(alert.id);
              ctx.rerender();
            },
            (err: unknown) => {
              busy.delete(alert.id);
              failed.set(alert.id, errorText(err));
              ctx.rerender();
            },
          );
        },
      },
      pending ? t('alert.acking') : t('alert.ack'),
    );
  } else if (isAnonymousView()) {
    action = h('button', { class: 'btn btn-login-ack', type: 'button', onclick: () => ctx.requestLogin() }, t('alert.loginToAck'));
  }
  return h('td', { class: 'alert-acked' }, action ?? t('alert.notAcked'), error ? h('span', { class: 'form-error' }, t('alert.ackFailed', { error })) : null);
}

function alertRow(alert: ApiAlert, ctx: ViewContext, names: Map<string, string>, history: boolean): HTMLElement {
  const kind = tMaybe(`alert.kind.${alert.kind}`) ?? alert.kind;
  return h(
    'tr',
    {
      class: `alert-row sev-${alert.severity === 'critical' ? 'bad' : 'warn'}${alert.acknowledgedAt ? ' acked' : ''}${alert.clearedAt ? ' cleared' : ''}`,
      'data-alert-id': alert.id,
      'data-kind': alert.kind,
      'data-opd': alert.opd,
    },
    h('td', {}, severityBadge(alert)),
    h('td', { class: 'alert-text' }, h('span', { class: 'alert-kind' }, kind), h('span', { class: 'alert-message' }, alertText(alert, language()))),
    h('td', {}, names.get(alert.opd) ?? alert.opd),
    h('td', { class: 'mono alert-raised' }, formatInstant(alert.raisedAt, ctx.nowMs)),
    ackCell(alert, ctx),
    history ? h('td', { class: 'mono alert-cleared' }, alert.clearedAt ? formatInstant(alert.clearedAt, ctx.nowMs) : t('alert.ongoing')) : null,
  );
}

function table(alerts: ApiAlert[], ctx: ViewContext, names: Map<string, string>, history: boolean, cls: string): HTMLElement {
  return h(
    'table',
    { class: `table alert-table ${cls}` },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', {}, t('alert.severity')),
        h('th', {}, t('alert.message')),
        h('th', {}, t('alert.opd')),
        h('th', {}, t('alert.raised')),
        h('th', {}, t('alert.acked')),
        history ? h('th', {}, t('alert.cleared')) : null,
      ),
    ),
    h(
      'tbody',
      {},
      alerts.map((a) => alertRow(a, ctx, names, history)),
    ),
  );
}

export function renderAlerts(root: HTMLElement, ctx: ViewContext): void {
  if (ctx.alerts.available === false) {
    root.replaceChildren(h('section', { class: 'alerts' }, h('p', { class: 'empty' }, t('alert.unavailable'))));
    return;
  }
  const names = new Map(ctx.state.opds.map((o) => [o.code, o.name]));
  const open = ctx.alerts.open(ctx.opd);
  const recent = ctx.alerts.recent(ctx.opd);
  root.replaceChildren(
    h(
      'section',
      { class: 'alerts' },
      h(
        'div',
        { class: 'panel alerts-open' },
        h('h2', {}, t('alert.open', { n: open.length })),
        open.length ? table(open, ctx, names, false, 'open-table') : h('p', { class: 'empty' }, t('alert.none')),
      ),
      h(
        'div',
        { class: 'panel alerts-recent' },
        h('h2', {}, t('alert.recent')),
        recent.length ? table(recent, ctx, names, true, 'recent-table') : h('p', { class: 'empty' }, ctx.alerts.hasRecent ? t('alert.noneRecent') : t('common.loading')),
      ),
    ),
  );
}
