import { parse } from 'csv-parse/sync';
import { z } from 'zod';
import type { Employee } from '../registry.js';

/** One roster row; the same rules as the registry seed's `employees`. */
export const RosterRow = z.strictObject({
  pin: z.string().trim().regex(/^[A-Za-z0-9_-]{1,32}$/, 'pin: 1-32 letters, digits, "_" or "-" (the user id on the terminal)'),
  nip: z
    .string()
    .trim()
    .regex(/^[0-9A-Za-z.-]{1,32}$/, 'nip: up to 32 digits, letters, "." or "-"')
    .nullable(),
  name: z.string().trim().min(1, 'name is empty').max(200, 'name: at most 200 characters'),
});

export interface RowError {
  /** Line in the file, 1 = the header. */
  line: number;
  message: string;
}

/** Column names as exported by spreadsheets and attendance software, Indonesian or English. */
const ALIASES: Record<string, 'pin' | 'nip' | 'name'> = {
  pin: 'pin',
  id: 'pin',
  user_id: 'pin',
  userid: 'pin',
  'no. id': 'pin',
  nip: 'nip',
  name: 'name',
  nama: 'name',
};

/**
 * A roster CSV (comma or semicolon, header row, UTF-8 with or without BOM) into valid
 * rows and row-level errors: a bad row never stops the good ones.
 */
export function parseRosterCsv(text: string): { rows: Employee[]; errors: RowError[] } {
  const firstLine = text.replace(/^\uFEFF/, '').split(/\r?\n/, 1)[0] ?? '';
  // Indonesian-locale spreadsheets export with ";" because "," is the decimal mark.
  const delimiter = (firstLine.match(/;/g) ?? []).length > (firstLine.match(/,/g) ?? []).length ? ';' : ',';
  let records: string[][];
  try {
    records = parse(text, { bom: true, delimiter, skip_empty_lines: true, relax_column_count: true, trim: true }) as string[][];
  } catch (err) {
    return { rows: [], errors: [{ line: (err as { lines?: number }).lines ?? 0, message: `not readable as CSV: ${(err as Error).message}` }] };
  }
  const header = records[0];
  if (!header) return { rows: [], errors: [{ line: 1, message: 'the file is empty' }] };
  const columns = header.map((h) => ALIASES[h.trim().toLowerCase()]);
  const missing = (['pin', 'name'] as const).filter((c) => !columns.includes(c));
  if (missing.length > 0) {
    return { rows: [], errors: [{ line: 1, message: `the header needs columns ${missing.join(' and ')} (found: ${header.join(', ')}); accepted names: pin/id/user_id, nip, name/nama` }] };
  }
  const rows: Employee[] = [];
  const errors: RowError[] = [];
  const seen = new Map<string, number>();
  records.slice(1).forEach((record, i) => {
    const line = i + 2;
    const value = (c: 'pin' | 'nip' | 'name') => {
      const at = columns.indexOf(c);
      return at >= 0 ? (record[at] ?? '') : '';
    };
    const nip = value('nip');
    const parsed = RosterRow.safeParse({ pin: value('pin'), nip: nip === '' ? null : nip, name: value('name') });
    if (!parsed.success) {
      errors.push({ line, message: parsed.error.issues.map((issue) => issue.message).join('; ') });
      return;
    }
    const earlier = seen.get(parsed.data.pin);
    if (earlier !== undefined) {
      errors.push({ line, message: `pin ${parsed.data.pin} already on line ${earlier}; the first one is kept` });
      return;
    }
    seen.set(parsed.data.pin, line);
    rows.push(parsed.data);
  });
  return { rows, errors };
}
