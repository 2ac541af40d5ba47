/// <reference lib="dom" />
import { ageText, badge, h } from '../dom.js';
import { formatNumber, t, type MessageKey } from '../i18n.js';
import { formatAge, formatBytes, formatDateTime, formatSkew, gatewayRows, type GatewayRow, type Severity } from '../model.js';
import type { ViewContext } from './context.js';
import { complaintFiguresPanel } from './complaint-figures.js';
import { officeMap } from './map.js';

/**
 * Kesehatan Kantor: the office map, the offices slowest to answer complaints (for users
 * who handle them), then every gateway with its state, last report, outbox, disk and
 * version, its terminals (with clock skew) and cameras; problems first.
 */

const GATEWAY_STATE: Record<GatewayRow['state'], { key: MessageKey; severity: Severity }> = {
  online: { key: 'badge.online', severity: 'ok' },
  offline: { key: 'badge.offline', severity: 'bad' },
  unknown: { key: 'badge.unknown', severity: 'warn' },
  never: { key: 'badge.neverSeen', severity: 'warn' },
};

const DEVICE_STATE: Partial<Record<string, MessageKey>> = {
  online: 'badge.online',
  offline: 'badge.offline',
  'auth-failed': 'badge.authFailed',
  stale: 'badge.frozen',
  error: 'badge.error',
  unknown: 'badge.unknown',
};

function deviceBadge(state: string, severity: Severity): HTMLElement {
  const key = DEVICE_STATE[state];
  return badge(key ? t(key) : state.toUpperCase(), severity);
}

function fact(label: string, ...value: (Node | string)[]): HTMLElement[] {
  return [h('dt', {}, label), h('dd', {}, ...value)];
}

function card(g: GatewayRow, nowMs: number): HTMLElement {
  const st = GATEWAY_STATE[g.state];
  const h0 = g.health;
  const lastSeenMs = g.lastSeenAt ? Date.parse(g.lastSeenAt) : null;
  const when = (ms: number | null): (Node | string)[] =>
    ms === null || !Number.isFinite(ms) ? [t('age.never')] : [`${formatDateTime(ms, nowMs)} (`, ageText(ms, formatAge((nowMs - ms) / 1000)), ')'];
  const facts: HTMLElement[] = [...fact(t('health.lastSeen'), ...when(lastSeenMs))];
  if (g.since) facts.push(...fact(t('health.stateSince'), ...when(Date.parse(g.since))));
  if (h0) {
    const oldest = h0.outbox.oldestAgeS;
    facts.push(...fact(t('health.outbox'), t('health.outboxValue', { depth: h0.outbox.depth }), oldest !== null && h0.outbox.depth > 0 ? ` · ${t('health.outboxOldest', { age: formatAge(oldest) })}` : ''));
    const d = h0.disk;
    facts.push(
      ...fact(
        t('health.disk'),
        d && d.totalBytes > 0 ? t('health.diskValue', { free: formatBytes(d.freeBytes), total: formatBytes(d.totalBytes), pct: formatNumber((100 * d.freeBytes) / d.totalBytes, 0) }) : '—',
      ),
    );
  } else {
    facts.push(...fact(t('health.outbox'), t('health.noHealth')));
  }
  facts.push(...fact(t('health.version'), g.version ?? '—'));

  const terminals = g.terminals.length
    ? h(
        'ul',
        { class: 'devices' },
        g.terminals.map((x) =>
          h(
            'li',
            { class: `device sev-${x.severity}`, 'data-terminal': x.id },
            h(
              'div',
              { class: 'device-line' },
              deviceBadge(x.state, x.state === 'online' ? 'ok' : 'bad'),
              h('span', { class: 'device-id', title: x.id }, x.id),
              x.clockAlarm ? badge(t('badge.clockAlarm'), 'warn') : null,
            ),
            x.skewMs !== undefined ? h('span', { class: 'skew' }, t('health.skew', { skew: formatSkew(x.skewMs) })) : null,
            x.reason ? h('span', { class: 'reason' }, x.reason) : null,
          ),
        ),
      )
    : h('p', { class: 'none' }, t('health.none'));
  const cameras = g.cameras.length
    ? h(
        'ul',
        { class: 'devices' },
        g.cameras.map((x) =>
          h(
            'li',
            { class: `device sev-${x.severity}`, 'data-camera': x.id },
            h('div', { class: 'device-line' }, deviceBadge(x.state, x.severity), h('span', { class: 'device-id', title: x.id }, x.id)),
            x.reason ? h('span', { class: 'reason' }, x.reason) : null,
          ),
        ),
      )
    : h('p', { class: 'none' }, t('health.none'));

  return h(
    'article',
    { class: `gw-card sev-${g.severity}`, 'data-gateway': g.gateway, 'data-state': g.state },
    h(
      'header',
      { class: 'gw-head' },
      h('div', {}, h('h3', {}, g.opdName), h('span', { class: 'gw-id' }, g.gateway)),
      badge(t(st.key), st.severity, 'gw-state'),
    ),
    g.problems.length
      ? h(
          'ul',
          { class: 'problems' },
          g.problems.map((p) => h('li', { class: `sev-${p.severity}` }, badge(p.severity === 'bad' ? t('badge.problem') : t('badge.warning'), p.severity), ' ', t(p.key, p.params))),
        )
      : null,
    h('dl', { class: 'facts' }, facts),
    h(
      'div',
      { class: 'gw-devices' },
      g.state !== 'online' && (g.terminals.length || g.cameras.length) ? h('p', { class: 'note last-known' }, t('health.lastKnown')) : null,
      h('div', {}, h('h4', {}, t('health.terminals')), terminals),
      h('div', {}, h('h4', {}, t('health.cameras')), cameras),
    ),
  );
}

export function renderHealth(root: HTMLElement, ctx: ViewContext): void {
  const rows = gatewayRows(ctx.state, ctx.nowMs, ctx.opd);
  const online = rows.filter((r) => r.state === 'online').length;
  const offline = rows.filter((r) => r.state === 'offline').length;
  const problems = rows.filter((r) => r.severity !== 'ok').length;
  root.replaceChildren(
    h(
      'section',
      { class: 'health' },
      h('div', { class: 'summary' }, t('health.summary', { total: rows.length, online, offline, problems })),
      officeMap(ctx),
      complaintFiguresPanel(ctx),
      rows.length ? h('div', { class: 'health-grid' }, rows.map((r) => card(r, ctx.nowMs))) : h('p', { class: 'empty' }, t('health.empty')),
    ),
  );
}
