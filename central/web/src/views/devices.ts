/// <reference lib="dom" />
import { errorText, request } from '../api.js';
import type { ApiAdminGateway, ApiAdminGateways, ApiEnrollToken } from '../api-types.js';
import { ageText, badge, copyText, h } from '../dom.js';
import { language, t, type MessageKey } from '../i18n.js';
import { formatAge, formatInstant, type Severity } from '../model.js';
import type { ViewContext } from './context.js';
import { opdOptions } from './form-parts.js';

/**
 * Perangkat (technicians): every gateway of the registry with its state, running
 * version (USANG when older than the central's), MQTT password and last contact; and
 * a single-use enrollment token for a new gateway box, with the command to run there.
 */

const RELOAD_MS = 10_000;

const STATE: Record<ApiAdminGateway['state'], { key: MessageKey; severity: Severity }> = {
  online: { key: 'badge.online', severity: 'ok' },
  offline: { key: 'badge.offline', severity: 'bad' },
  unknown: { key: 'badge.unknown', severity: 'warn' },
};

let data: ApiAdminGateways | undefined;
let loadError: string | undefined;
let loading = false;
let loadedAt = 0;
/** Bumped whenever what the table shows changed; the page is rebuilt only then. */
let version = 0;
let mounted: { el: HTMLElement; key: string; version: number } | undefined;

const draft = { opd: '', gateway: '' };
let token: ApiEnrollToken | undefined;
let tokenError: string | undefined;
let tokenBusy = false;
let copyState: 'idle' | 'copied' | 'failed' = 'idle';
/** The token form survives table reloads, so typing is never interrupted. */
let tokenPanel: { el: HTMLElement; key: string; result: HTMLElement } | undefined;

function load(ctx: ViewContext): void {
  loading = true;
  request<ApiAdminGateways>('/api/admin/gateways').then(
    (answer) => {
      data = answer;
      loadError = undefined;
    },
    (err: unknown) => {
      loadError = errorText(err);
    },
  ).finally(() => {
    loading = false;
    loadedAt = Date.now();
    version++;
    ctx.rerender();
  });
}

function gatewayTable(gateways: ApiAdminGateway[], central: string, ctx: ViewContext): HTMLElement {
  const names = new Map(ctx.state.opds.map((o) => [o.code, o.name]));
  return h(
    'table',
    { class: 'table gateway-table' },
    h(
      'thead',
      {},
      h('tr', {}, h('th', {}, t('dev.gateway')), h('th', {}, t('dev.opd')), h('th', {}, t('dev.state')), h('th', {}, t('dev.version')), h('th', {}, t('dev.password')), h('th', {}, t('dev.lastSeen'))),
    ),
    h(
      'tbody',
      {},
      gateways.map((g) => {
        const st = STATE[g.state];
        const seen = g.lastSeenAt ? Date.parse(g.lastSeenAt) : null;
        return h(
          'tr',
          { class: `gateway-row${g.outdated ? ' outdated' : ''}`, 'data-gateway': g.id, 'data-state': g.state, 'data-outdated': g.outdated ? 'true' : 'false' },
          h('td', { class: 'mono' }, g.id),
          h('td', {}, names.get(g.opd) ?? g.opd, h('span', { class: 'opd-code' }, g.opd)),
          h('td', {}, badge(t(st.key), st.severity)),
          h(
            'td',
            { class: 'version' },
            h('span', { class: 'mono' }, g.version ?? '—'),
            ' ',
            g.outdated ? h('span', { title: t('dev.outdatedHint', { version: central }) }, badge(t('badge.outdated'), 'warn', 'badge-outdated')) : g.version ? badge(t('badge.current'), 'ok') : null,
          ),
          h('td', {}, g.hasPassword ? t('dev.passwordSet', { time: formatInstant(g.passwordSetAt, ctx.nowMs) }) : t('dev.passwordNone')),
          h('td', {}, seen === null || !Number.isFinite(seen) ? t('age.never') : [formatInstant(g.lastSeenAt, ctx.nowMs), ' (', ageText(seen, formatAge((ctx.nowMs - seen) / 1000)), ')']),
        );
      }),
    ),
  );
}

function renderTokenResult(box: HTMLElement): void {
  if (tokenError) {
    box.replaceChildren(h('p', { class: 'form-error', role: 'alert' }, tokenError));
    return;
  }
  if (!token) {
    box.replaceChildren();
    return;
  }
  const command = h('pre', { class: 'command', id: 'enroll-command' }, token.command);
  const copy = h('button', { class: 'btn btn-copy', type: 'button' }, copyState === 'copied' ? t('dev.tokenCopied') : t('dev.tokenCopy'));
  copy.addEventListener('click', () =>
    copyText(token?.command ?? '', command, (ok) => {
      copyState = ok ? 'copied' : 'failed';
      renderTokenResult(box);
    }),
  );
  box.replaceChildren(
    h('p', { class: 'token-expires' }, t('dev.tokenExpires', { time: formatInstant(token.expiresAt, Date.now()) })),
    h('p', { class: 'token-label' }, t('dev.tokenCommand')),
    h('div', { class: 'command-row' }, command, copy),
    ...(copyState === 'failed' ? [h('p', { class: 'form-error' }, t('dev.tokenCopyFailed'))] : []),
  );
}

function buildTokenPanel(ctx: ViewContext, key: string): { el: HTMLElement; key: string; result: HTMLElement } {
  if (!draft.opd && ctx.opd) draft.opd = ctx.opd;
  const select = h('select', { id: 'token-opd', required: true }, h('option', { value: '' }, '—'), opdOptions(ctx.state.opds, draft.opd));
  select.value = draft.opd;
  const gateway = h('input', { id: 'token-gateway', value: draft.gateway, autocomplete: 'off', spellcheck: 'false', placeholder: t('dev.tokenGatewayPlaceholder', { opd: draft.opd || 'opd' }) });
  select.addEventListener('change', () => {
    draft.opd = select.value;
    gateway.placeholder = t('dev.tokenGatewayPlaceholder', { opd: draft.opd || 'opd' });
  });
  gateway.addEventListener('input', () => (draft.gateway = gateway.value));
  const result = h('div', { class: 'token-result', 'aria-live': 'polite' });
  const submit = h('button', { class: 'btn btn-primary', type: 'submit' }, t('dev.tokenCreate'));
  const form = h(
    'form',
    {
      class: 'token-form',
      onsubmit: (e: Event) => {
        e.preventDefault();
        if (tokenBusy) return;
        if (!draft.opd) {
          tokenError = t('dev.tokenNoOpd');
          token = undefined;
          renderTokenResult(result);
          return;
        }
        tokenBusy = true;
        submit.disabled = true;
        const body: { opd: string; gateway?: string } = { opd: draft.opd };
        if (draft.gateway.trim()) body.gateway = draft.gateway.trim();
        request<ApiEnrollToken>('/api/admin/enroll-tokens', { method: 'POST', json: body }).then(
          (answer) => {
            token = answer;
            tokenError = undefined;
          },
          (err: unknown) => {
            token = undefined;
            tokenError = t('dev.tokenFailed', { error: errorText(err) });
          },
        ).finally(() => {
          tokenBusy = false;
          submit.disabled = false;
          copyState = 'idle';
          renderTokenResult(result);
        });
      },
    },
    h('label', { for: 'token-opd' }, t('dev.tokenOpd')),
    select,
    h('label', { for: 'token-gateway' }, t('dev.tokenGateway')),
    gateway,
    submit,
  );
  renderTokenResult(result);
  const el = h('div', { class: 'panel token-panel' }, h('h2', {}, t('dev.tokenTitle')), h('p', { class: 'hint' }, t('dev.tokenHelp')), form, result);
  return { el, key, result };
}

export function renderDevices(root: HTMLElement, ctx: ViewContext): void {
  if (!loading && Date.now() - loadedAt > RELOAD_MS) load(ctx);
  const key = `${language()}|${ctx.opd ?? ''}|${ctx.state.opds.length}`;
  if (mounted && mounted.key === key && mounted.version === version && root.firstElementChild === mounted.el) return;

  const panelKey = `${language()}|${ctx.state.opds.map((o) => o.code).join(',')}`;
  if (!tokenPanel || tokenPanel.key !== panelKey) tokenPanel = buildTokenPanel(ctx, panelKey);

  let body: HTMLElement;
  if (!data) body = h('p', { class: loadError ? 'form-error' : 'empty' }, loadError ? t('common.loadFailed', { error: loadError }) : t('common.loading'));
  else {
    const shown = data.gateways.filter((g) => ctx.opd === undefined || g.opd === ctx.opd);
    const outdated = shown.filter((g) => g.outdated).length;
    body = h(
      'div',
      {},
      h('div', { class: 'summary' }, t('dev.summary', { total: shown.length, outdated, version: data.centralVersion })),
      loadError ? h('p', { class: 'form-error' }, t('common.loadFailed', { error: loadError })) : null,
      shown.length ? gatewayTable(shown, data.centralVersion, ctx) : h('p', { class: 'empty' }, t('dev.none')),
    );
  }
  const el = h('section', { class: 'devices-page' }, h('div', { class: 'panel' }, h('h2', {}, t('dev.title')), body), tokenPanel.el);
  mounted = { el, key, version };
  root.replaceChildren(el);
}

/** Another user (or none) from now on: nothing of the last one's page stays, a token command least of all. */
export function resetDevices(): void {
  data = undefined;
  loadError = undefined;
  loadedAt = 0;
  mounted = undefined;
  draft.opd = '';
  draft.gateway = '';
  token = undefined;
  tokenError = undefined;
  copyState = 'idle';
  tokenPanel = undefined;
  version++;
}
