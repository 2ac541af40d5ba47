/// <reference lib="dom" />
import { language } from '../i18n.js';
import { Refetch } from '../live.js';
import { can } from '../session.js';
import { forgetActions, resetActions } from './complaint-actions.js';
import { detailVersion, refreshDetail, reloadDetail, resetDetail } from './complaint-detail.js';
import { figuresDue, figuresVersion, loadFigures } from './complaint-figures.js';
import { filingFormVersion, filingPage, resetFiling } from './complaint-filing.js';
import { listVersion, refreshList, reloadList, resetList } from './complaint-list.js';
import { listPage } from './complaint-list-page.js';
import type { BuiltPage } from './complaint-page.js';
import { refreshRules, resetRules, rulesPage, rulesVersion } from './complaint-rules.js';
import type { ViewContext } from './context.js';

/**
 * Pengaduan (complaints.handle), three pages of one view:
 *  - #/pengaduan[/ID][?opd=CODE]: response times per OPD, the complaints (open or all,
 *    the OPD filter of the toolbar), and one complaint beside the list: what the citizen
 *    wrote, the photo, its history and the steps left (complaint-list-page.ts);
 *  - #/pengaduan/baru: filing a complaint as an operator (complaint-filing.ts);
 *  - #/pengaduan/aturan: the routing rules, editable by admins (complaint-rules.ts).
 * The list, the complaint shown and the figures are fetched again after the central's
 * `complaint` event (live.ts: a burst of them is one fetch), at once after every step
 * taken here, and only while the event stream is down every 60 s. Forms are kept
 * across those reloads, so nobody loses a half-typed note.
 */

/** Events within this of the first are one fetch: a rule routing a batch of complaints. */
const BURST_MS = 300;
const FALLBACK_MS = 60_000;
/** Rules change only by an admin's hand (here, or rarely elsewhere): no event needed. */
const RULES_RELOAD_MS = 60_000;

const refetch = new Refetch(BURST_MS, FALLBACK_MS);
/** The figures are due after an event even when a fetch started before it is still running. */
let figuresOwed = false;

type Page = { kind: 'list'; id: number | undefined } | { kind: 'new' } | { kind: 'rules' };

interface Mounted extends BuiltPage {
  key: string;
  /** The data the parts were last filled from. */
  version: string;
}
let mounted: Mounted | undefined;

function pageOf(sub: string | undefined): Page {
  if (sub === 'baru') return { kind: 'new' };
  if (sub === 'aturan') return { kind: 'rules' };
  const id = sub !== undefined && /^\d{1,15}$/.test(sub) ? Number(sub) : undefined;
  return { kind: 'list', id };
}

export function renderComplaints(root: HTMLElement, ctx: ViewContext): void {
  const page = pageOf(ctx.sub);
  if (page.kind === 'list') {
    const maxAgeMs = refetch.maxAgeMs();
    if (refetch.take()) {
      reloadList(ctx);
      if (page.id !== undefined) reloadDetail(ctx);
      figuresOwed = true;
    }
    refreshList(ctx, maxAgeMs);
    // -1: whatever their age, as soon as no fetch is running.
    if (figuresDue(figuresOwed ? -1 : maxAgeMs)) {
      figuresOwed = false;
      loadFigures(ctx.rerender);
    }
    if (page.id !== undefined) refreshDetail(ctx, page.id, maxAgeMs);
  } else refreshRules(ctx, RULES_RELOAD_MS);

  const key = `${language()}|${page.kind}|${page.kind === 'list' ? (page.id ?? '') : ''}|${ctx.opd ?? ''}|${can('complaints.submit')}|${can('registry.manage')}|${page.kind === 'new' ? filingFormVersion() : ''}|${ctx.state.opds.map((o) => `${o.code}:${o.name}`).join(',')}`;
  if (!mounted || mounted.key !== key || root.firstElementChild !== mounted.el) {
    forgetActions();
    const built = page.kind === 'list' ? listPage(ctx, page.id) : page.kind === 'new' ? filingPage(ctx) : rulesPage(ctx);
    mounted = { ...built, key, version: '' };
    root.replaceChildren(built.el);
  }
  const version = `${listVersion()}|${detailVersion()}|${rulesVersion()}|${figuresVersion()}`;
  if (mounted.version !== version) {
    mounted.version = version;
    mounted.fill(ctx);
  }
}

/** The central's `complaint` event (or the stream back after a gap): shown pages refetch after the burst. */
export function complaintsEvent(rerender: () => void): void {
  refetch.event(() => {
    if (mounted?.el.isConnected) rerender();
  });
}

/** Another user (or none) from now on: nothing of the last one's complaints or drafts stays. */
export function resetComplaints(): void {
  refetch.reset();
  figuresOwed = false;
  resetList();
  resetDetail();
  resetRules();
  resetActions();
  resetFiling();
  mounted = undefined;
}
