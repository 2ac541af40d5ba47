/// <reference lib="dom" />
import type { ApiComplaint } from '../api-types.js';
import { COMPLAINT_STATE } from '../complaints-model.js';
import { badge } from '../dom.js';
import { t } from '../i18n.js';
import { routeHref } from '../route.js';
import { can } from '../session.js';
import type { ViewContext } from './context.js';
import { subtabs } from './subtabs.js';

/** What the pages of the Pengaduan view share: their addresses, the sub-page links, a state badge. */

export type PageKind = 'list' | 'new' | 'rules';

/** A page as built: its element, and how it refills its data parts (the context's clock and registry are fresh). */
export interface BuiltPage {
  el: HTMLElement;
  fill: (live: ViewContext) => void;
}

/** #/pengaduan[/sub]: sub is a complaint's id, "baru" or "aturan". */
export function pageHref(sub: string | undefined, opd: string | undefined): string {
  return routeHref('pengaduan', sub, opd);
}

export function subnav(kind: PageKind, ctx: ViewContext): HTMLElement {
  const link = (target: PageKind, sub: string | undefined, label: string) => ({ sub: target, label, href: pageHref(sub, ctx.opd), active: kind === target });
  return subtabs(t('cmp.sub'), [
    link('list', undefined, t('cmp.nav.list')),
    can('complaints.submit') ? link('new', 'baru', t('cmp.nav.new')) : null,
    link('rules', 'aturan', t('cmp.nav.rules')),
  ]);
}

export function stateBadge(c: Pick<ApiComplaint, 'state'>): HTMLElement {
  const s = COMPLAINT_STATE[c.state];
  return badge(t(s.key), s.severity, 'cmp-state');
}
