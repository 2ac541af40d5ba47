/// <reference lib="dom" />
// (The reference lets the root tsconfig.json, which includes central/, compile this
// file too; tsconfig.web.json has the DOM lib anyway.)
import { t } from './i18n.js';
import type { Severity } from './model.js';

type Child = Node | string | number | null | undefined | false;
type AttrValue = string | number | boolean | null | undefined | ((event: Event) => void);

/**
 * Creates an element. Attributes: `class`, `on<event>` listeners, `data-*`, others as
 * attributes (true: present, false/null/undefined: absent). Text is always set as
 * text, never parsed as HTML.
 */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, AttrValue> = {}, ...children: (Child | Child[])[]): HTMLElementTagNameMap[K] {
  return fill(document.createElement(tag), attrs, children);
}

const SVG_NS = 'http://www.w3.org/2000/svg';

/** Like h() for inline SVG (the office map): same attribute rules, SVG namespace. */
export function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, AttrValue> = {}, ...children: (Child | Child[])[]): SVGElementTagNameMap[K] {
  return fill(document.createElementNS(SVG_NS, tag), attrs, children);
}

function fill<E extends Element>(el: E, attrs: Record<string, AttrValue>, children: (Child | Child[])[]): E {
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (typeof value === 'function') el.addEventListener(name.slice(2).toLowerCase(), value);
    else el.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(typeof child === 'object' ? child : String(child));
  }
  return el;
}

const ICON: Record<Severity, string> = { ok: '✔', warn: '▲', bad: '✖' };

/** A state badge: colour, an icon and the text, so it never relies on colour alone. */
export function badge(text: string, severity: Severity, extraClass = ''): HTMLSpanElement {
  return h('span', { class: `badge sev-${severity} ${extraClass}`.trim() }, h('span', { class: 'badge-icon', 'aria-hidden': 'true' }, ICON[severity]), ' ', text);
}

/** An element whose text is the age of `ms` (server clock), kept current by app.ts every second. */
export function ageText(ms: number | null, text: string): HTMLSpanElement {
  return h('span', { class: 'age', 'data-since': ms ?? undefined }, ms === null ? t('age.never') : text);
}

/**
 * Copies `text` to the clipboard. The Clipboard API needs HTTPS or localhost: a
 * plain-HTTP wall falls back to selecting `shown` (the element showing the text) and
 * the browser's copy command, which leaves it selected for Ctrl+C if even that fails.
 */
export function copyText(text: string, shown: HTMLElement, done: (ok: boolean) => void): void {
  const fallback = () => {
    const range = document.createRange();
    range.selectNodeContents(shown);
    const selection = window.getSelection();
    selection?.removeAllRanges();
    selection?.addRange(range);
    let ok = false;
    try {
      ok = document.execCommand('copy');
    } catch {
      ok = false;
    }
    done(ok);
  };
  if (navigator.clipboard) navigator.clipboard.writeText(text).then(() => done(true), fallback);
  else fallback();
}

/** An element of index.html the app cannot work without. */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} missing from index.html`);
  return el as T;
}
