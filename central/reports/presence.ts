import { DateTime } from 'luxon';
import { holidayMap, planDay, type DayPlan, type Holiday, type WorkSchedule } from './schedule.js';
import { periodDates, type Period } from './period.js';

/**
 * Presence computation: pure, no I/O. Rules (docs/reports.md):
 * - a punch belongs to the local date of its terminal wall clock (`device_time`),
 *   converted to the OPD's zone when the terminal's zone differs;
 * - in = first punch of the day, out = last (when there are two or more), unless the
 *   terminal marked them: "0"/"in" is a check-in, "1"/"out" a check-out; then in is
 *   the first check-in (or the first unmarked punch), out the last check-out;
 * - on a workday (a schedule work day that is not a holiday): present when punched,
 *   absent when not; late when in > start + grace (minutes counted from start); early
 *   leave when out < end; missing out when there is an in but no out;
 * - days after today are not counted; today counts absence and a missing out only after its end time;
 * - punches of user ids not on the roster are reported, flagged, outside the OPD totals.
 */

export interface PunchRow {
  employee: string;
  /** Terminal wall clock, 'YYYY-MM-DDTHH:mm:ss'. */
  deviceTime: string;
  /** IANA zone of the terminal. */
  zone: string;
  status: string;
  /** Whether the user id was on the roster when the punch was stored. */
  known?: boolean;
  nip?: string | null;
  terminal?: string;
}

export interface RosterEntry {
  pin: string;
  nip?: string | null | undefined;
  name: string;
}

export interface PresenceInput {
  opd: { code: string; name: string; zone: string };
  roster: readonly RosterEntry[];
  schedule: WorkSchedule;
  holidays: readonly Holiday[];
  period: Period;
  punches: readonly PunchRow[];
  /** Default: the current time. */
  now?: Date;
  /** Finds a flagged employee's NIP on another OPD's roster (moved employees). */
  lookupNip?: (nip: string) => { name: string; opd: string } | undefined;
}

export type Mark = 'in' | 'out' | null;

/** What the terminal says a punch is: ZK state 0 / 1, or words. Anything else (break, overtime, '') is unmarked. */
export function statusMark(status: string): Mark {
  const s = status.trim().toLowerCase();
  if (s === '0' || s === 'in' || s === 'i' || s === 'check-in' || s === 'checkin' || s === 'masuk') return 'in';
  if (s === '1' || s === 'out' || s === 'o' || s === 'check-out' || s === 'checkout' || s === 'pulang') return 'out';
  return null;
}

export interface DayRecord {
  date: string;
  plan: DayPlan;
  /** After today (in the OPD zone): nothing counted. */
  future: boolean;
  /** Future, or today before its end time: absence, early leave and missing out not counted yet. */
  pending: boolean;
  in: string | null;
  out: string | null;
  punches: number;
  present: boolean;
  absent: boolean;
  lateMinutes: number;
  earlyLeaveMinutes: number;
  missingIn: boolean;
  missingOut: boolean;
  /** Punched on a weekend or holiday. */
  offDayPresence: boolean;
}

export interface Totals {
  workDays: number;
  present: number;
  absent: number;
  lateDays: number;
  lateMinutes: number;
  earlyLeaveDays: number;
  earlyLeaveMinutes: number;
  missingIn: number;
  missingOut: number;
  offDayPresence: number;
  punches: number;
}

/** `unknown`: never on the roster when punching; `not-on-roster`: was, is no longer (moved?). */
export type EmployeeFlag = 'unknown' | 'not-on-roster';

export interface EmployeeReport {
  pin: string;
  nip: string | null;
  name: string | null;
  flag: EmployeeFlag | null;
  note: string | null;
  days: DayRecord[];
  totals: Totals;
}

export interface PresenceReport {
  opd: { code: string; name: string; zone: string };
  period: Period;
  generatedAt: Date;
  plans: DayPlan[];
  employees: EmployeeReport[];
  /** Roster employees only. */
  totals: Totals & { employees: number };
  flagged: { employees: number; punches: number };
  /** Fetched punches whose local date is outside the period (query padding) or unreadable. */
  ignoredPunches: number;
}

export function emptyTotals(): Totals {
  return { workDays: 0, present: 0, absent: 0, lateDays: 0, lateMinutes: 0, earlyLeaveDays: 0, earlyLeaveMinutes: 0, missingIn: 0, missingOut: 0, offDayPresence: 0, punches: 0 };
}

function addTotals(into: Totals, t: Totals): void {
  for (const k of Object.keys(t) as (keyof Totals)[]) into[k] += t[k];
}

const DEVICE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/;

/** The punch's wall-clock time in the OPD zone, or null when unreadable. */
function localTime(p: PunchRow, zone: string): string | null {
  if (!DEVICE_TIME.test(p.deviceTime)) return null;
  if (p.zone === zone || p.zone === '') return p.deviceTime;
  const dt = DateTime.fromISO(p.deviceTime, { zone: p.zone });
  if (!dt.isValid) return p.deviceTime; // a zone this Node does not know: take the wall clock as is
  return dt.setZone(zone).toFormat("yyyy-MM-dd'T'HH:mm:ss");
}

interface Stamp {
  sec: number;
  mark: Mark;
}

const secOf = (t: string): number => Number(t.slice(11, 13)) * 3600 + Number(t.slice(14, 16)) * 60 + Number(t.slice(17, 19));
const hms = (sec: number): string => [Math.floor(sec / 3600), Math.floor(sec / 60) % 60, sec % 60].map((n) => String(n).padStart(2, '0')).join(':');

/** In and out of one day's punches (sorted by time). */
export function pickInOut(stamps: readonly Stamp[]): { in: Stamp | null; out: Stamp | null } {
  let firstIn: Stamp | null = null;
  let firstUnmarked: Stamp | null = null;
  let lastOut: Stamp | null = null;
  for (const s of stamps) {
    if (s.mark === 'in') firstIn ??= s;
    else if (s.mark === 'out') lastOut = s;
    else firstUnmarked ??= s;
  }
  const inP = firstIn ?? firstUnmarked;
  let outP = lastOut ?? stamps[stamps.length - 1] ?? null;
  if (outP === inP || (outP && inP && outP.sec <= inP.sec)) outP = null;
  return { in: inP, out: outP };
}

interface Clock {
  today: string;
  nowSec: number;
}

function evaluateDay(plan: DayPlan, stamps: readonly Stamp[], expected: boolean, clock: Clock): DayRecord {
  const { in: inP, out: outP } = pickInOut(stamps);
  const work = plan.kind === 'workday';
  const start = (plan.start ?? 0) * 60;
  const end = (plan.end ?? 0) * 60;
  const pending = plan.date > clock.today || (plan.date === clock.today && (!work || clock.nowSec < end));
  const future = plan.date > clock.today;
  const punched = stamps.length > 0;
  const late = work && !future && inP !== null && inP.sec > start + (plan.grace ?? 0) * 60;
  const early = work && !future && !pending && outP !== null && outP.sec < end;
  return {
    date: plan.date,
    plan,
    future,
    pending,
    in: inP ? hms(inP.sec) : null,
    out: outP ? hms(outP.sec) : null,
    punches: stamps.length,
    present: work && !future && punched,
    absent: work && expected && !pending && !punched,
    lateMinutes: late && inP ? Math.ceil((inP.sec - start) / 60) : 0,
    earlyLeaveMinutes: early && outP ? Math.ceil((end - outP.sec) / 60) : 0,
    missingIn: work && !future && punched && inP === null,
    missingOut: work && !pending && inP !== null && outP === null,
    offDayPresence: !work && !future && punched,
  };
}

function totalsOf(days: readonly DayRecord[]): Totals {
  const t = emptyTotals();
  for (const d of days) {
    if (d.plan.kind === 'workday' && !d.future) t.workDays++;
    if (d.present) t.present++;
    if (d.absent) t.absent++;
    if (d.lateMinutes > 0) t.lateDays++;
    t.lateMinutes += d.lateMinutes;
    if (d.earlyLeaveMinutes > 0) t.earlyLeaveDays++;
    t.earlyLeaveMinutes += d.earlyLeaveMinutes;
    if (d.missingIn) t.missingIn++;
    if (d.missingOut) t.missingOut++;
    if (d.offDayPresence) t.offDayPresence++;
    t.punches += d.punches;
  }
  return t;
}

export function computePresence(input: PresenceInput): PresenceReport {
  const { opd, period } = input;
  const generatedAt = input.now ?? new Date();
  const nowLocal = DateTime.fromJSDate(generatedAt, { zone: opd.zone });
  const clock: Clock = { today: nowLocal.toISODate() ?? '', nowSec: nowLocal.hour * 3600 + nowLocal.minute * 60 + nowLocal.second };
  const holidays = holidayMap(input.holidays);
  const plans = periodDates(period).map((d) => planDay(d, input.schedule, holidays));

  // pin -> date -> stamps; plus what the stored points said about the user id.
  const byPin = new Map<string, Map<string, Stamp[]>>();
  const seen = new Map<string, { known: boolean; nip: string | null }>();
  let ignored = 0;
  for (const p of input.punches) {
    const t = localTime(p, opd.zone);
    const date = t?.slice(0, 10);
    if (t === null || date === undefined || date < period.from || date > period.to) {
      ignored++;
      continue;
    }
    let days = byPin.get(p.employee);
    if (!days) byPin.set(p.employee, (days = new Map()));
    let stamps = days.get(date);
    if (!stamps) days.set(date, (stamps = []));
    stamps.push({ sec: secOf(t), mark: statusMark(p.status) });
    const s = seen.get(p.employee) ?? { known: false, nip: null };
    seen.set(p.employee, { known: s.known || p.known === true, nip: s.nip ?? (p.nip || null) });
  }

  const employees: EmployeeReport[] = [];
  const build = (pin: string, expected: boolean): DayRecord[] => {
    const days = byPin.get(pin);
    return plans.map((plan) => {
      const stamps = days?.get(plan.date) ?? [];
      if (stamps.length > 1) stamps.sort((a, b) => a.sec - b.sec);
      return evaluateDay(plan, stamps, expected, clock);
    });
  };
  const opdTotals = { ...emptyTotals(), employees: 0 };
  const onRoster = new Set<string>();
  for (const e of input.roster) {
    onRoster.add(e.pin);
    const days = build(e.pin, true);
    const totals = totalsOf(days);
    addTotals(opdTotals, totals);
    opdTotals.employees++;
    employees.push({ pin: e.pin, nip: e.nip ?? seen.get(e.pin)?.nip ?? null, name: e.name, flag: null, note: null, days, totals });
  }
  const flaggedPins = [...byPin.keys()].filter((pin) => !onRoster.has(pin)).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  let flaggedPunches = 0;
  for (const pin of flaggedPins) {
    const s = seen.get(pin) ?? { known: false, nip: null };
    const days = build(pin, false);
    const totals = totalsOf(days);
    flaggedPunches += totals.punches;
    const elsewhere = s.nip !== null ? input.lookupNip?.(s.nip) : undefined;
    const flag: EmployeeFlag = s.known ? 'not-on-roster' : 'unknown';
    const note =
      (flag === 'unknown' ? 'ID tidak ada di daftar pegawai OPD' : 'tidak lagi di daftar pegawai OPD') +
      (elsewhere ? `; sekarang di OPD ${elsewhere.opd}` : '');
    employees.push({ pin, nip: s.nip, name: elsewhere?.name ?? null, flag, note, days, totals });
  }
  return {
    opd,
    period,
    generatedAt,
    plans,
    employees,
    totals: opdTotals,
    flagged: { employees: flaggedPins.length, punches: flaggedPunches },
    ignoredPunches: ignored,
  };
}
