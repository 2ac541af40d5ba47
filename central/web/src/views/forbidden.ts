/// <reference lib="dom" />
import type { ApiPermission } from '../api-types.js';
import { h } from '../dom.js';
import { t, tMaybe } from '../i18n.js';
import { can, currentUser } from '../session.js';

/**
 * A page the user's role may not open. It says so plainly instead of showing an empty
 * page or a 403 in the console; the central refuses the data (403) anyway.
 */
export function renderForbidden(root: HTMLElement, needs: ApiPermission): void {
  const role = currentUser()?.role;
  root.replaceChildren(
    h(
      'section',
      { class: 'forbidden', 'data-needs': needs },
      h('h1', {}, h('span', { class: 'badge-icon', 'aria-hidden': 'true' }, '✖'), ' ', t('forbidden.title')),
      h('p', {}, t('forbidden.text', { role: role ? (tMaybe(`user.role.${role}`) ?? role) : '—', permission: tMaybe(`perm.${needs}`) ?? needs })),
      // OPD staff have no wall: their start page is the complaints list.
      h('p', {}, can('view') ? h('a', { class: 'btn', href: '#/wall' }, t('forbidden.back')) : h('a', { class: 'btn', href: '#/pengaduan' }, t('forbidden.backComplaints'))),
    ),
  );
}
