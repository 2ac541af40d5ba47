/// <reference lib="dom" />
import { language } from '../i18n.js';
import { can } from '../session.js';
import { forgetActions, resetActions } from './complaint-actions.js';
import { detailVersion, refreshDetail, resetDetail } from './complaint-detail.js';
import { figuresDue, figuresVersion, loadFigures } from './complaint-figures.js';
import { filingFormVersion, filingPage, resetFiling } from './complaint-filing.js';
import { listVersion, refreshList, resetList } from './complaint-list.js';
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
 * The central sends no event for complaints: the list and figures are fetched again
 * every 15 s while a page is open, and at once after every step taken here. Forms are
 * kept across those reloads, so nobody loses a half-typed note.
 */

const RELOAD_MS = 15_000;

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
    refreshList(ctx, RELOAD_MS);
    if (figuresDue(RELOAD_MS)) loadFigures(ctx.rerender);
    if (page.id !== undefined) refreshDetail(ctx, page.id, RELOAD_MS);
  } else refreshRules(ctx, RELOAD_MS * 4);

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

/** Another user (or none) from now on: nothing of the last one's complaints or drafts stays. */
export function resetComplaints(): void {
  resetList();
  resetDetail();
  resetRules();
  resetActions();
  resetFiling();
  mounted = undefined;
}
