import { measurementOf, type DatasetField } from '../bridges/dataset.js';
import { retentionPolicyFor } from '../influx-schema.js';
import { dashboard, stat, table, text, timeseries, type Dashboard, type Line, type PanelSpec } from './model.js';

/**
 * The "Data OPD" dashboard: one row per registered dataset (central/bridges/dataset.ts),
 * a stat of the newest value and a time series per number field, a table of the text and
 * yes/no fields. Generated from the registry, so it exists only where the registry is
 * read (`grafana push|write --config`). Queries follow the writer, `rowsToPoints`: one
 * measurement `dataset_{slug}` per dataset, tags `opd` and `dataset`, one field per
 * registered field, integers stored as floats.
 */

export const DATA_OPD_UID = 'pemda-data-opd';

/** What the dashboard needs of a registration (a DatasetRecord fits). */
export interface DatasetSource {
  slug: string;
  name: string;
  opd: string;
  /** The OPD's name from the registry, when it has one. */
  opdName?: string;
  fields: readonly Pick<DatasetField, 'name' | 'type' | 'unit' | 'label' | 'min'>[];
}

/** Rows of a daily or monthly dataset (market prices) are still "the newest value". */
const LATEST_LOOKBACK = '90d';

/**
 * Grafana unit ids for the units OPD systems write (normalised: no spaces, lower case,
 * superscripts and micro signs folded); anything else is shown as a plain suffix.
 */
const UNITS: Readonly<Record<string, string>> = {
  '°c': 'celsius', '℃': 'celsius', degc: 'celsius', celsius: 'celsius', '°f': 'fahrenheit', kelvin: 'kelvin',
  '%': 'percent', '%rh': 'humidity',
  mm: 'lengthmm', m: 'lengthm', km: 'lengthkm', ft: 'lengthft',
  m2: 'areaM2', m3: 'm3', l: 'litre', liter: 'litre', litre: 'litre', ml: 'mlitre',
  'm3/s': 'flowcms', 'm3/det': 'flowcms', 'm3/detik': 'flowcms', 'l/min': 'flowlpm', 'l/h': 'litreh', 'l/jam': 'litreh',
  'ug/m3': 'conμgm3', 'mg/m3': 'conmgm3', 'ng/m3': 'conngm3', ppm: 'ppm', ppb: 'conppb',
  pa: 'pressurepa', hpa: 'pressurehpa', kpa: 'pressurekpa', mbar: 'pressurembar', bar: 'pressurebar',
  'm/s': 'velocityms', 'km/h': 'velocitykmh', 'km/jam': 'velocitykmh', kn: 'velocityknot',
  g: 'massg', kg: 'masskg', mg: 'massmg', t: 'masst', ton: 'masst',
  w: 'watt', kw: 'kwatt', mw: 'megwatt', wh: 'watth', kwh: 'kwatth', v: 'volt', kv: 'kvolt', a: 'amp', 'w/m2': 'Wm2',
  lux: 'lux', lx: 'lux', db: 'dB', '°': 'degree', derajat: 'degree',
  ms: 'ms', s: 's', detik: 's', min: 'm', menit: 'm', h: 'h', jam: 'h', d: 'd', hari: 'd',
  rp: 'currency:Rp', idr: 'currency:Rp',
};

export function grafanaUnit(unit: string | undefined): string {
  if (unit === undefined) return 'short';
  // "K" alone is kelvin; lower-cased it would be nothing.
  if (unit.trim() === 'K') return 'kelvin';
  const key = unit.trim().toLowerCase().replace(/\s+/g, '').replace(/[³]/g, '3').replace(/[²]/g, '2').replace(/[µμ]/g, 'u').replace(/\^/g, '');
  return UNITS[key] ?? `suffix:${unit.trim()}`;
}

/**
 * A panel id from the dataset and field it shows, so it stays the same when datasets are
 * added or removed (links to a panel keep working). FNV-1a, below 2^31; a collision,
 * improbable, moves to the next free id.
 */
function stableIds(): (key: string) => number {
  const taken = new Set<number>();
  return (key) => {
    let h = 0x811c9dc5;
    for (const ch of Buffer.from(key, 'utf8')) h = Math.imul(h ^ ch, 0x01000193) >>> 0;
    let id = (h % 2_000_000_000) + 1;
    while (taken.has(id)) id++;
    taken.add(id);
    return id;
  };
}

const ident = (name: string): string => `"${name}"`;

function where(slug: string): string {
  // Slugs are [a-z0-9_-]: nothing to escape in the literal.
  return `WHERE $timeFilter AND "dataset" = '${slug}'`;
}

function from(slug: string): string {
  const m = measurementOf(slug);
  return `${ident(retentionPolicyFor(m))}.${ident(m)}`;
}

export const datasetQueries = {
  mean: (slug: string, field: string) => `SELECT MEAN(${ident(field)}) AS ${ident(field)} FROM ${from(slug)} ${where(slug)} GROUP BY time($__interval) fill(null)`,
  last: (slug: string, field: string) => `SELECT LAST(${ident(field)}) AS ${ident(field)} FROM ${from(slug)} ${where(slug)}`,
  raw: (slug: string, fields: readonly string[]) => `SELECT ${fields.map(ident).join(', ')} FROM ${from(slug)} ${where(slug)}`,
};

const chunks = <T>(items: readonly T[], size: number): T[][] => Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));

function datasetLines(d: DatasetSource, idOf: (key: string) => number): Line[] {
  const numeric = d.fields.filter((f) => f.type === 'number' || f.type === 'integer');
  const other = d.fields.filter((f) => f.type === 'string' || f.type === 'boolean');
  const title = (f: DatasetSource['fields'][number]) => `${f.label ?? f.name}${f.unit !== undefined ? ` (${f.unit})` : ''}`;
  const about = (f: { name: string }) => `field ${f.name} of dataset ${d.slug} (measurement ${measurementOf(d.slug)})`;
  const stats = numeric.map((f): PanelSpec => ({
    ...stat({
      title: `${title(f)} terakhir`,
      description: `Newest value of ${about(f)} in the last ${LATEST_LOOKBACK}, whatever the dashboard time range.`,
      w: Math.floor(24 / Math.min(6, numeric.length)), h: 4, timeFrom: LATEST_LOOKBACK, unit: grafanaUnit(f.unit),
      targets: [{ query: datasetQueries.last(d.slug, f.name), alias: f.label ?? f.name }],
    }),
    id: idOf(`${d.slug}/${f.name}/stat`),
  }));
  const series = numeric.map((f, i): PanelSpec => ({
    ...timeseries({
      title: title(f),
      description: `Mean of ${about(f)} per interval.`,
      w: numeric.length % 2 === 1 && i === numeric.length - 1 ? 24 : 12, h: 8, unit: grafanaUnit(f.unit),
      // A registered minimum is a floor the values respect; without one, values may be negative.
      min: f.min ?? null,
      targets: [{ query: datasetQueries.mean(d.slug, f.name), alias: f.label ?? f.name }],
    }),
    id: idOf(`${d.slug}/${f.name}/timeseries`),
  }));
  const lines: Line[] = [...chunks(stats, 6), ...chunks(series, 2)];
  if (other.length > 0) {
    const spec = table({
      title: `${d.name}: teks dan ya/tidak`,
      description: `Rows of dataset ${d.slug} in the time range, newest first: its text and yes/no fields (${other.map((f) => f.name).join(', ')}).`,
      w: 24, h: 8,
      rename: Object.fromEntries([['Time', 'Waktu'], ...other.map((f) => [f.name, title(f)])]),
      targets: [{ query: datasetQueries.raw(d.slug, other.map((f) => f.name)) }],
    });
    // Newest first by sorting in Grafana: InfluxDB answers oldest first.
    lines.push([{ ...spec, id: idOf(`${d.slug}/table`), options: { ...spec.options, sortBy: [{ displayName: 'Waktu', desc: true }] } }]);
  }
  const opd = d.opdName !== undefined ? `${d.opdName} (${d.opd})` : d.opd;
  return [{ row: `${d.name} · ${opd}`, id: idOf(`${d.slug}/row`) }, ...lines];
}

const NONE = `Belum ada dataset terdaftar. Daftarkan dataset di halaman **Data OPD** (POST /api/datasets), lalu jalankan lagi \`pemda-central grafana push --config ...\`.

*No dataset is registered yet. Register one on the OPD data page, then push again.*`;

export function dataOpdDashboard(datasets: readonly DatasetSource[]): Dashboard {
  const idOf = stableIds();
  const lines: Line[] = datasets.length === 0
    ? [[text({ title: 'Data OPD', description: 'Shown while no dataset is registered.', w: 24, h: 5, markdown: NONE })]]
    : datasets.flatMap((d) => datasetLines(d, idOf));
  return dashboard({
    uid: DATA_OPD_UID,
    title: 'Data OPD',
    description: 'Datasets other OPD systems push through the generic data bridge (docs/bridges.md), one row per dataset: newest value and a time series per number field, a table of text and yes/no fields. Generated from the registry by pemda-central grafana push|write --config.',
    time: { from: 'now-7d', to: 'now' },
    refresh: '1m',
    variables: [],
    tags: ['data-opd'],
    rows: lines,
  });
}
