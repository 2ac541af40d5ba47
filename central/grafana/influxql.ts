import { retentionPolicyFor } from '../influx-schema.js';

/**
 * What the central writes to InfluxDB (database `pemda`), as the dashboards may query
 * it. Written by central/points.ts (punch, terminal_status, terminal_clock,
 * camera_status, gateway_health) and central/ingest.ts (gateway_status, snapshot);
 * tests/unit/grafana.test.ts fails when this list and those writers drift apart.
 * Employee ids are fields, never tags.
 */
export const MEASUREMENTS = {
  punch: {
    tags: ['opd', 'gateway', 'terminal'],
    fields: ['employee', 'known', 'nip', 'device_time', 'zone', 'status', 'verify', 'workcode', 'skew_ms', 'seq', 'received_at', 'historical'],
  },
  terminal_status: { tags: ['opd', 'gateway', 'terminal'], fields: ['state', 'reason', 'seq'] },
  terminal_clock: { tags: ['opd', 'gateway', 'terminal'], fields: ['skew_ms', 'alarm', 'synced', 'seq'] },
  camera_status: { tags: ['opd', 'gateway', 'camera'], fields: ['state', 'reason', 'seq'] },
  camera_motion: { tags: ['opd', 'gateway', 'camera'], fields: ['state', 'topic', 'seq'] },
  gateway_status: { tags: ['opd', 'gateway'], fields: ['state', 'bd_seq', 'version', 'config_hash', 'terminals'] },
  gateway_health: {
    tags: ['opd', 'gateway'],
    fields: [
      'uptime_s', 'load1', 'rss_bytes', 'mem_free_bytes', 'outbox_depth', 'outbox_oldest_age_s', 'outbox_acked_seq',
      'outbox_bytes', 'outbox_budget_bytes', 'outbox_budget', 'dropped_health', 'disk_free_bytes', 'disk_total_bytes',
      'snapshots_budget_kbps', 'snapshots_sent_kbps', 'snapshots_stretch', 'snapshots_quality', 'snapshots_dropped',
    ],
  },
  snapshot: { tags: ['opd', 'gateway', 'camera'], fields: ['kind', 'bytes', 'width', 'height', 'sha256', 'source', 'path', 'delay_ms'] },
} as const satisfies Record<string, { tags: readonly string[]; fields: readonly string[] }>;

export type Measurement = keyof typeof MEASUREMENTS;
export type TagOf<M extends Measurement> = (typeof MEASUREMENTS)[M]['tags'][number];
export type FieldOf<M extends Measurement> = (typeof MEASUREMENTS)[M]['fields'][number];
/** Dashboard template variables that filter a tag (multi-value, "All" included). */
export type Variable = 'opd' | 'gateway';

/** COUNT_DISTINCT: COUNT(DISTINCT(f)); INCREASE: NON_NEGATIVE_DIFFERENCE(MAX(f)), for counters that reset on restart. */
export type Fn = 'COUNT' | 'COUNT_DISTINCT' | 'MEAN' | 'MAX' | 'MIN' | 'LAST' | 'SUM' | 'INCREASE';
/** [function or null for the raw field, field, alias]. */
export type Column<M extends Measurement> = readonly [Fn | null, FieldOf<M>, string?];
export type Condition<M extends Measurement> =
  | { tag: TagOf<M>; matches: Variable }
  | { field: FieldOf<M>; equals: string | boolean }
  | { field: FieldOf<M>; notEquals: string };
/** `$interval` is Grafana's `time($__interval)`. */
export type GroupBy<M extends Measurement> = '$interval' | TagOf<M>;

export interface SelectSpec<M extends Measurement> {
  columns: readonly Column<M>[];
  where?: readonly Condition<M>[];
  groupBy?: readonly GroupBy<M>[];
  fill?: 'null' | 'none' | '0' | 'previous';
}

const ident = (name: string): string => `"${name}"`;

/** `"rp"."measurement"`: health and snapshot metadata live in the short `ops` policy. */
export function from(m: Measurement): string {
  return `${ident(retentionPolicyFor(m))}.${ident(m)}`;
}

function column<M extends Measurement>([fn, field, as]: Column<M>): string {
  const f = ident(field);
  const expr =
    fn === null ? f : fn === 'COUNT_DISTINCT' ? `COUNT(DISTINCT(${f}))` : fn === 'INCREASE' ? `NON_NEGATIVE_DIFFERENCE(MAX(${f}))` : `${fn}(${f})`;
  return as === undefined ? expr : `${expr} AS ${ident(as)}`;
}

function literal(value: string | boolean): string {
  return typeof value === 'boolean' ? String(value) : `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

function condition<M extends Measurement>(c: Condition<M>): string {
  if ('tag' in c) return `${ident(c.tag)} =~ /^$${c.matches}$/`;
  if ('equals' in c) return `${ident(c.field)} = ${literal(c.equals)}`;
  return `${ident(c.field)} != ${literal(c.notEquals)}`;
}

function groupBy<M extends Measurement>(items: readonly GroupBy<M>[]): string {
  return items.length === 0 ? '' : ` GROUP BY ${items.map((g) => (g === '$interval' ? 'time($__interval)' : ident(g))).join(', ')}`;
}

/** One SELECT over the dashboard's time range (`$timeFilter`). */
export function select<M extends Measurement>(m: M, spec: SelectSpec<M>): string {
  const where = ['$timeFilter', ...(spec.where ?? []).map(condition)].join(' AND ');
  const fill = spec.fill === undefined ? '' : ` fill(${spec.fill})`;
  return `SELECT ${spec.columns.map(column).join(', ')} FROM ${from(m)} WHERE ${where}${groupBy(spec.groupBy ?? [])}${fill}`;
}

export interface LatestSpec<M extends Measurement> {
  /** The field whose newest value per series is wanted (LAST). */
  value: FieldOf<M>;
  /** Fields of that same newest point. */
  also?: readonly FieldOf<M>[];
  by: readonly TagOf<M>[];
  where?: readonly Condition<M>[];
  /** Keep only series whose newest point matches (a subquery: InfluxQL has no HAVING). */
  keep?: Condition<M>;
}

/** The newest point of every series (status records are written on change only). */
export function latest<M extends Measurement>(m: M, spec: LatestSpec<M>): string {
  const columns: Column<M>[] = [['LAST', spec.value, spec.value], ...(spec.also ?? []).map((f): Column<M> => [null, f])];
  const inner = select(m, { columns, where: spec.where ?? [], groupBy: spec.by });
  if (spec.keep === undefined) return inner;
  const outer = [spec.value, ...(spec.also ?? [])].map(ident).join(', ');
  return `SELECT ${outer} FROM (${inner}) WHERE ${condition(spec.keep)}${groupBy(spec.by)}`;
}

/** Template variable query: the values of one tag, optionally narrowed by another variable. */
export function tagValues<M extends Measurement>(m: M, key: TagOf<M>, narrow?: { tag: TagOf<M>; matches: Variable }): string {
  const where = narrow === undefined ? '' : ` WHERE ${condition<M>(narrow)}`;
  return `SHOW TAG VALUES FROM ${from(m)} WITH KEY = ${ident(key)}${where}`;
}
