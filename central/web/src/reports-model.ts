/**
 * The rules of the Laporan view without DOM, so Node tests can check them: which
 * period a form asks for, the report addresses, and how shares, durations, dates and
 * API failures are put into words in the page's language.
 */
import type { ApiPresenceDay, ApiRankingSort, ApiReportPeriod } from './api-types.js';
import { formatNumber, locale, t, type MessageKey } from './i18n.js';
import { viewerZone, zoneAbbr, type Severity } from './model.js';

export type PeriodKind = 'month' | 'week' | 'day';
export const PERIOD_KINDS: readonly PeriodKind[] = ['month', 'week', 'day'];

/** What the presence form holds; each kind keeps its own value, so switching back and forth loses nothing. */
export interface PeriodDraft {
  kind: PeriodKind;
  /** YYYY-MM */
  month: string;
  /** Any date of the week (YYYY-MM-DD): the report asks for its Monday. */
  week: string;
  /** YYYY-MM-DD */
  day: string;
}

/** A period the central accepts: exactly one of month=, week= (a Monday) or day=. */
export interface PeriodChoice {
  param: PeriodKind;
  value: string;
}

export const RANKING_SORTS: readonly ApiRankingSort[] = ['score', 'workdays', 'uptime', 'cameras', 'response'];

const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const DAY_MS = 86_400_000;

export function isMonth(value: string): boolean {
  return MONTH.test(value);
}

/** YYYY-MM-DD that names a real calendar day (not 2026-02-30). */
export function isCalendarDate(value: string): boolean {
  if (!DATE.test(value)) return false;
  const ms = Date.parse(`${value}T00:00:00Z`);
  return Number.isFinite(ms) && new Date(ms).toISOString().startsWith(value);
}

export function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

/** The Monday of the week `date` is in (weeks run Monday to Sunday, as the central counts them). */
export function mondayOf(date: string): string {
  const dow = new Date(`${date}T00:00:00Z`).getUTCDay(); // 0 = Sunday
  return addDays(date, -((dow + 6) % 7));
}

/** The form's first values: the month, week and day of `today` (YYYY-MM-DD). */
export function draftFor(today: string): PeriodDraft {
  return { kind: 'month', month: today.slice(0, 7), week: mondayOf(today), day: today };
}

/**
 * The period the form asks for, or what is wrong with it. Checked here so a typo is
 * named next to the field instead of coming back as the central's 400 in English.
 * A week may be given by any of its days: browsers have no portable week picker.
 */
export function periodChoice(draft: PeriodDraft): { ok: true; choice: PeriodChoice } | { ok: false; error: MessageKey } {
  if (draft.kind === 'month') {
    const month = draft.month.trim();
    return isMonth(month) ? { ok: true, choice: { param: 'month', value: month } } : { ok: false, error: 'rep.errMonth' };
  }
  const date = (draft.kind === 'week' ? draft.week : draft.day).trim();
  if (!isCalendarDate(date)) return { ok: false, error: 'rep.errDate' };
  return { ok: true, choice: { param: draft.kind, value: draft.kind === 'week' ? mondayOf(date) : date } };
}

/** The period a report answered with, as the form would ask for it again (downloads of what is shown). */
export function choiceOf(period: ApiReportPeriod): PeriodChoice {
  return { param: period.kind, value: period.kind === 'month' ? period.from.slice(0, 7) : period.from };
}

export function presencePath(opd: string, choice: PeriodChoice, extra: { format?: 'csv' | 'xlsx'; detail?: boolean } = {}): string {
  const query = new URLSearchParams({ opd, [choice.param]: choice.value });
  if (extra.format) query.set('format', extra.format);
  if (extra.detail) query.set('detail', 'true');
  return `/api/reports/presence?${query.toString()}`;
}

/** The ranking of every OPD (sort), or one OPD's performance (opd): the central refuses both at once. */
export function performancePath(month: string, target: { sort: ApiRankingSort } | { opd: string }): string {
  const query = new URLSearchParams({ month });
  if ('opd' in target) query.set('opd', target.opd);
  else query.set('sort', target.sort);
  return `/api/reports/performance?${query.toString()}`;
}

// ---------------------------------------------------------------- words and numbers

/** A share 0..1 as a percentage in the page's locale ("87,5%" / "87.5%"); "—" when there was nothing to judge. */
export function formatShare(share: number | null): string {
  if (share === null || !Number.isFinite(share)) return '—';
  return new Intl.NumberFormat(locale(), { style: 'percent', maximumFractionDigits: 1 }).format(share);
}

/**
 * A colour hint for a share. The central defines no thresholds: these only help the
 * eye down a long ranking, the number is always printed beside the colour.
 */
export function shareSeverity(share: number | null): Severity | 'none' {
  if (share === null) return 'none';
  if (share >= 0.9) return 'ok';
  if (share >= 0.7) return 'warn';
  return 'bad';
}

/** Seconds as an operator reads them: "45 dtk", "4 mnt 12 dtk", "1 jam 5 mnt"; "—" for none. */
export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '—';
  const s = Math.max(0, Math.round(seconds));
  const part = (n: number, unit: MessageKey) => `${formatNumber(n)} ${t(unit)}`;
  if (s < 60) return part(s, 'unit.seconds');
  if (s < 3600) return s % 60 ? `${part(Math.floor(s / 60), 'unit.minutes')} ${part(s % 60, 'unit.seconds')}` : part(s / 60, 'unit.minutes');
  const minutes = Math.floor((s % 3600) / 60);
  return minutes ? `${part(Math.floor(s / 3600), 'unit.hours')} ${part(minutes, 'unit.minutes')}` : part(Math.floor(s / 3600), 'unit.hours');
}

/** A calendar date (no zone: it is the OPD's day already) in the page's language. */
export function formatDate(date: string, style: 'short' | 'long' = 'long'): string {
  const ms = Date.parse(`${date}T00:00:00Z`);
  if (!Number.isFinite(ms)) return date;
  const options: Intl.DateTimeFormatOptions =
    style === 'short' ? { weekday: 'short', day: 'numeric', month: 'short' } : { day: 'numeric', month: 'long', year: 'numeric' };
  return new Intl.DateTimeFormat(locale(), { ...options, timeZone: 'UTC' }).format(ms);
}

/** "November 2026", "Minggu 23 Nov s.d. 29 Nov 2026", "Kamis, 26 November 2026" (the central's description is Indonesian only). */
export function formatPeriod(period: Pick<ApiReportPeriod, 'kind' | 'from' | 'to'>): string {
  const f = (date: string, options: Intl.DateTimeFormatOptions) => new Intl.DateTimeFormat(locale(), { ...options, timeZone: 'UTC' }).format(Date.parse(`${date}T00:00:00Z`));
  if (period.kind === 'month') return f(period.from, { month: 'long', year: 'numeric' });
  if (period.kind === 'day') return f(period.from, { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' });
  return t('rep.periodWeek', { from: f(period.from, { day: 'numeric', month: 'short' }), to: f(period.to, { day: 'numeric', month: 'short', year: 'numeric' }) });
}

/**
 * An hour boundary of a performance window with its date, in the viewer's zone:
 * "1 Nov 00.00 WIB". Always with the date: a window ends today but starts weeks ago.
 */
export function formatHour(iso: string, zone = viewerZone()): string {
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) return iso;
  const date = new Intl.DateTimeFormat(locale(), { day: 'numeric', month: 'short', timeZone: zone }).format(ms);
  const time = new Intl.DateTimeFormat(locale(), { hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone: zone }).format(ms);
  return `${date} ${time} ${zoneAbbr(zone)}`;
}

/** A wall-clock time "HH:mm:ss" in the page's style: "07.58.09" in Bahasa Indonesia, "07:58:09" in English. */
export function formatClock(hms: string | null): string {
  if (hms === null) return '—';
  return locale().startsWith('id') ? hms.replaceAll(':', '.') : hms;
}

/** What a day was for an employee, as the files say it (central/reports/export.ts dayStatus); null: nothing to say. */
export function dayStatus(day: ApiPresenceDay, onRoster: boolean): { key: MessageKey; severity: Severity | 'none' } | null {
  if (day.future) return { key: 'rep.st.future', severity: 'none' };
  if (day.kind !== 'workday') return day.punches > 0 ? { key: 'rep.st.offDay', severity: 'ok' } : { key: 'rep.st.off', severity: 'none' };
  if (day.present) return { key: 'rep.st.present', severity: day.lateMinutes > 0 || day.earlyLeaveMinutes > 0 || day.missingOut ? 'warn' : 'ok' };
  if (day.absent) return { key: 'rep.st.absent', severity: 'bad' };
  return onRoster ? { key: 'rep.st.notYet', severity: 'warn' } : null;
}

/**
 * The sentence for a failed report request. The central's own text (English, naming
 * the parameter, the OPD or the InfluxDB server) goes into {error}; the sentence
 * around it says what it means and what to do.
 */
export function reportErrorKey(status: number, timedOut: boolean): MessageKey {
  if (timedOut) return 'rep.err.timeout';
  switch (status) {
    case 0:
      return 'rep.err.network';
    case 400:
      return 'rep.err.400';
    case 403:
      return 'rep.err.403';
    case 404:
      return 'rep.err.404';
    case 500:
      return 'rep.err.500';
    case 502:
      return 'rep.err.502';
    case 503:
      return 'rep.err.503';
    default:
      return 'rep.err.other';
  }
}
