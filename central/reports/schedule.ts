import { z } from 'zod';
import { loadConfigFile, type LoadedConfig } from '../../protocols/config-file.js';

/**
 * Work schedules and holidays for the presence reports. All times are the OPD's local
 * wall clock in its IANA zone (the registry's `zone`). A schedule is an optional
 * `schedule:` key on each OPD entry of the registry seed; holidays come from a yearly
 * file the administrator supplies (firmware-config/examples/holidays-2026.yaml).
 * This module imports nothing from central/config.ts, so config.ts can import WorkSchedule.
 */

const HHMM = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time "HH:mm" (24 h), e.g. "07:30"');
const IsoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'a date "YYYY-MM-DD"')
  .refine((d) => !Number.isNaN(Date.parse(`${d}T00:00:00Z`)) && new Date(`${d}T00:00:00Z`).toISOString().startsWith(d), 'not a calendar date');

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export function minutesOf(hhmm: string): number {
  return Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
}

const endAfterStart = (h: { start: string; end: string }): boolean => minutesOf(h.end) > minutesOf(h.start);
const endAfterStartMsg = { message: '"end" must be later than "start" (same day)', path: ['end'] };

/** Working hours of one day: check-in expected by `start`, check-out not before `end`. */
export const Hours = z.strictObject({ start: HHMM, end: HHMM }).refine(endAfterStart, endAfterStartMsg);
export type Hours = z.infer<typeof Hours>;

/** Dated hours, e.g. Ramadan: replaces start/end (and Friday hours) from `from` to `to`, both included. */
export const ScheduleOverride = z
  .strictObject({
    name: z.string().max(100).optional().describe('e.g. "Ramadan 1447 H"'),
    from: IsoDate,
    to: IsoDate,
    start: HHMM,
    end: HHMM,
    friday: Hours.optional().describe('Friday hours in this range; default: start/end above'),
    graceMinutes: z.number().int().min(0).max(240).optional().describe('default: the schedule\'s graceMinutes'),
  })
  .refine(endAfterStart, endAfterStartMsg)
  .refine((o) => o.to >= o.from, { message: '"to" must not be before "from"', path: ['to'] });
export type ScheduleOverride = z.infer<typeof ScheduleOverride>;

export const WorkSchedule = z
  .strictObject({
    start: HHMM.default('07:30').describe('check-in time'),
    end: HHMM.default('16:00').describe('check-out time'),
    friday: Hours.optional().describe('Friday hours, e.g. 07:30-11:30; default: start/end'),
    graceMinutes: z.number().int().min(0).max(240).default(0).describe('late only after start + grace; lateness is then counted from start'),
    workDays: z.array(z.enum(WEEKDAYS)).min(1).default(['mon', 'tue', 'wed', 'thu', 'fri']).describe('mon..sun'),
    overrides: z.array(ScheduleOverride).default([]).describe('dated hours (Ramadan); ranges must not overlap'),
  })
  .refine(endAfterStart, endAfterStartMsg)
  .superRefine((s, ctx) => {
    const sorted = s.overrides.map((o, i) => ({ o, i })).sort((a, b) => a.o.from.localeCompare(b.o.from));
    for (let k = 1; k < sorted.length; k++) {
      const prev = sorted[k - 1];
      const cur = sorted[k];
      if (prev && cur && cur.o.from <= prev.o.to) {
        ctx.addIssue({ code: 'custom', path: ['overrides', cur.i, 'from'], message: `overlaps overrides[${prev.i}] (${prev.o.from}..${prev.o.to})` });
      }
    }
  })
  .describe('working hours of the OPD, local wall clock in its zone');
export type WorkSchedule = z.infer<typeof WorkSchedule>;

/** The schedule of an OPD without a `schedule:` key: Mon-Fri 07:30-16:00, no grace. */
export const DEFAULT_SCHEDULE: WorkSchedule = WorkSchedule.parse({});

export const Holiday = z.strictObject({
  date: IsoDate,
  name: z.string().min(1).max(200),
  kind: z.enum(['libur-nasional', 'cuti-bersama']).default('libur-nasional').describe('cuti bersama counts as a day off too'),
  note: z.string().max(500).optional(),
});
export type Holiday = z.infer<typeof Holiday>;

/** The yearly holidays file: national holidays and collective leave (cuti bersama). */
export const HolidayFile = z.strictObject({
  year: z.number().int().min(2000).max(2100).optional(),
  source: z.string().max(500).optional().describe('the decree the dates come from'),
  holidays: z.array(Holiday).default([]),
}).superRefine((f, ctx) => {
  if (f.year === undefined) return;
  f.holidays.forEach((h, i) => {
    if (!h.date.startsWith(`${f.year}-`)) ctx.addIssue({ code: 'custom', path: ['holidays', i, 'date'], message: `not in year ${f.year}` });
  });
});
export type HolidayFile = z.infer<typeof HolidayFile>;

export function loadHolidayFile(file: string): LoadedConfig<HolidayFile> {
  return loadConfigFile(HolidayFile, file);
}

/** What one calendar date expects of the OPD's employees. */
export interface DayPlan {
  date: string;
  weekday: Weekday;
  kind: 'workday' | 'weekend' | 'holiday';
  holiday?: string;
  /** Minutes after local midnight; set for workdays. */
  start?: number;
  end?: number;
  grace?: number;
  /** Name (or range) of the override that set the hours, if any. */
  override?: string;
}

export function weekdayOf(date: string): Weekday {
  const dow = new Date(`${date}T00:00:00Z`).getUTCDay(); // 0 = Sunday
  return WEEKDAYS[(dow + 6) % 7] ?? 'mon';
}

export function planDay(date: string, schedule: WorkSchedule, holidays: ReadonlyMap<string, string>): DayPlan {
  const weekday = weekdayOf(date);
  const holiday = holidays.get(date);
  if (holiday !== undefined) return { date, weekday, kind: 'holiday', holiday };
  if (!schedule.workDays.includes(weekday)) return { date, weekday, kind: 'weekend' };
  const o = schedule.overrides.find((x) => x.from <= date && date <= x.to);
  const base = o ?? schedule;
  const hours = weekday === 'fri' ? (base.friday ?? base) : base;
  return {
    date,
    weekday,
    kind: 'workday',
    start: minutesOf(hours.start),
    end: minutesOf(hours.end),
    grace: o?.graceMinutes ?? schedule.graceMinutes,
    ...(o && { override: o.name ?? `${o.from}..${o.to}` }),
  };
}

/** date -> name; two entries on one date are joined. */
export function holidayMap(holidays: readonly Holiday[]): Map<string, string> {
  const map = new Map<string, string>();
  for (const h of holidays) {
    const label = h.kind === 'cuti-bersama' ? `Cuti bersama: ${h.name}` : h.name;
    const prev = map.get(h.date);
    map.set(h.date, prev === undefined ? label : `${prev}; ${label}`);
  }
  return map;
}
