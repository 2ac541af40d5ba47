/// <reference lib="dom" />
import { ageText, badge, h } from '../dom.js';
import { t } from '../i18n.js';
import { BADGE_TEXT, PAGE_CYCLE_S, TILES_PER_PAGE, badgeSeverity, cameraTiles, formatAge, formatDateTime, rank, wallPages, type CameraTile } from '../model.js';
import type { ViewContext } from './context.js';
import { dataStrip, dataStripReset, dataStripTick, dataToggle, pollDatasets } from './dataset-tiles.js';

/**
 * Dinding Video: the latest thumbnail of every camera, 12 per page, pages cycling
 * every 20 s (pausable), a state badge on every tile that is not simply fine, and a
 * large view of one camera's latest frame on click. Above the cameras, a row of
 * Data OPD tiles (dataset-tiles.ts) when datasets are registered.
 */

let page = 0;
let paused = false;
let flippedAt = Date.now();
let openKey: string | undefined;
let pageCount = 1;
let lastCtx: ViewContext | undefined;
/** One <img> per camera, kept across renders so a refresh never reloads or flickers a picture. */
const images = new Map<string, HTMLImageElement>();
const large = new Map<string, HTMLImageElement>();

function image(cache: Map<string, HTMLImageElement>, tile: CameraTile, cls: string): HTMLImageElement | null {
  if (!tile.frame) return null;
  let img = cache.get(tile.key);
  if (!img) {
    const created = h('img', { class: cls, width: 480, height: 270, decoding: 'async' });
    created.addEventListener('error', () => (created.dataset.failed = '1'));
    created.addEventListener('load', () => delete created.dataset.failed);
    cache.set(tile.key, created);
    img = created;
  }
  // Only a new frame changes the URL (it carries the capture time): the browser then
  // swaps the picture when it has loaded, with no blank in between.
  if (img.getAttribute('src') !== tile.frame.src) img.src = tile.frame.src;
  img.alt = `${tile.camera} (${tile.opdName})`;
  return img;
}

function badges(tile: CameraTile, big = false): HTMLElement {
  const sorted = [...tile.badges].sort((a, b) => rank(badgeSeverity(b)) - rank(badgeSeverity(a)));
  return h('div', { class: `tile-badges${big ? ' big' : ''}` }, sorted.map((b) => badge(t(BADGE_TEXT[b]), badgeSeverity(b), `badge-${b}`)));
}

function captureLine(tile: CameraTile, nowMs: number): HTMLElement {
  if (!tile.frame) return h('span', { class: 'capture-time none' }, t('wall.noFrame'));
  return h(
    'span',
    { class: 'capture' },
    h('span', { class: 'capture-time', 'data-captured-at': tile.frame.capturedAt }, t('wall.captured', { time: formatDateTime(tile.frame.capturedMs, nowMs) })),
    ' · ',
    ageText(tile.frame.capturedMs, formatAge(tile.ageS)),
  );
}

function tileElement(tile: CameraTile, ctx: ViewContext): HTMLElement {
  const img = image(images, tile, 'tile-thumb');
  const open = () => {
    openKey = tile.key;
    ctx.rerender();
  };
  return h(
    'article',
    {
      class: `tile sev-${tile.severity}${tile.badges.length ? ' has-badges' : ''}${tile.badges.includes('offline') || tile.badges.includes('gateway-offline') || tile.badges.includes('auth-failed') ? ' is-down' : ''}`,
      'data-key': tile.key,
      'data-gateway': tile.gateway,
      'data-camera': tile.camera,
      'data-state': tile.state,
      tabindex: 0,
      role: 'button',
      'aria-label': `${tile.camera}, ${tile.opdName}: ${tile.badges.map((b) => t(BADGE_TEXT[b])).join(', ') || t('badge.ok')}`,
      onclick: open,
      onkeydown: (e: Event) => {
        if ((e as KeyboardEvent).key === 'Enter') open();
      },
    },
    h('header', { class: 'tile-head' }, h('span', { class: 'cam-name' }, tile.camera), h('span', { class: 'opd-name' }, tile.opdName)),
    h('div', { class: 'tile-img' }, img ?? h('div', { class: 'placeholder' }, t('wall.noFrame')), h('div', { class: 'img-failed' }, t('wall.imageError')), badges(tile)),
    h('footer', { class: 'tile-foot' }, captureLine(tile, ctx.nowMs)),
  );
}

function modal(tile: CameraTile, ctx: ViewContext): HTMLElement {
  const close = () => {
    openKey = undefined;
    ctx.rerender();
  };
  const img = image(large, tile, 'large-img');
  return h(
    'div',
    { class: 'modal', role: 'dialog', 'aria-modal': 'true', 'aria-label': tile.camera, onclick: (e: Event) => e.target === e.currentTarget && close() },
    h(
      'div',
      { class: `modal-box sev-${tile.severity}` },
      h('header', { class: 'modal-head' }, h('h2', {}, `${tile.camera} — ${tile.opdName}`), h('button', { class: 'btn', type: 'button', onclick: close }, t('wall.close'))),
      h('div', { class: 'modal-img' }, img ?? h('div', { class: 'placeholder' }, t('wall.noFrame')), badges(tile, true)),
      h(
        'footer',
        { class: 'modal-foot' },
        captureLine(tile, ctx.nowMs),
        h('span', { class: 'note' }, [tile.gateway, tile.reason].filter(Boolean).join(' · ')),
        h('p', { class: 'note' }, t('wall.largeNote')),
      ),
    ),
  );
}

export function renderWall(root: HTMLElement, ctx: ViewContext): void {
  lastCtx = ctx;
  pollDatasets(ctx);
  const tiles = cameraTiles(ctx.state, ctx.cameras, ctx.nowMs, ctx.opd);
  // Forget pictures of cameras that are gone (the wall runs for days).
  const keys = new Set(tiles.map((x) => x.key));
  for (const cache of [images, large]) for (const k of cache.keys()) if (!keys.has(k)) cache.delete(k);

  const pages = wallPages(tiles, TILES_PER_PAGE);
  pageCount = Math.max(1, pages.length);
  if (page >= pageCount) page = 0;
  const current = pages[page] ?? [];
  const problems = tiles.filter((x) => x.severity !== 'ok').length;
  const go = (delta: number) => {
    page = (page + delta + pageCount) % pageCount;
    flippedAt = Date.now();
    ctx.rerender();
  };
  const bar = h(
    'div',
    { class: 'wall-bar' },
    h('span', { class: 'wall-counts' }, t('wall.counts', { cameras: tiles.length, problems })),
    h('span', { class: 'wall-opds' }, current.map((g) => g.opdName).join(' · ')),
    h('span', { class: 'wall-page' }, t('wall.page', { page: page + 1, pages: pageCount }), ' · ', paused ? badge(t('wall.paused'), 'warn') : t('wall.cycle', { s: PAGE_CYCLE_S })),
    h(
      'span',
      { class: 'wall-controls' },
      dataToggle(ctx),
      h('button', { class: 'btn', type: 'button', onclick: () => go(-1), disabled: pageCount < 2 }, t('wall.prev')),
      h(
        'button',
        {
          class: 'btn btn-pause',
          type: 'button',
          'aria-pressed': paused ? 'true' : 'false',
          onclick: () => {
            paused = !paused;
            flippedAt = Date.now();
            ctx.rerender();
          },
        },
        paused ? t('wall.resume') : t('wall.pause'),
      ),
      h('button', { class: 'btn', type: 'button', onclick: () => go(1), disabled: pageCount < 2 }, t('wall.next')),
    ),
  );
  const grid = tiles.length
    ? h(
        'div',
        { class: 'wall-grid' },
        current.flatMap((g) => g.tiles.map((tile, i) => {
          const el = tileElement(tile, ctx);
          if (i === 0) el.classList.add('group-start');
          return el;
        })),
      )
    : h('p', { class: 'empty' }, t('wall.empty'));
  const open = openKey !== undefined ? tiles.find((x) => x.key === openKey) : undefined;
  if (openKey !== undefined && !open) openKey = undefined;
  root.replaceChildren(h('section', { class: 'wall' }, bar, dataStrip(ctx), grid, open ? modal(open, ctx) : null));
}

/** Called every second by the app while the wall is shown: flips the pages when due, asks for data tiles' values. */
export function wallTick(): void {
  if (!lastCtx) return;
  const dataFlipped = dataStripTick(paused || openKey !== undefined, lastCtx);
  const due = !paused && pageCount >= 2 && openKey === undefined && Date.now() - flippedAt >= PAGE_CYCLE_S * 1000;
  if (due) {
    page = (page + 1) % pageCount;
    flippedAt = Date.now();
  }
  if (due || dataFlipped) lastCtx.rerender();
}

/** Keyboard: space pauses, arrows page, Escape closes the large view. */
export function wallKey(e: KeyboardEvent): void {
  if (!lastCtx) return;
  if (e.key === 'Escape' && openKey !== undefined) openKey = undefined;
  else if (e.key === ' ' && openKey === undefined) paused = !paused;
  else if (e.key === 'ArrowRight') page = (page + 1) % pageCount;
  else if (e.key === 'ArrowLeft') page = (page - 1 + pageCount) % pageCount;
  else return;
  e.preventDefault();
  flippedAt = Date.now();
  lastCtx.rerender();
}

/** The OPD filter changed: start at the first page. */
export function wallReset(): void {
  page = 0;
  flippedAt = Date.now();
  dataStripReset();
}
