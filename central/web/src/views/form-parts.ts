/// <reference lib="dom" />
import type { ApiOpd } from '../api-types.js';
import { h } from '../dom.js';

/** Pieces the forms of several views are built from, so a field or an OPD list looks and behaves alike everywhere. */

/** A labelled control; `hint` goes below it (a text, or an element the form keeps current), `cls` sets its width. */
export function field(id: string, label: string, input: HTMLElement, extra: { hint?: string | HTMLElement; cls?: string } = {}): HTMLElement {
  const { hint, cls = '' } = extra;
  const below = typeof hint === 'string' ? (hint ? h('span', { class: 'hint' }, hint) : null) : hint;
  return h('div', { class: `field ${cls}`.trim() }, h('label', { for: id }, label), input, below);
}

/** The OPDs as options, by name; the code beside it tells offices with similar names apart. */
export function opdOptions(opds: readonly ApiOpd[], selected?: string): HTMLOptionElement[] {
  return [...opds].sort((a, b) => a.name.localeCompare(b.name, 'id')).map((o) => h('option', { value: o.code, selected: o.code === selected }, `${o.name} (${o.code})`));
}

/** Sets a control's value from the state unless someone is typing in it. */
export function syncValue(el: HTMLInputElement | HTMLSelectElement, value: string): void {
  if (el.value !== value && document.activeElement !== el) el.value = value;
}
