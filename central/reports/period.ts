import { DateTime } from 'luxon';
import { weekdayOf } from './schedule.js';

/** A report period: whole calendar days in the OPD's zone, `from` and `to` included. */
export interface Period {
  kind: 'day' | 'week' | 'month';
  from: string;
  to: string;
  /** For file names and headers: "2026-11", "2026-W48 (2026-11-23..2026-11-29)", "2026-11-26". */
  label: string;
}

export class PeriodError extends Error {
  override name = 'PeriodError';
}

const MONTHS_ID = ['Januari', 'Februari', 'Maret', 'April', 'Mei', 'Juni', 'Juli', 'Agustus', 'September', 'Oktober', 'November', 'Desember'];

function checkDate(value: string, option: string): DateTime {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) throw new PeriodError(`${option} ${value}: expected a date YYYY-MM-DD`);
  const d = DateTime.fromISO(value, { zone: 'UTC' });
  if (!d.isValid) throw new PeriodError(`${option} ${value}: not a calendar date`);
  return d;
}

/** `option` names the parameter in error messages: "--day" for the CLI, "day" for the API. */
export function dayPeriod(date: string, option = '--day'): Period {
  checkDate(date, option);
  return { kind: 'day', from: date, to: date, label: date };
}

/** A week runs Monday to Sunday; `monday` must be the Monday it starts on. */
export function weekPeriod(monday: string, option = '--week'): Period {
  const d = checkDate(monday, option);
  if (weekdayOf(monday) !== 'mon') {
    const start = d.minus({ days: d.weekday - 1 }).toISODate();
    throw new PeriodError(`${option} ${monday}: a week starts on a Monday; ${monday} is a ${d.setLocale('en').weekdayLong}, its week starts on ${start}`);
  }
  const to = d.plus({ days: 6 }).toISODate() ?? monday;
  return { kind: 'week', from: monday, to, label: `${d.weekYear}-W${String(d.weekNumber).padStart(2, '0')}` };
}

export function monthPeriod(month: string, option = '--month'): Period {
  const m = /^(\d{4})-(\d{2})$/.exec(month);
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 12) throw new PeriodError(`${option} ${month}: expected a month YYYY-MM, e.g. 2026-11`);
  const first = DateTime.fromObject({ year: Number(m[1]), month: Number(m[2]), day: 1 }, { zone: 'UTC' });
  return { kind: 'month', from: first.toISODate() ?? month, to: first.endOf('month').toISODate() ?? month, label: month };
}

/** Every date of the period, in order. */
export function periodDates(period: Period): string[] {
  const out: string[] = [];
  for (let d = DateTime.fromISO(period.from, { zone: 'UTC' }); (d.toISODate() ?? '') <= period.to; d = d.plus({ days: 1 })) out.push(d.toISODate() ?? '');
  return out;
}

/** The UTC instants where the period starts and ends in `zone` (end exclusive). */
export function periodUtcRange(period: Period, zone: string): { start: Date; end: Date } {
  const start = DateTime.fromISO(period.from, { zone }).startOf('day');
  const end = DateTime.fromISO(period.to, { zone }).plus({ days: 1 }).startOf('day');
  return { start: start.toJSDate(), end: end.toJSDate() };
}

/** For report headers: "November 2026 (2026-11-01 s.d. 2026-11-30)", "2026-W48: Senin 23 November 2026 s.d. Minggu 29 November 2026", "Kamis, 26 November 2026". */
export function describePeriod(period: Period): string {
  const fmt = (iso: string): string => {
    const d = DateTime.fromISO(iso, { zone: 'UTC' });
    return `${d.day} ${MONTHS_ID[d.month - 1] ?? ''} ${d.year}`;
  };
  const dayName = (iso: string): string => DAY_NAMES_ID[weekdayOf(iso)] ?? '';
  if (period.kind === 'month') return `${fmt(period.from).replace(/^1 /, '')} (${period.from} s.d. ${period.to})`;
  if (period.kind === 'day') return `${dayName(period.from)}, ${fmt(period.from)}`;
  return `${period.label}: ${dayName(period.from)} ${fmt(period.from)} s.d. ${dayName(period.to)} ${fmt(period.to)}`;
}

export const DAY_NAMES_ID: Record<string, string> = { mon: 'Senin', tue: 'Selasa', wed: 'Rabu', thu: 'Kamis', fri: 'Jumat', sat: 'Sabtu', sun: 'Minggu' };
