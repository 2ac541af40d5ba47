/**
 * The office map's projection, DOM-free: equirectangular (longitude scaled by the
 * cosine of the middle latitude, so a city's shape is not stretched), fitted to the
 * bounding box of the offices. A city spans a few kilometres: no tiles, no great
 * circles, and plain arithmetic is exact enough.
 */

export interface GeoPoint {
  lat: number;
  lon: number;
}

export interface Frame {
  width: number;
  height: number;
  /** Kept free on every side (for dots and labels). */
  pad: number;
}

/** A bounding box narrower than this (degrees, about 1 km) is widened: one office sits in the middle. */
const MIN_SPAN_DEG = 0.01;

export interface Projection {
  project(p: GeoPoint): { x: number; y: number };
}

export function fitProjection(points: readonly GeoPoint[], frame: Frame): Projection {
  if (points.length === 0) return { project: () => ({ x: frame.width / 2, y: frame.height / 2 }) };
  let minLat = Infinity;
  let maxLat = -Infinity;
  let minLon = Infinity;
  let maxLon = -Infinity;
  for (const p of points) {
    minLat = Math.min(minLat, p.lat);
    maxLat = Math.max(maxLat, p.lat);
    minLon = Math.min(minLon, p.lon);
    maxLon = Math.max(maxLon, p.lon);
  }
  const midLat = (minLat + maxLat) / 2;
  const midLon = (minLon + maxLon) / 2;
  const k = Math.cos((midLat * Math.PI) / 180);
  const spanX = Math.max(maxLon - minLon, MIN_SPAN_DEG) * k;
  const spanY = Math.max(maxLat - minLat, MIN_SPAN_DEG);
  const scale = Math.min((frame.width - 2 * frame.pad) / spanX, (frame.height - 2 * frame.pad) / spanY);
  return {
    project: (p) => ({
      x: frame.width / 2 + (p.lon - midLon) * k * scale,
      // North is up: screen y grows downwards.
      y: frame.height / 2 - (p.lat - midLat) * scale,
    }),
  };
}

/** A label to place next to its dot at (x, y), with its estimated size. */
export interface LabelRequest {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface LabelPlacement {
  /** Text anchor point and SVG text-anchor. */
  x: number;
  y: number;
  anchor: 'start' | 'end' | 'middle';
}

interface Box {
  left: number;
  top: number;
  right: number;
  bottom: number;
}

function overlap(a: Box, b: Box): number {
  const w = Math.min(a.right, b.right) - Math.max(a.left, b.left);
  const h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
  return w > 0 && h > 0 ? w * h : 0;
}

/**
 * Puts each label right, left, above or below its dot, wherever it overlaps least
 * with the labels placed before it, every dot and the frame's edge. Greedy, in the
 * order given: callers put what matters most (offices with problems) first, so those
 * get the free spots. Every label is placed; in a crowded city some still touch.
 */
export function placeLabels(requests: readonly LabelRequest[], frame: { width: number; height: number }, dotRadius: number): LabelPlacement[] {
  const gap = dotRadius + 5;
  const dots: Box[] = requests.map((r) => ({ left: r.x - dotRadius, top: r.y - dotRadius, right: r.x + dotRadius, bottom: r.y + dotRadius }));
  const placed: Box[] = [];
  return requests.map((r) => {
    const ascent = r.height * 0.75;
    const candidates: { at: LabelPlacement; box: Box }[] = [
      { at: { x: r.x + gap, y: r.y + ascent / 2, anchor: 'start' }, box: { left: r.x + gap, right: r.x + gap + r.width, top: r.y - r.height / 2, bottom: r.y + r.height / 2 } },
      { at: { x: r.x - gap, y: r.y + ascent / 2, anchor: 'end' }, box: { left: r.x - gap - r.width, right: r.x - gap, top: r.y - r.height / 2, bottom: r.y + r.height / 2 } },
      { at: { x: r.x, y: r.y - gap - r.height * 0.25, anchor: 'middle' }, box: { left: r.x - r.width / 2, right: r.x + r.width / 2, top: r.y - gap - r.height, bottom: r.y - gap } },
      { at: { x: r.x, y: r.y + gap + ascent, anchor: 'middle' }, box: { left: r.x - r.width / 2, right: r.x + r.width / 2, top: r.y + gap, bottom: r.y + gap + r.height } },
    ];
    let best = candidates[0]!;
    let bestScore = Infinity;
    for (const c of candidates) {
      const outside = r.width * r.height - overlap(c.box, { left: 0, top: 0, right: frame.width, bottom: frame.height });
      let score = outside * 4;
      for (const p of placed) score += overlap(c.box, p);
      for (const d of dots) score += overlap(c.box, d) * 2;
      if (score < bestScore) {
        best = c;
        bestScore = score;
        if (score === 0) break;
      }
    }
    placed.push(best.box);
    return best.at;
  });
}
