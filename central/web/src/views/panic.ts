/// <reference lib="dom" />
import type { ApiAlert, ApiCamera, ApiOpd } from '../api-types.js';
import { errorText } from '../api.js';
import { ageText, h } from '../dom.js';
import { language, t } from '../i18n.js';
import { formatAge, formatDateTime, viewerZone } from '../model.js';
import { formatLocation, panicFrame, panicInput, PANICS_SHOWN, type PanicFrame } from '../panic-model.js';

/**
 * The panic banner: full width and red above every view while a panic nobody has
 * acknowledged is open. Per panic: the office, the press time in the office's zone,
 * the input and who pressed, the note and the phone's position, the nearest camera's
 * newest frame, and "Akui". Apart from the ordinary alert banner, which counts device
 * alerts only: a person in danger must not be one line among camera troubles.
 */

export interface PanicBannerContext {
  /** Open panics nobody acknowledged, newest first. */
  panics: ApiAlert[];
  opds: readonly ApiOpd[];
  cameras: readonly ApiCamera[];
  /** Now on the server's clock (ms). */
  nowMs: number;
  canAck: boolean;
  /** A kiosk viewer: offer a login to acknowledge. */
  anonymous: boolean;
  acknowledge(id: number): Promise<void>;
  requestLogin(): void;
  /** Where the full alert list is (the banner links to it when more panics are open). */
  alertsHref: string;
}

const busy = new Set<number>();
const failed = new Map<number, string>();
/** One <img> per alert, kept across rebuilds so the picture never blanks or reloads for nothing. */
const images = new Map<number, HTMLImageElement>();

function frameImage(alertId: number, frame: PanicFrame): HTMLImageElement {
  let img = images.get(alertId);
  if (!img) {
    const created = h('img', { class: 'panic-img', width: 480, height: 270, decoding: 'async' });
    created.addEventListener('error', () => (created.dataset.failed = '1'));
    created.addEventListener('load', () => delete created.dataset.failed);
    images.set(alertId, created);
    img = created;
  }
  if (img.getAttribute('src') !== frame.src) img.src = frame.src;
  img.alt = t('panic.frameAlt', { camera: frame.camera });
  return img;
}

function frameBlock(alert: ApiAlert, frame: PanicFrame | null, zone: string, nowMs: number): HTMLElement {
  if (!frame) return h('figure', { class: 'panic-frame none' }, h('div', { class: 'placeholder' }, t('panic.noCamera')));
  const when =
    frame.capturedMs === null
      ? t('panic.frameWaiting')
      : `${t('wall.captured', { time: formatDateTime(frame.capturedMs, nowMs, zone) })} · ${frame.afterPress === false ? t('panic.frameBefore') : t('panic.frameAfter')}`;
  return h(
    'figure',
    { class: `panic-frame${frame.afterPress === false ? ' before-press' : ''}` },
    frameImage(alert.id, frame),
    h('div', { class: 'img-failed' }, t('panic.frameMissing')),
    h(
      'figcaption',
      { class: 'panic-frame-caption', 'data-captured-at': frame.capturedAt ?? undefined, 'data-after-press': frame.afterPress === null ? undefined : String(frame.afterPress) },
      h('span', { class: 'panic-camera' }, frame.camera),
      ' · ',
      when,
    ),
  );
}

function action(alert: ApiAlert, ctx: PanicBannerContext, rerender: () => void): HTMLElement | null {
  if (ctx.canAck) {
    const pending = busy.has(alert.id);
    return h(
      'button',
      {
        class: 'btn btn-panic-ack',
        type: 'button',
        disabled: pending,
        'data-alert-id': alert.id,
        onclick: () => {
          busy.add(alert.id);
          failed.delete(alert.id);
          rerender();
          ctx.acknowledge(alert.id).then(
            () => {
              busy.delete(alert.id);
              rerender();
            },
            (err: unknown) => {
              busy.delete(alert.id);
              failed.set(alert.id, errorText(err));
              rerender();
            },
          );
        },
      },
      pending ? t('alert.acking') : t('alert.ack'),
    );
  }
  if (ctx.anonymous) return h('button', { class: 'btn btn-login-ack', type: 'button', onclick: () => ctx.requestLogin() }, t('alert.loginToAck'));
  return null;
}

function card(alert: ApiAlert, ctx: PanicBannerContext, rerender: () => void): HTMLElement {
  const office = ctx.opds.find((o) => o.code === alert.opd);
  const zone = office?.zone ?? viewerZone();
  const panic = alert.panic;
  const pressedMs = Date.parse(panic?.pressedAt ?? alert.raisedAt);
  const frame = panicFrame(alert, ctx.cameras);
  const input = panic ? panicInput(panic) : undefined;
  const error = failed.get(alert.id);
  return h(
    'article',
    { class: 'panic', 'data-alert-id': alert.id, 'data-opd': alert.opd, 'data-event-id': panic?.eventId },
    frameBlock(alert, frame, zone, ctx.nowMs),
    h(
      'div',
      { class: 'panic-body' },
      h('div', { class: 'panic-title' }, h('span', { class: 'panic-badge' }, h('span', { 'aria-hidden': 'true' }, '⚠'), ' ', t('panic.title')), h('span', { class: 'panic-office' }, office?.name ?? alert.opd)),
      h(
        'div',
        { class: 'panic-when' },
        h('span', { class: 'panic-time' }, Number.isFinite(pressedMs) ? formatDateTime(pressedMs, ctx.nowMs, zone) : (panic?.pressedAt ?? alert.raisedAt)),
        ' · ',
        ageText(Number.isFinite(pressedMs) ? pressedMs : null, formatAge((ctx.nowMs - pressedMs) / 1000)),
      ),
      h(
        'div',
        { class: 'panic-what' },
        input ? h('span', { class: 'panic-input' }, t(input.key, input.params)) : null,
        panic?.source ? [': ', h('span', { class: 'panic-source' }, panic.source)] : null,
      ),
      panic?.note ? h('div', { class: 'panic-note' }, `“${panic.note}”`) : null,
      h(
        'div',
        { class: 'panic-where' },
        panic?.location ? h('span', { class: 'panic-location' }, t('panic.location', { where: formatLocation(panic.location) })) : null,
        panic?.location ? ' · ' : null,
        h('span', { class: 'panic-gateway' }, t('panic.gateway', { gateway: alert.gateway ?? '—' })),
      ),
    ),
    h('div', { class: 'panic-actions' }, action(alert, ctx, rerender), error ? h('span', { class: 'form-error' }, t('alert.ackFailed', { error })) : null),
  );
}

/** Rebuilt only when what it says changed; the pictures are swapped in place. */
export function renderPanicBanner(el: HTMLElement, ctx: PanicBannerContext, rerender: () => void): void {
  const shown = ctx.panics.slice(0, PANICS_SHOWN);
  const ids = new Set(ctx.panics.map((a) => a.id));
  for (const id of images.keys()) if (!ids.has(id)) images.delete(id);
  el.hidden = shown.length === 0;
  if (shown.length === 0) {
    el.replaceChildren();
    delete el.dataset.signature;
    delete el.dataset.count;
    return;
  }
  const frames = shown.map((a) => panicFrame(a, ctx.cameras));
  const signature = JSON.stringify([
    language(),
    ctx.panics.length,
    shown.map((a, i) => [a.id, frames[i]?.capturedAt, frames[i]?.afterPress]),
    ctx.opds.map((o) => [o.code, o.name, o.zone]),
    [...busy],
    [...failed],
    ctx.canAck,
    ctx.anonymous,
    // The time gets its date once the press is no longer "today" where the office is.
    new Date(ctx.nowMs).toISOString().slice(0, 10),
  ]);
  if (el.dataset.signature === signature) {
    // Same text: only the pictures may have a newer address.
    shown.forEach((a, i) => {
      const frame = frames[i];
      if (frame) frameImage(a.id, frame);
    });
    return;
  }
  el.dataset.signature = signature;
  el.dataset.count = String(ctx.panics.length);
  const more = ctx.panics.length - shown.length;
  el.replaceChildren(
    ...shown.map((a) => card(a, ctx, rerender)),
    ...(more > 0 ? [h('div', { class: 'panic-more' }, t('panic.more', { n: more }), ' ', h('a', { class: 'btn', href: ctx.alertsHref }, t('alert.bannerView')))] : []),
  );
}

/** Another user from now on: no half-done acknowledgement of the last one stays. */
export function resetPanicBanner(): void {
  busy.clear();
  failed.clear();
}
