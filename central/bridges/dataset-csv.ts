import { parse } from 'csv-parse/sync';
import { issuesToErrors, MAX_ROWS_PER_PUSH, rowSchema, TIME_COLUMNS, type DatasetRegistration, type RowCheck, type RowError } from './dataset.js';

/**
 * Rows of a dataset from CSV, as spreadsheets export it: a header row of field names
 * (plus an optional time/waktu/timestamp column), comma, semicolon or tab separated,
 * UTF-8 with or without a byte-order mark. Empty cells are missing values.
 *
 * In semicolon files a number may use a decimal comma ("12,5"): Indonesian-locale
 * spreadsheets separate with ";" precisely because "," is their decimal mark. Thousands
 * separators are not read ("1.234" is one point two three four): format cells as plain
 * numbers before exporting.
 */

const DELIMITERS = [',', ';', '\t'] as const;

/** The delimiter used most in the header line, outside quotes. */
export function detectDelimiter(text: string): string {
  const header = (text.replace(/^\uFEFF/, '').split(/\r?\n/, 1)[0] ?? '').replace(/"[^"]*"/g, '');
  let best: string = ',';
  let most = 0;
  for (const d of DELIMITERS) {
    const n = header.split(d).length - 1;
    if (n > most) [best, most] = [d, n];
  }
  return best;
}

interface CsvRecord {
  record: string[];
  info: { lines: number };
}

export function checkCsvRows(reg: Pick<DatasetRegistration, 'fields'>, text: string, options: { zone: string; nowMs: number }): RowCheck | { error: string } {
  const delimiter = detectDelimiter(text);
  let records: CsvRecord[];
  try {
    records = parse(text, { bom: true, delimiter, skip_empty_lines: true, relax_column_count: true, trim: true, info: true }) as unknown as CsvRecord[];
  } catch (err) {
    return { error: `not readable as CSV: ${(err as Error).message}` };
  }
  const header = records[0];
  if (!header) return { error: 'the file is empty: the first line names the fields' };
  const known = reg.fields.map((f) => f.name);
  const columns: string[] = [];
  const headerErrors: RowError[] = [];
  header.record.forEach((cell) => {
    const name = cell.trim().toLowerCase();
    const column = TIME_COLUMNS.includes(name) ? 'time' : name;
    if (column === '') headerErrors.push({ line: 1, field: null, message: `column ${columns.length + 1} has no name` });
    else if (column !== 'time' && !known.includes(column)) headerErrors.push({ line: 1, field: cell, message: `unknown column; this dataset has ${known.join(', ')} (and time)` });
    else if (columns.includes(column)) headerErrors.push({ line: 1, field: cell, message: 'the column appears twice' });
    columns.push(column);
  });
  // A bad header would fail every row the same way: say it once.
  if (headerErrors.length > 0) return { rows: [], rejected: records.length - 1, errors: headerErrors };
  if (records.length - 1 > MAX_ROWS_PER_PUSH) return { error: `${records.length - 1} rows: at most ${MAX_ROWS_PER_PUSH} per request; split the file` };

  const numberColumns = new Set(reg.fields.filter((f) => f.type === 'number').map((f) => f.name));
  const schema = rowSchema(reg, options);
  const out: RowCheck = { rows: [], rejected: 0, errors: [] };
  for (const { record, info } of records.slice(1)) {
    const line = info.lines;
    if (record.length > columns.length) {
      out.rejected++;
      out.errors.push({ line, field: null, message: `${record.length} cells, the header has ${columns.length} columns` });
      continue;
    }
    const row: { [field: string]: string } = {};
    columns.forEach((column, i) => {
      const cell = record[i] ?? '';
      row[column] = delimiter === ';' && numberColumns.has(column) && /^[+-]?\d+,\d+$/.test(cell) ? cell.replace(',', '.') : cell;
    });
    const parsed = schema.safeParse(row);
    if (parsed.success) out.rows.push({ at: line, ...parsed.data });
    else {
      out.rejected++;
      out.errors.push(...issuesToErrors(parsed.error.issues, { line }, known));
    }
  }
  return out;
}
