/// <reference lib="dom" />
import { h, svg } from '../dom.js';
import { formatNumber, t, type MessageKey } from '../i18n.js';
import { fitProjection, placeLabels } from '../geo.js';
import { officeDots, type OfficeDot } from '../model.js';
import type { ViewContext } from './context.js';

/**
 * The office map of the health view: inline SVG drawn from the OPD coordinates in the
 * registry, one dot per office coloured (and marked with an icon) by its worst
 * gateway state. Nothing is fetched: no tiles, no fonts, so it works on a closed
 * network. A click on an office narrows the page to it, like the OPD filter.
 */

const WIDTH = 1600;
const HEIGHT = 380;
const PAD = 40;
const DOT_R = 9;
/** Label font size in map units (app.css .map-label) and the width of an average character in it (DejaVu Sans). */
const LABEL_EM = 17;
const CHAR_WIDTH_EM = 0.62;
const LABEL_MAX = 32;
/** More offices than this on one map: dots are labelled with the OPD code (the name is in the tooltip), or labels would pile up. */
const NAMES_UP_TO = 12;
const KM_PER_DEG_LAT = 111.32;

const ICON: Record<OfficeDot['severity'], string> = { ok: '✔', warn: '▲', bad: '✖', none: '○' };
const LEGEND: { severity: OfficeDot['severity']; key: MessageKey }[] = [
  { severity: 'ok', key: 'map.legendOk' },
  { severity: 'warn', key: 'map.legendWarn' },
  { severity: 'bad', key: 'map.legendBad' },
  { severity: 'none', key: 'map.legendNone' },
];

function shorten(name: string): string {
  return name.length > LABEL_MAX ? `${name.slice(0, LABEL_MAX - 1)}…` : name;
}

/** A scale bar of a round length about a tenth of the map wide. */
function scaleBar(pxPerKm: number): SVGGElement | null {
  if (!Number.isFinite(pxPerKm) || pxPerKm <= 0) return null;
  const target = (WIDTH / 10) / pxPerKm;
  const steps = [0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000];
  const km = steps.find((s) => s >= target) ?? steps[steps.length - 1]!;
  const len = km * pxPerKm;
  const x = PAD / 2;
  const y = HEIGHT - 14;
  return svg(
    'g',
    { class: 'map-scale', 'aria-hidden': 'true' },
    svg('path', { d: `M${x} ${y - 6}V${y}H${x + len}V${y - 6}` }),
    svg('text', { x: x + len + 8, y: y + 1 }, km < 1 ? `${formatNumber(km * 1000)} m` : `${formatNumber(km)} km`),
  );
}

export function officeMap(ctx: ViewContext): HTMLElement {
  const dots = officeDots(ctx.state, ctx.nowMs);
  const placed = dots.filter((d): d is OfficeDot & { location: { lat: number; lon: number } } => d.location !== null);
  const missing = dots.filter((d) => d.location === null);
  const projection = fitProjection(
    placed.map((d) => d.location),
    { width: WIDTH, height: HEIGHT, pad: PAD },
  );
  const useCodes = placed.length > NAMES_UP_TO;
  const toggle = (code: string) => ctx.setOpd(code === ctx.opd ? undefined : code);

  // Healthy offices first, so a red dot is drawn on top of a green neighbour; all labels
  // go beneath all dots, so a long label never hides an office or takes its click.
  const order: Record<OfficeDot['severity'], number> = { none: 0, ok: 1, warn: 2, bad: 3 };
  const drawn = [...placed]
    .sort((a, b) => order[a.severity] - order[b.severity] || Number(a.code === ctx.opd) - Number(b.code === ctx.opd))
    .map((d) => ({ d, ...projection.project(d.location) }));
  // Labels are placed in order of importance: the selected office, then problems first.
  const priority = [...drawn].sort((a, b) => Number(b.d.code === ctx.opd) - Number(a.d.code === ctx.opd) || order[b.d.severity] - order[a.d.severity]);
  const texts = priority.map(({ d }) => `${ICON[d.severity]} ${useCodes ? d.code : shorten(d.name)}`);
  const spots = placeLabels(
    priority.map(({ x, y }, i) => ({ x, y, width: (texts[i] ?? '').length * LABEL_EM * CHAR_WIDTH_EM, height: LABEL_EM * 1.2 })),
    { width: WIDTH, height: HEIGHT },
    DOT_R,
  );
  const labels = priority.map(({ d }, i) => {
    const spot = spots[i]!;
    return svg(
      'text',
      { class: `map-label sev-${d.severity}${d.code === ctx.opd ? ' selected' : ''}`, 'data-opd': d.code, x: spot.x.toFixed(1), y: spot.y.toFixed(1), 'text-anchor': spot.anchor },
      texts[i] ?? d.code,
    );
  });
  const offices = drawn.map(({ d, x, y }) => {
    const title = t('map.dotTitle', { opd: d.name, online: d.online, total: d.total });
    return svg(
      'g',
      {
        class: `map-office sev-${d.severity}${d.code === ctx.opd ? ' selected' : ''}`,
        'data-opd': d.code,
        'data-severity': d.severity,
        tabindex: 0,
        role: 'button',
        'aria-label': title,
        onclick: () => toggle(d.code),
        onkeydown: (e: Event) => {
          if ((e as KeyboardEvent).key === 'Enter') toggle(d.code);
        },
      },
      svg('title', {}, title),
      d.code === ctx.opd ? svg('circle', { class: 'map-ring', cx: x.toFixed(1), cy: y.toFixed(1), r: 16 }) : null,
      svg('circle', { class: 'map-dot', cx: x.toFixed(1), cy: y.toFixed(1), r: DOT_R }),
    );
  });

  const a = projection.project({ lat: 0, lon: 0 });
  const b = projection.project({ lat: 1, lon: 0 });
  const pxPerKm = Math.abs(a.y - b.y) / KM_PER_DEG_LAT;

  return h(
    'div',
    { class: 'panel office-map' },
    h(
      'div',
      { class: 'panel-head' },
      h('h2', {}, t('map.title')),
      h(
        'ul',
        { class: 'map-legend' },
        LEGEND.map((l) => h('li', { class: `sev-${l.severity}` }, h('span', { class: 'legend-dot', 'aria-hidden': 'true' }), `${ICON[l.severity]} ${t(l.key)}`)),
      ),
    ),
    placed.length
      ? svg(
          'svg',
          { class: 'map-svg', viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: 'group', 'aria-label': t('map.aria'), 'data-offices': placed.length },
          svg('rect', { class: 'map-bg', x: 0, y: 0, width: WIDTH, height: HEIGHT, rx: 8 }),
          svg('g', { class: 'map-labels', 'aria-hidden': 'true' }, labels),
          offices,
          placed.length > 1 ? scaleBar(pxPerKm) : null,
        )
      : h('p', { class: 'empty map-empty' }, t('map.empty')),
    missing.length
      ? h(
          'p',
          { class: 'map-missing' },
          h('span', { class: 'map-missing-label' }, t('map.noCoords', { n: missing.length })),
          ' ',
          missing.map((d) => h('span', { class: `map-missing-opd sev-${d.severity}`, 'data-opd': d.code }, `${ICON[d.severity]} ${d.name}`)),
        )
      : null,
  );
}
