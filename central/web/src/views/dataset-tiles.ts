/// <reference lib="dom" />
import { errorText, isStatus, request } from '../api.js';
import type { ApiDataset, ApiDatasetLatest, ApiDatasetList } from '../api-types.js';
import { DATA_TILES_PER_PAGE, FIELDS_PER_TILE, fieldSeries, formatFieldValue, sparkline } from '../datasets-model.js';
import { ageText, badge, h, svg } from '../dom.js';
import { t } from '../i18n.js';
import { formatAge, formatDateTime, PAGE_CYCLE_S } from '../model.js';
import { Refetch, streamState } from '../live.js';
import type { ViewContext } from './context.js';

/**
 * Data OPD on the video wall: a row of tiles above the cameras, one per registered
 * dataset (air quality, river level, prices...), with each field's latest value and
 * unit, a sparkline of its recent rows, and BASI when no row came within the
 * dataset's staleAfterS. Six tiles fit; more pages flip with the wall's cycle. A
 * toggle in the wall bar hides the row (remembered in this browser).
 *
 * The list (SQLite at the central: cheap) is asked for again after the central's
 * `dataset` event (live.ts; the wall's one-second tick picks it up), when a dataset is
 * due to turn stale (no event tells of that), and only while the event stream is down
 * every 60 s. A tile's values and series (InfluxDB) are asked for when the list shows
 * its dataset had a push since (or, stream down, once a minute), and only for the tiles
 * on screen.
 */

const BURST_MS = 300;
const FALLBACK_MS = 60_000;
const LATEST_MAX_AGE_MS = 60_000;
/** The central calls a dataset stale strictly after staleAfterS: ask a little later than that. */
const STALE_MARGIN_MS = 1000;
const STORAGE_KEY = 'pemda.wallData';
const SPARK_W = 120;
const SPARK_H = 30;

let datasets: ApiDataset[] | undefined;
/** false: this central has no dataset routes (404): no row, no toggle. */
let available: boolean | undefined;
let listError: string | undefined;
let listLoading = false;
let listLoadedAt = 0;
/** When (this browser's clock) the next dataset turns stale; the list is asked for then. */
let listStaleAt = Infinity;
const refetch = new Refetch(BURST_MS, FALLBACK_MS);

interface Latest {
  data?: ApiDatasetLatest;
  error?: string;
  /** What the list said about the dataset when this was fetched: a new push changes it. */
  key: string;
  fetchedAt: number;
  loading: boolean;
}
const latest = new Map<string, Latest>();

let stripPage = 0;
let flippedAt = Date.now();
let hidden: boolean | undefined;

function storage(): Storage | undefined {
  try {
    return window.localStorage;
  } catch {
    return undefined;
  }
}

function isHidden(): boolean {
  if (hidden === undefined) {
    try {
      hidden = storage()?.getItem(STORAGE_KEY) === 'off';
    } catch {
      hidden = false;
    }
  }
  return hidden;
}

function setHidden(value: boolean): void {
  hidden = value;
  try {
    storage()?.setItem(STORAGE_KEY, value ? 'off' : 'on');
  } catch {
    // Not remembered across reloads, nothing worse.
  }
}

const pushKey = (d: ApiDataset) => `${d.lastPushAt ?? ''}|${d.latestRowAt ?? ''}|${d.stale}`;

function visible(opd: string | undefined): ApiDataset[] {
  return (datasets ?? []).filter((d) => opd === undefined || d.opd === opd);
}

function sorted(list: ApiDataset[], names: Map<string, string>): ApiDataset[] {
  return [...list].sort((a, b) => (names.get(a.opd) ?? a.opd).localeCompare(names.get(b.opd) ?? b.opd, 'id') || a.name.localeCompare(b.name, 'id') || a.slug.localeCompare(b.slug));
}

function currentPage(ctx: Pick<ViewContext, 'opd' | 'state'>): { tiles: ApiDataset[]; page: number; pages: number } {
  const names = new Map(ctx.state.opds.map((o) => [o.code, o.name]));
  const all = sorted(visible(ctx.opd), names);
  const pages = Math.max(1, Math.ceil(all.length / DATA_TILES_PER_PAGE));
  if (stripPage >= pages) stripPage = 0;
  return { tiles: all.slice(stripPage * DATA_TILES_PER_PAGE, (stripPage + 1) * DATA_TILES_PER_PAGE), page: stripPage, pages };
}

/**
 * When (this browser's clock) the next dataset of `answer` turns stale, Infinity when
 * none will: no push, so no event, tells of that.
 */
export function nextStaleAt(answer: ApiDatasetList, receivedAt: number): number {
  const serverAt = Date.parse(answer.at);
  if (!Number.isFinite(serverAt)) return Infinity;
  let next = Infinity;
  for (const d of answer.datasets) {
    if (d.stale || d.staleAfterS === undefined || d.latestRowAt === null) continue;
    next = Math.min(next, receivedAt + Date.parse(d.latestRowAt) + d.staleAfterS * 1000 - serverAt + STALE_MARGIN_MS);
  }
  return next;
}

function loadList(rerender: () => void): void {
  listLoading = true;
  refetch.fetching();
  request<ApiDatasetList>('/api/datasets').then(
    (answer) => {
      datasets = answer.datasets;
      available = true;
      listError = undefined;
      listStaleAt = nextStaleAt(answer, Date.now());
      const slugs = new Set(answer.datasets.map((d) => d.slug));
      for (const slug of latest.keys()) if (!slugs.has(slug)) latest.delete(slug);
    },
    (err: unknown) => {
      if (isStatus(err, 404)) available = false;
      listError = errorText(err);
      // The failed-fetch fallback asks again, not every second.
      listStaleAt = Infinity;
    },
  ).finally(() => {
    listLoading = false;
    listLoadedAt = Date.now();
    rerender();
  });
}

function loadLatest(d: ApiDataset, rerender: () => void): void {
  const entry: Latest = latest.get(d.slug) ?? { key: '', fetchedAt: 0, loading: false };
  entry.loading = true;
  latest.set(d.slug, entry);
  const key = pushKey(d);
  request<ApiDatasetLatest>(`/api/datasets/${encodeURIComponent(d.slug)}/latest?limit=50`).then(
    (answer) => {
      entry.data = answer;
      entry.error = undefined;
    },
    (err: unknown) => {
      entry.error = errorText(err);
    },
  ).finally(() => {
    entry.loading = false;
    entry.key = key;
    entry.fetchedAt = Date.now();
    rerender();
  });
}

/** Asks for what is due: the list after an event (see above), the values of tiles on screen when they changed. */
export function pollDatasets(ctx: Pick<ViewContext, 'opd' | 'state' | 'rerender'>): void {
  if (available === false) return;
  if (!listLoading && (refetch.due(listLoadedAt, listError !== undefined) || Date.now() >= listStaleAt)) loadList(ctx.rerender);
  if (!datasets || isHidden()) return;
  const polling = streamState() !== 'open';
  for (const d of currentPage(ctx).tiles) {
    const entry = latest.get(d.slug);
    if (entry?.loading) continue;
    if (!entry || entry.key !== pushKey(d) || ((polling || entry.error !== undefined) && Date.now() - entry.fetchedAt > LATEST_MAX_AGE_MS)) loadLatest(d, ctx.rerender);
  }
}

/** The central's `dataset` event (or the stream back after a gap): the wall's next tick fetches the list. */
export function datasetTilesEvent(): void {
  refetch.event();
}

/** Every second while the wall shows: flips the strip's page when due. Returns true when it did. */
export function dataStripTick(paused: boolean, ctx: Pick<ViewContext, 'opd' | 'state' | 'rerender'>): boolean {
  pollDatasets(ctx);
  if (paused || isHidden()) return false;
  const { pages } = currentPage(ctx);
  if (pages < 2 || Date.now() - flippedAt < PAGE_CYCLE_S * 1000) return false;
  stripPage = (stripPage + 1) % pages;
  flippedAt = Date.now();
  return true;
}

function sparkSvg(entry: ApiDatasetLatest, field: string): SVGSVGElement | null {
  const line = sparkline(fieldSeries(entry, field), SPARK_W, SPARK_H);
  if (!line) return null;
  // Stretched to the tile's width (preserveAspectRatio none): strokes keep their width
  // (non-scaling-stroke), and the newest point is a zero-length line with a round cap,
  // which stays a dot where a <circle> would become an ellipse.
  return svg(
    'svg',
    { class: 'sparkline', viewBox: `0 0 ${SPARK_W} ${SPARK_H}`, preserveAspectRatio: 'none', 'aria-hidden': 'true', 'data-points': line.points.split(' ').length },
    svg('polyline', { points: line.points }),
    svg('path', { class: 'spark-last', d: `M${line.last.x.toFixed(1)} ${line.last.y.toFixed(1)}h0` }),
  );
}

function tile(d: ApiDataset, ctx: ViewContext, names: Map<string, string>): HTMLElement {
  const entry = latest.get(d.slug);
  const data = entry?.data;
  const noRows = d.latestRowAt === null;
  const fields = data?.fields ?? d.fields.map((f) => ({ name: f.name, type: f.type, unit: f.unit ?? null, label: f.label ?? null, value: null, time: null }));
  const shownFields = fields.slice(0, FIELDS_PER_TILE);
  const latestMs = d.latestRowAt ? Date.parse(d.latestRowAt) : NaN;
  const severity = d.stale || noRows ? 'warn' : 'ok';
  return h(
    'article',
    { class: `data-tile sev-${severity}`, 'data-dataset': d.slug, 'data-opd': d.opd, 'data-stale': String(d.stale) },
    h(
      'header',
      { class: 'data-head' },
      h('span', { class: 'data-name', title: d.name }, d.name),
      d.stale ? badge(t('badge.stale'), 'warn', 'badge-stale') : noRows ? badge(t('data.noRowsBadge'), 'warn', 'badge-no-rows') : null,
    ),
    h('div', { class: 'data-opd-name' }, names.get(d.opd) ?? d.opd),
    h(
      'div',
      { class: 'data-fields' },
      shownFields.map((f) =>
        h(
          'div',
          { class: 'data-field', 'data-field': f.name },
          h('span', { class: 'data-label', title: f.name }, f.label ?? f.name),
          h('span', { class: 'data-value' }, data ? formatFieldValue(f.value, f.type, f.unit) : '…'),
          data && (f.type === 'number' || f.type === 'integer') ? sparkSvg(data, f.name) : null,
        ),
      ),
      fields.length > shownFields.length ? h('div', { class: 'data-more' }, t('data.moreFields', { n: fields.length - shownFields.length })) : null,
    ),
    h(
      'footer',
      { class: 'data-foot' },
      entry?.error ? h('span', { class: 'form-error' }, t('data.readFailed', { error: entry.error })) : Number.isFinite(latestMs) ? [h('span', { class: 'data-time' }, t('data.latest', { time: formatDateTime(latestMs, ctx.nowMs) })), ' · ', ageText(latestMs, formatAge((ctx.nowMs - latestMs) / 1000))] : h('span', { class: 'data-time none' }, t('data.noRows')),
    ),
  );
}

/** The row of tiles, or null when there is nothing to show (no datasets, hidden, or no routes). */
export function dataStrip(ctx: ViewContext): HTMLElement | null {
  if (available === false || !datasets || isHidden()) return null;
  const { tiles, page, pages } = currentPage(ctx);
  if (tiles.length === 0) return null;
  const names = new Map(ctx.state.opds.map((o) => [o.code, o.name]));
  return h(
    'section',
    { class: 'data-strip', 'aria-label': t('data.stripLabel'), 'data-page': page + 1, 'data-pages': pages },
    tiles.map((d) => tile(d, ctx, names)),
    pages > 1 ? h('div', { class: 'data-strip-page' }, t('data.stripPage', { page: page + 1, pages })) : null,
    listError && datasets ? h('div', { class: 'data-strip-error form-error' }, t('common.loadFailed', { error: listError })) : null,
  );
}

/** The wall bar's button showing or hiding the row; null when there are no datasets. */
export function dataToggle(ctx: ViewContext): HTMLElement | null {
  if (available === false || !datasets || visible(ctx.opd).length === 0) return null;
  const off = isHidden();
  return h(
    'button',
    {
      class: 'btn btn-data-toggle',
      type: 'button',
      'aria-pressed': off ? 'false' : 'true',
      title: t('data.toggleHint'),
      onclick: () => {
        setHidden(!off);
        ctx.rerender();
      },
    },
    t('data.toggle', { n: visible(ctx.opd).length }),
  );
}

/** The OPD filter changed: start at the first page. */
export function dataStripReset(): void {
  stripPage = 0;
  flippedAt = Date.now();
}

/** Another user from now on: what the last one saw is asked for again. */
export function resetDatasetTiles(): void {
  datasets = undefined;
  available = undefined;
  listError = undefined;
  listLoadedAt = 0;
  listStaleAt = Infinity;
  refetch.reset();
  latest.clear();
  stripPage = 0;
}
