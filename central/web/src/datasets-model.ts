/**
 * Data OPD (datasets other OPD systems push) without the DOM: the registration form
 * checked the way the central checks it (central/bridges/dataset.ts), values with
 * their units, the sparkline's geometry and the push example shown with a new token.
 * Tested in Node.
 */
import type { ApiDatasetField, ApiDatasetLatest, ApiDatasetRegistration, ApiFieldType, ApiFieldValue } from './api-types.js';
import { formatNumber, t, type MessageKey } from './i18n.js';
import { decimal } from './model.js';

export const FIELD_TYPES: readonly ApiFieldType[] = ['number', 'integer', 'string', 'boolean'];
const SLUG = /^[a-z0-9][a-z0-9_-]{0,47}$/;
const FIELD_NAME = /^[a-z][a-z0-9_]{0,62}$/;
/** Names the central keeps for itself: the row's time column and the InfluxDB tags. */
const RESERVED: ReadonlySet<string> = new Set(['time', 'waktu', 'timestamp', 'opd', 'dataset']);
const MAX_FIELDS = 50;
const STALE_MIN_S = 10;
const STALE_MAX_S = 366 * 86_400;

/** Tiles on one page of the wall's data strip (six fit 1920 px); more pages cycle with the wall. */
export const DATA_TILES_PER_PAGE = 6;
/** Fields a tile shows; the rest are counted. */
export const FIELDS_PER_TILE = 3;

export interface FieldDraft {
  name: string;
  type: ApiFieldType;
  unit: string;
  label: string;
  optional: boolean;
  min: string;
  max: string;
}

export interface DatasetDraft {
  slug: string;
  name: string;
  opd: string;
  /** Minutes as typed; empty: never stale. */
  staleMinutes: string;
  fields: FieldDraft[];
}

export const emptyField = (): FieldDraft => ({ name: '', type: 'number', unit: '', label: '', optional: false, min: '', max: '' });
export const emptyDatasetDraft = (opd = ''): DatasetDraft => ({ slug: '', name: '', opd, staleMinutes: '', fields: [emptyField()] });

export interface DraftError {
  key: MessageKey;
  params: Record<string, string | number>;
}

export type DatasetDraftResult = { ok: true; body: ApiDatasetRegistration } | { ok: false; errors: DraftError[] };

/** A field row left wholly empty is dropped (the form always offers one more). */
function isBlank(f: FieldDraft): boolean {
  return f.name.trim() === '' && f.unit.trim() === '' && f.label.trim() === '' && f.min.trim() === '' && f.max.trim() === '';
}

export function parseDatasetDraft(d: DatasetDraft, knownOpds: ReadonlySet<string>): DatasetDraftResult {
  const errors: DraftError[] = [];
  const err = (key: MessageKey, params: Record<string, string | number> = {}) => errors.push({ key, params });
  const slug = d.slug.trim();
  if (!SLUG.test(slug)) err('data.errSlug');
  const name = d.name.trim();
  if (name === '' || name.length > 200) err('data.errName');
  if (!knownOpds.has(d.opd)) err('data.errOpd');
  let staleAfterS: number | undefined;
  if (d.staleMinutes.trim() !== '') {
    const minutes = decimal(d.staleMinutes);
    staleAfterS = minutes === undefined || !Number.isFinite(minutes) ? NaN : Math.round(minutes * 60);
    if (!(staleAfterS >= STALE_MIN_S && staleAfterS <= STALE_MAX_S)) err('data.errStale');
  }
  const fields: ApiDatasetField[] = [];
  const seen = new Set<string>();
  d.fields.forEach((f, i) => {
    if (isBlank(f)) return;
    const n = i + 1;
    const fieldName = f.name.trim();
    if (!FIELD_NAME.test(fieldName)) err('data.errFieldName', { n });
    else if (RESERVED.has(fieldName)) err('data.errFieldReserved', { n, name: fieldName });
    else if (seen.has(fieldName)) err('data.errFieldTwice', { n, name: fieldName });
    seen.add(fieldName);
    const numeric = f.type === 'number' || f.type === 'integer';
    const min = decimal(f.min);
    const max = decimal(f.max);
    if ((min !== undefined || max !== undefined) && !numeric) err('data.errBoundsType', { n });
    else if ((min !== undefined && !Number.isFinite(min)) || (max !== undefined && !Number.isFinite(max))) err('data.errBounds', { n });
    else if (min !== undefined && max !== undefined && min > max) err('data.errBoundsOrder', { n });
    const unit = f.unit.trim();
    const label = f.label.trim();
    if (unit.length > 32 || label.length > 100) err('data.errFieldText', { n });
    fields.push({
      name: fieldName,
      type: f.type,
      ...(unit !== '' && { unit }),
      ...(label !== '' && { label }),
      ...(f.optional && { optional: true }),
      ...(numeric && min !== undefined && { min }),
      ...(numeric && max !== undefined && { max }),
    });
  });
  if (fields.length === 0) err('data.errNoFields');
  if (fields.length > MAX_FIELDS) err('data.errManyFields', { max: MAX_FIELDS });
  if (errors.length) return { ok: false, errors };
  return { ok: true, body: { slug, name, opd: d.opd, fields, ...(staleAfterS !== undefined && { staleAfterS }) } };
}

/** "120,5 cm" (id) or "120.5 cm" (en); booleans as Ya/Tidak; "—" for no value. */
export function formatFieldValue(value: ApiFieldValue | null, type: ApiFieldType, unit: string | null): string {
  if (value === null) return '—';
  let text: string;
  if (typeof value === 'boolean') text = value ? t('data.yes') : t('data.no');
  else if (typeof value === 'number') text = formatNumber(value, type === 'integer' ? 0 : 2);
  else text = value.length > 40 ? `${value.slice(0, 39)}…` : value;
  return unit && typeof value !== 'boolean' ? `${text} ${unit}` : text;
}

/** A numeric field's values over time, oldest first; missing values left out. */
export function fieldSeries(latest: Pick<ApiDatasetLatest, 'series'>, field: string): { timeMs: number; value: number }[] {
  return latest.series.flatMap((row) => {
    const v = row.values[field];
    const timeMs = Date.parse(row.time);
    return typeof v === 'number' && Number.isFinite(v) && Number.isFinite(timeMs) ? [{ timeMs, value: v }] : [];
  });
}

export interface Sparkline {
  /** For <polyline points="...">, in a width x height box, y down. */
  points: string;
  last: { x: number; y: number };
  min: number;
  max: number;
}

/**
 * The sparkline of a series: x by time (rows need not be evenly spaced; by position
 * when all share one time), y scaled to the series' own minimum and maximum with `pad`
 * left free above and below; a constant series is a flat line in the middle. Null
 * for fewer than two points: one point is no line.
 */
export function sparkline(points: readonly { timeMs: number; value: number }[], width: number, height: number, pad = 2): Sparkline | null {
  if (points.length < 2) return null;
  const t0 = points[0]!.timeMs;
  const t1 = points[points.length - 1]!.timeMs;
  const values = points.map((p) => p.value);
  const min = Math.min(...values);
  const max = Math.max(...values);
  const x = (p: { timeMs: number }, i: number) => (t1 > t0 ? ((p.timeMs - t0) / (t1 - t0)) * width : (i / (points.length - 1)) * width);
  const y = (v: number) => (max > min ? pad + (1 - (v - min) / (max - min)) * (height - 2 * pad) : height / 2);
  const xy = points.map((p, i) => ({ x: x(p, i), y: y(p.value) }));
  const r = (n: number) => String(Math.round(n * 10) / 10);
  return { points: xy.map((p) => `${r(p.x)},${r(p.y)}`).join(' '), last: xy[xy.length - 1]!, min, max };
}

/** A value of the right type for the example row. */
function exampleValue(f: Pick<ApiDatasetField, 'type' | 'min' | 'max'>): ApiFieldValue {
  if (f.type === 'boolean') return true;
  if (f.type === 'string') return 'normal';
  const inRange = f.min !== undefined && f.max !== undefined ? (f.min + f.max) / 2 : f.min !== undefined ? f.min + 10 : f.max !== undefined ? f.max - 10 : 12.5;
  return f.type === 'integer' ? Math.round(inRange) : Math.round(inRange * 10) / 10;
}

/** Single quotes around a shell word: any ' inside is closed, escaped and reopened. */
function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/**
 * The curl commands an integrator of the other system runs, with the token shown once:
 * a JSON push of one row, and a CSV file push.
 */
export function pushExamples(origin: string, slug: string, token: string, fields: readonly Pick<ApiDatasetField, 'name' | 'type' | 'min' | 'max'>[], nowIso: string): { json: string; csv: string } {
  const url = `${origin}/api/datasets/${slug}/rows`;
  const row: Record<string, ApiFieldValue> = { time: nowIso.replace(/\.\d{3}Z$/, 'Z') };
  for (const f of fields) row[f.name] = exampleValue(f);
  const auth = `-H ${shellQuote(`Authorization: Bearer ${token}`)}`;
  const json = `curl -X POST ${shellQuote(url)} \\\n  ${auth} \\\n  -H 'Content-Type: application/json' \\\n  -d ${shellQuote(JSON.stringify([row]))}`;
  const csv = `curl -X POST ${shellQuote(url)} \\\n  ${auth} \\\n  -H 'Content-Type: text/csv' \\\n  --data-binary @${slug}.csv`;
  return { json, csv };
}
