import type { IPoint } from 'influx';
import { DateTime } from 'luxon';
import { z } from 'zod';
import { OpdCode } from './complaint.js';

/**
 * A dataset another OPD system pushes into the command room (air quality, river level,
 * market prices...): its registration, the row schema built from it, and rows to
 * InfluxDB points. Pure: no I/O; the clock and the OPD's time zone are passed in.
 *
 * Storage: one measurement per dataset, `dataset_{slug}`, tagged opd and dataset.
 * One measurement per dataset because InfluxDB fixes a field's type per measurement: two
 * systems both sending a field "value", one as text and one as a number, would otherwise
 * refuse each other's writes.
 */

export const FIELD_TYPES = ['number', 'integer', 'string', 'boolean'] as const;
export type FieldType = (typeof FIELD_TYPES)[number];

/** Column names that mean the row's time, in CSV headers (case does not matter). */
export const TIME_COLUMNS: readonly string[] = ['time', 'waktu', 'timestamp'];
const RESERVED: ReadonlySet<string> = new Set([...TIME_COLUMNS, 'opd', 'dataset']);

export const MAX_ROWS_PER_PUSH = 10_000;
export const MAX_TEXT_CHARS = 1000;
/** Devices with a wrong clock send the future; a spreadsheet with an empty date cell sends 1900. */
export const MAX_FUTURE_MS = 3600_000;
export const MIN_TIME_MS = Date.UTC(2000, 0, 1);

export const Slug = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,47}$/, 'a slug: lower-case letters, digits, "_" or "-" (max 48), e.g. "kualitas-udara"');

export const DatasetField = z
  .strictObject({
    name: z
      .string()
      .regex(/^[a-z][a-z0-9_]{0,62}$/, 'a field name: lower-case letter first, then letters, digits or "_" (max 63)')
      .refine((n) => !RESERVED.has(n), { message: `reserved: ${[...RESERVED].join(', ')} are not field names` }),
    type: z.enum(FIELD_TYPES),
    unit: z.string().trim().min(1).max(32).optional().describe('shown next to the value, e.g. "µg/m³", "cm", "Rp"'),
    label: z.string().trim().min(1).max(100).optional().describe('what the wall tile shows instead of the name'),
    optional: z.boolean().default(false).describe('true: rows may leave it out'),
    min: z.number().optional().describe('number and integer fields: smaller values are rejected'),
    max: z.number().optional().describe('number and integer fields: larger values are rejected'),
  })
  .refine((f) => (f.min === undefined && f.max === undefined) || f.type === 'number' || f.type === 'integer', { message: 'min and max are for number and integer fields', path: ['min'] })
  .refine((f) => f.min === undefined || f.max === undefined || f.min <= f.max, { message: 'min is larger than max', path: ['max'] });
export type DatasetField = z.output<typeof DatasetField>;

/** What an admin registers (POST /api/datasets). The fields of a registration do not change later. */
export const DatasetRegistration = z
  .strictObject({
    slug: Slug,
    name: z.string().trim().min(1).max(200),
    opd: OpdCode.describe('the OPD whose system pushes the rows'),
    fields: z.array(DatasetField).min(1).max(50),
    staleAfterS: z.number().int().min(10).max(366 * 86400).optional().describe('no new row for this long: the dataset is shown as stale'),
  })
  .superRefine((r, ctx) => {
    const seen = new Set<string>();
    r.fields.forEach((f, i) => {
      if (seen.has(f.name)) ctx.addIssue({ code: 'custom', path: ['fields', i, 'name'], message: `field ${f.name} is listed twice` });
      seen.add(f.name);
    });
  });
export type DatasetRegistration = z.output<typeof DatasetRegistration>;

export type FieldValue = number | string | boolean;

export interface ValidRow {
  /** Where the row was: JSON array index or CSV line (both from 1). */
  at: number;
  timeMs: number | null;
  values: Record<string, FieldValue>;
}

/** `row`: position in a JSON array (from 1); `line`: line of a CSV file (1 = the header). */
export interface RowError {
  row?: number;
  line?: number;
  field: string | null;
  message: string;
}

export interface RowCheck {
  rows: ValidRow[];
  /** How many rows were refused (a row may have several errors). */
  rejected: number;
  errors: RowError[];
}

const NUMERIC = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
const TRUE_WORDS: ReadonlySet<string> = new Set(['true', '1', 'yes', 'ya', 'y']);
const FALSE_WORDS: ReadonlySet<string> = new Set(['false', '0', 'no', 'tidak', 'n']);

const blankToUndefined = (v: unknown): unknown => (v === null || (typeof v === 'string' && v.trim() === '') ? undefined : v);
const numberFromText = (v: unknown): unknown => (typeof v === 'string' && NUMERIC.test(v.trim()) ? Number(v.trim()) : v);
const booleanFromText = (v: unknown): unknown => {
  if (typeof v !== 'string') return v;
  const w = v.trim().toLowerCase();
  return TRUE_WORDS.has(w) ? true : FALSE_WORDS.has(w) ? false : v;
};

/** Zod's message for a missing value, or the expectation for a wrong one. */
const expecting = (what: string) => ({ error: (issue: { input?: unknown }) => (issue.input === undefined ? 'missing: this field is required' : `expected ${what}`) });

function bounded(n: z.ZodNumber, f: DatasetField): z.ZodNumber {
  const unit = f.unit !== undefined ? ` ${f.unit}` : '';
  let b = n;
  if (f.min !== undefined) b = b.min(f.min, `below the minimum ${f.min}${unit}`);
  if (f.max !== undefined) b = b.max(f.max, `above the maximum ${f.max}${unit}`);
  return b;
}

function valueSchema(f: DatasetField): z.ZodType<FieldValue | undefined> {
  let inner: z.ZodType<FieldValue>;
  switch (f.type) {
    case 'number':
      inner = z.preprocess(numberFromText, bounded(z.number(expecting('a number, e.g. 12.5')), f));
      break;
    case 'integer':
      inner = z.preprocess(numberFromText, bounded(z.number(expecting('a whole number, e.g. 12')).int('expected a whole number, e.g. 12').refine(Number.isSafeInteger, 'too large for a whole number'), f));
      break;
    case 'boolean':
      inner = z.preprocess(booleanFromText, z.boolean(expecting('true or false (also 1/0, yes/no, ya/tidak)')));
      break;
    case 'string':
      inner = z.string(expecting('text')).max(MAX_TEXT_CHARS, `at most ${MAX_TEXT_CHARS} characters`);
      break;
  }
  return z.preprocess(blankToUndefined, f.optional ? inner.optional() : inner);
}

/**
 * A row's time: ISO 8601 with an offset (2026-11-03T08:00:00+08:00, ...Z), or a local
 * time as spreadsheets write it (2026-11-03 08:00, 2026-11-03) read in `zone`, the OPD's.
 */
export function parseRowTime(text: string, zone: string, nowMs: number): { ms: number } | { error: string } {
  const t = DateTime.fromISO(text.trim().replace(/^(\d{4}-\d{2}-\d{2}) (?=\d)/, '$1T'), { zone });
  if (!t.isValid) return { error: `not a time: "${text}"; write 2026-11-03T08:00:00+08:00, or 2026-11-03 08:00 for the OPD's local time` };
  const ms = t.toMillis();
  if (ms > nowMs + MAX_FUTURE_MS) return { error: `${t.toUTC().toISO()} is in the future: check the sending system's clock` };
  if (ms < MIN_TIME_MS) return { error: `${t.toUTC().toISO()} is before the year 2000: an empty or mistyped date?` };
  return { ms };
}

/** The zod schema of one row of a dataset: its fields, and an optional `time`. */
export function rowSchema(reg: Pick<DatasetRegistration, 'fields'>, options: { zone: string; nowMs: number }): z.ZodType<Omit<ValidRow, 'at'>> {
  const shape: Record<string, z.ZodType> = {};
  for (const f of reg.fields) shape[f.name] = valueSchema(f);
  shape.time = z.preprocess(
    blankToUndefined,
    z
      .string('expected a time as text, e.g. "2026-11-03T08:00:00+08:00"')
      .transform((s, ctx) => {
        const t = parseRowTime(s, options.zone, options.nowMs);
        if ('ms' in t) return t.ms;
        ctx.addIssue({ code: 'custom', message: t.error });
        return z.NEVER;
      })
      .optional(),
  );
  return z
    .strictObject(shape, { error: 'a row is an object of field values, e.g. {"pm25": 12.5}' })
    .transform((parsed, ctx) => {
      const { time, ...rest } = parsed as Record<string, FieldValue | undefined> & { time?: number };
      const values = Object.fromEntries(Object.entries(rest).filter((e): e is [string, FieldValue] => e[1] !== undefined));
      if (Object.keys(values).length === 0) {
        ctx.addIssue({ code: 'custom', message: 'the row has no field values' });
        return z.NEVER;
      }
      return { timeMs: time ?? null, values };
    });
}

/** Zod issues of one row as row errors, one per field (unknown fields named one by one). */
export function issuesToErrors(issues: readonly z.core.$ZodIssue[], where: { row: number } | { line: number }, known: readonly string[]): RowError[] {
  return issues.flatMap((issue): RowError[] => {
    if (issue.code === 'unrecognized_keys') return issue.keys.map((key) => ({ ...where, field: key, message: `unknown field; this dataset has ${known.join(', ')} (and time)` }));
    const field = issue.path[0];
    return [{ ...where, field: typeof field === 'string' ? field : null, message: issue.message }];
  });
}

/** Rows sent as JSON: an array of row objects, or {"rows": [...]}. */
export function checkJsonRows(reg: Pick<DatasetRegistration, 'fields'>, payload: unknown, options: { zone: string; nowMs: number }): RowCheck | { error: string } {
  const list = Array.isArray(payload) ? payload : typeof payload === 'object' && payload !== null && Array.isArray((payload as { rows?: unknown }).rows) ? (payload as { rows: unknown[] }).rows : undefined;
  if (list === undefined) return { error: 'send a JSON array of rows, or {"rows": [...]}, e.g. [{"time": "2026-11-03T08:00:00+08:00", "pm25": 12.5}]' };
  if (list.length > MAX_ROWS_PER_PUSH) return { error: `${list.length} rows: at most ${MAX_ROWS_PER_PUSH} per request; split them` };
  const schema = rowSchema(reg, options);
  const known = reg.fields.map((f) => f.name);
  const out: RowCheck = { rows: [], rejected: 0, errors: [] };
  list.forEach((row, i) => {
    const parsed = schema.safeParse(row);
    if (parsed.success) out.rows.push({ at: i + 1, ...parsed.data });
    else {
      out.rejected++;
      out.errors.push(...issuesToErrors(parsed.error.issues, { row: i + 1 }, known));
    }
  });
  return out;
}

export const measurementOf = (slug: string): string => `dataset_${slug}`;

/**
 * Rows to points. A row without a time gets `receivedMs`, plus its position in
 * nanoseconds, so rows of one push never overwrite each other; rows with the same
 * explicit time do (the same series at the same instant: a resend replaces itself).
 */
export function rowsToPoints(reg: Pick<DatasetRegistration, 'slug' | 'opd'>, rows: readonly ValidRow[], receivedMs: number): IPoint[] {
  return rows.map((r, i) => ({
    measurement: measurementOf(reg.slug),
    tags: { opd: reg.opd, dataset: reg.slug },
    // Integers go as InfluxDB floats, like every other number this central writes: exact up to 2^53.
    fields: r.values,
    timestamp: r.timeMs !== null ? (BigInt(r.timeMs) * 1_000_000n).toString() : (BigInt(receivedMs) * 1_000_000n + BigInt(i)).toString(),
  }));
}
