import { z } from 'zod';
import { DateTime } from 'luxon';
import { ProtocolError } from '../errors.js';

/**
 * Codec for terminals that print one punch per line (serial printers, locally built
 * terminals). The layout varies per product, so it is described in config rather than
 * in code: which field sits where, the separator and the time format.
 */
export const LINE_FIELDS = ['employee', 'time', 'date', 'clock', 'status', 'verify', 'workcode', 'ignore'] as const;

export const LineFormat = z
  .strictObject({
    separator: z.string().min(1).max(8).default(',').describe('text between fields, e.g. "," or "\\t" or ";"'),
    fields: z
      .array(z.enum(LINE_FIELDS))
      .min(2)
      .max(32)
      .default(['employee', 'time', 'status'])
      .describe('field order; "time" is date and time in one field, or use "date" and "clock" for two fields; "ignore" skips a field'),
    timeFormat: z
      .string()
      .min(2)
      .max(64)
      .default('yyyy-MM-dd HH:mm:ss')
      .describe('Luxon format tokens of the time (date and clock joined by one space when separate)'),
    maxLineLength: z.number().int().min(16).max(4096).default(256).describe('longer lines are refused as garbage'),
  })
  .superRefine((fmt, ctx) => {
    const has = (f: (typeof LINE_FIELDS)[number]) => fmt.fields.includes(f);
    const once = (f: (typeof LINE_FIELDS)[number]) => fmt.fields.filter((x) => x === f).length <= 1;
    if (!has('employee')) ctx.addIssue({ code: 'custom', path: ['fields'], message: 'must contain "employee"' });
    if (has('time') === (has('date') || has('clock')) || has('date') !== has('clock')) {
      ctx.addIssue({ code: 'custom', path: ['fields'], message: 'must contain either "time", or both "date" and "clock"' });
    }
    for (const f of LINE_FIELDS) {
      if (f !== 'ignore' && !once(f)) ctx.addIssue({ code: 'custom', path: ['fields'], message: `"${f}" appears more than once` });
    }
  });
export type LineFormat = z.infer<typeof LineFormat>;

export class LineFrameError extends ProtocolError {
  constructor(message: string, where: string) {
    super(message, where, 'line-terminal');
  }
}

export interface LinePunch {
  employee: string;
  /** Wall-clock time as printed, `YYYY-MM-DDTHH:mm:ss`, no zone. */
  deviceTime: string;
  status?: string;
  verify?: string;
  workcode?: string;
}

const EMPLOYEE = /^[A-Za-z0-9_-]{1,32}$/;
const SHORT_TEXT = /^[\x21-\x7e]{1,16}$/;

/** Decodes one line (without its line ending). Throws LineFrameError naming the field. */
export function decodeLine(line: string, format: LineFormat): LinePunch {
  if (line.length > format.maxLineLength) {
    throw new LineFrameError(`line is ${line.length} characters, over the ${format.maxLineLength} limit`, 'whole line');
  }
  const parts = line.split(format.separator).map((p) => p.trim());
  if (parts.length < format.fields.length) {
    throw new LineFrameError(
      `expected ${format.fields.length} fields separated by ${JSON.stringify(format.separator)}, got ${parts.length}`,
      'whole line',
    );
  }
  const value: Partial<Record<(typeof LINE_FIELDS)[number], string>> = {};
  format.fields.forEach((field, i) => {
    if (field !== 'ignore') value[field] = parts[i] ?? '';
  });
  const where = (f: (typeof LINE_FIELDS)[number]) => `field ${format.fields.indexOf(f) + 1} (${f})`;

  const employee = value.employee ?? '';
  if (!EMPLOYEE.test(employee)) {
    throw new LineFrameError(`employee id ${JSON.stringify(employee)} must be 1-32 letters, digits, "_" or "-"`, where('employee'));
  }
  const timeText = value.time ?? `${value.date ?? ''} ${value.clock ?? ''}`;
  // Parsed in UTC only to read the wall-clock digits: the terminal has no zone.
  const parsed = DateTime.fromFormat(timeText, format.timeFormat, { zone: 'UTC' });
  if (!parsed.isValid) {
    throw new LineFrameError(
      `time ${JSON.stringify(timeText)} does not match format "${format.timeFormat}" (${parsed.invalidExplanation ?? parsed.invalidReason ?? 'invalid'})`,
      value.time !== undefined ? where('time') : `${where('date')} + ${where('clock')}`,
    );
  }
  const punch: LinePunch = { employee, deviceTime: parsed.toFormat("yyyy-MM-dd'T'HH:mm:ss") };
  for (const f of ['status', 'verify', 'workcode'] as const) {
    const text = value[f];
    if (text === undefined || text === '') continue;
    if (!SHORT_TEXT.test(text)) throw new LineFrameError(`${f} ${JSON.stringify(text)} must be 1-16 printable characters`, where(f));
    punch[f] = text;
  }
  return punch;
}

/** Encodes a punch the way a terminal with this format prints it (used by the simulator and tests). */
export function encodeLine(punch: LinePunch, format: LineFormat): string {
  const wall = DateTime.fromISO(punch.deviceTime, { zone: 'UTC' });
  const joined = wall.toFormat(format.timeFormat);
  const [datePart, ...clockParts] = joined.split(' ');
  return format.fields
    .map((field) => {
      switch (field) {
        case 'employee':
          return punch.employee;
        case 'time':
          return joined;
        case 'date':
          return datePart ?? '';
        case 'clock':
          return clockParts.join(' ');
        case 'ignore':
          return '';
        default:
          return punch[field] ?? '';
      }
    })
    .join(format.separator);
}
