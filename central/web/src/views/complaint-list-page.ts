/// <reference lib="dom" />
import { h } from '../dom.js';
import { t } from '../i18n.js';
import { fillActions } from './complaint-actions.js';
import { detailInfo, loadedComplaint } from './complaint-detail.js';
import { figuresTable } from './complaint-figures.js';
import { listHeading, listStateSelect, listTable } from './complaint-list.js';
import { pageHref, subnav, type BuiltPage } from './complaint-page.js';
import type { ViewContext } from './context.js';

/**
 * #/pengaduan[/ID][?opd=CODE]: response times per OPD, the complaints, and one
 * complaint beside the list with the steps left on it.
 */
export function listPage(ctx: ViewContext, id: number | undefined): BuiltPage {
  const figures = h('div', { class: 'figures-box' });
  const listBox = h('div', { class: 'complaint-list-box' });
  const heading = h('h2', {});
  const detailBox = h('div', {});
  const actionsBox = h('div', {});
  const withDetail = id !== undefined;
  const el = h(
    'section',
    { class: 'complaints-page' },
    subnav('list', ctx),
    h('div', { class: 'panel complaint-figures' }, h('h2', {}, t('cmp.figuresTitle')), h('p', { class: 'hint' }, t('cmp.figuresHint')), figures),
    h(
      'div',
      { class: `complaint-cols${withDetail ? ' with-detail' : ''}` },
      h(
        'div',
        { class: 'panel complaint-list' },
        h('div', { class: 'panel-head' }, heading, h('label', { class: 'inline-field' }, t('cmp.show'), ' ', listStateSelect(ctx))),
        listBox,
      ),
      withDetail
        ? h('div', { class: 'panel complaint-detail' }, h('p', {}, h('a', { class: 'btn btn-close-detail', href: pageHref(undefined, ctx.opd) }, t('rep.close'))), detailBox, actionsBox)
        : null,
    ),
  );
  const fill = (live: ViewContext) => {
    figures.replaceChildren(figuresTable(live.state.opds, live.opd, live.nowMs));
    heading.textContent = listHeading();
    listBox.replaceChildren(listTable(live, id));
    if (!withDetail) return;
    detailBox.replaceChildren(detailInfo(live));
    fillActions(actionsBox, live, loadedComplaint(id));
  };
  return { el, fill };
}
