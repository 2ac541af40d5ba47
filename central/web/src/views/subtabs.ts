/// <reference lib="dom" />
import { h } from '../dom.js';

export interface Subtab {
  /** data-sub, which tests and CSS find the link by. */
  sub: string;
  label: string;
  href: string;
  active: boolean;
}

/** The sub-page links of a view; the open one is marked for the eye and for screen readers. */
export function subtabs(label: string, tabs: readonly (Subtab | null)[]): HTMLElement {
  return h(
    'nav',
    { class: 'subtabs', 'aria-label': label },
    tabs.map((tab) => tab && h('a', { class: `subtab${tab.active ? ' active' : ''}`, href: tab.href, 'data-sub': tab.sub, 'aria-current': tab.active ? 'page' : undefined }, tab.label)),
  );
}
