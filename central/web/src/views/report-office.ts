/// <reference lib="dom" />
import type { ApiHourWindow, ApiOfficePerformance } from '../api-types.js';
import { h } from '../dom.js';
import { formatNumber, t, type MessageKey } from '../i18n.js';
import { formatDate, formatDuration, formatHour, formatShare, shareSeverity } from '../reports-model.js';

/** One office's performance beside the ranking: workdays, device uptime and how fast alerts were answered. */

/** A share (0..1) coloured by how good it is; `extra` is what it was counted from. */
export function shareCell(cls: string, share: number | null, extra?: string): HTMLElement {
  const severity = shareSeverity(share);
  return h(
    'td',
    { class: `num share ${cls} share-${severity}`, title: share === null ? t('perf.nothing') : undefined },
    h('span', { class: 'share-value' }, formatShare(share)),
    extra ? h('span', { class: 'share-extra' }, extra) : null,
  );
}

function windowLine(w: ApiHourWindow): HTMLElement {
  return h('p', { class: 'hint window' }, t('perf.window', { hours: w.hours, from: formatHour(w.from), to: formatHour(w.to) }));
}

/** The devices of one kind (gateways, cameras) and the share of the window each reported in. */
interface DeviceTable {
  cls: string;
  /** The class of the share column, as in the ranking table. */
  shareCls: string;
  device: MessageKey;
  hours: MessageKey;
  none: MessageKey;
  window: ApiHourWindow;
  rows: readonly { attr: Record<string, string>; name: string; hours: number; share: number | null }[];
}

function deviceTable(d: DeviceTable): HTMLElement {
  if (!d.rows.length) return h('p', { class: 'hint' }, t(d.none));
  return h(
    'table',
    { class: `table ${d.cls}` },
    h('thead', {}, h('tr', {}, h('th', {}, t(d.device)), h('th', { class: 'num' }, t(d.hours)), h('th', { class: 'num' }, t('perf.share')))),
    h(
      'tbody',
      {},
      d.rows.map((r) => h('tr', r.attr, h('td', { class: 'mono' }, r.name), h('td', { class: 'num' }, t('perf.hoursOf', { n: r.hours, total: d.window.hours })), shareCell(d.shareCls, r.share))),
    ),
  );
}

export function officeDetail(p: ApiOfficePerformance): HTMLElement[] {
  const fact = (label: MessageKey, value: string, cls: string) => [h('dt', {}, t(label)), h('dd', { class: cls }, value)];
  const gateways = deviceTable({
    cls: 'perf-gateways',
    shareCls: 'uptime',
    device: 'perf.gateway',
    hours: 'perf.hoursReported',
    none: 'perf.noGateways',
    window: p.gateways.window,
    rows: p.gateways.list.map((g) => ({ attr: { 'data-gateway': g.gateway }, name: g.gateway, hours: g.hoursReported, share: g.share })),
  });
  const cameras = deviceTable({
    cls: 'perf-cameras',
    shareCls: 'cameras',
    device: 'perf.camera',
    hours: 'perf.hoursFrames',
    none: 'perf.noCameras',
    window: p.cameras.window,
    rows: p.cameras.list.map((c) => ({ attr: { 'data-camera': c.camera }, name: `${c.camera} (${c.gateway})`, hours: c.hoursWithFrames, share: c.share })),
  });
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
