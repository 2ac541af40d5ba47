/// <reference lib="dom" />
import { ApiError, errorText, request } from '../api.js';
import { h } from '../dom.js';
import { t } from '../i18n.js';
import { reportErrorKey } from '../reports-model.js';
import type { ViewContext } from './context.js';

/**
 * How the Laporan pages fetch: one report at a time per area, the newest question
 * winning, and the result area redrawn only when what it shows changed (so a form
 * being filled in or a scrolled table stays as it is on the app's 15 s refresh).
 */

/** A month of a big OPD, or the ranking of fifty, reads a lot from InfluxDB. */
const REPORT_TIMEOUT_MS = 60_000;

/** Bumped whenever what the result area shows changed. */
let version = 0;

export function resultVersion(): number {
  return version;
}

/** What the result area shows changed: it is rebuilt on the next render. */
export function resultChanged(): void {
  version++;
}

/** For an answer that arrives later: the result area is rebuilt, and the page rendered. */
export function redraw(ctx: ViewContext): () => void {
  return () => {
    version++;
    ctx.rerender();
  };
}

/** One report from the central: what was asked (its address), the answer or why there is none. */
export class Fetched<T> {
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

/**
 * "Coba lagi": the address asked last (or, before any, `fallback`'s) once more, shown
 * as loading at once.
 */
export function retry(fetched: Fetched<unknown>, ctx: ViewContext, fallback?: () => string | undefined): () => void {
  return () => {
    const path = fetched.path ?? fallback?.();
    if (path) fetched.load(path, redraw(ctx));
    version++;
    ctx.rerender();
  };
}

function loadingLine(): HTMLElement {
  return h('p', { class: 'empty report-loading', role: 'status', 'aria-busy': 'true' }, t('rep.loading'));
}

function problem(err: unknown, onRetry: () => void): HTMLElement {
  const status = err instanceof ApiError ? err.status : 0;
  const key = reportErrorKey(status, err instanceof ApiError && err.timedOut);
  return h(
    'div',
    { class: 'report-error', role: 'alert', 'data-status': status },
    h('p', {}, t(key, { error: errorText(err), s: REPORT_TIMEOUT_MS / 1000 })),
    h('button', { class: 'btn btn-retry', type: 'button', onclick: onRetry }, t('common.retry')),
  );
}

/** Loading, failed, or the content: the three states every report area has. */
export function stateOf<T>(fetched: Fetched<T>, onRetry: () => void, content: (data: T) => HTMLElement | HTMLElement[]): HTMLElement[] {
  const out: HTMLElement[] = [];
  if (fetched.busy) out.push(loadingLine());
  if (fetched.error !== undefined && !fetched.busy) out.push(problem(fetched.error, onRetry));
  if (fetched.data !== undefined) {
    const shown = [content(fetched.data)].flat();
    if (fetched.busy) for (const el of shown) el.classList.add('is-stale');
    out.push(...shown);
  }
  return out;
}
