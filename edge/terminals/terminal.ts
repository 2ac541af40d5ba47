import { DateTime } from 'luxon';
import type { NewRecord } from '../outbox.js';

/** What every terminal driver gets from the gateway. */
export interface TerminalContext {
  /** Commits a punch or status record to the outbox; returns false for a duplicate punch. */
  record(record: NewRecord): boolean;
  /** Commits many in one transaction (bulk downloads); returns the new sequence numbers. */
  recordMany(records: readonly NewRecord[]): number[];
  /** The highest sequence committed so far, and whether the central acked up to a sequence. */
  highestSeq(): number;
  isAcked(seq: number): boolean;
  /** Small persisted values of this driver (cursors), namespaced by the gateway. */
  getState(key: string): string | undefined;
  setState(key: string, value: string): void;
}

export interface TerminalDriver {
  readonly id: string;
  readonly driver: string;
  readonly zone: string;
  start(): void;
  stop(): Promise<void>;
  /** Commands from the command room; a driver implements those its terminal supports. Each returns a one-line report. */
  syncClock?(): Promise<string>;
  downloadLogs?(): Promise<string>;
}

/**
 * Terminal wall-clock time (no zone) to a UTC instant, using the terminal's
 * configured IANA zone, minus the measured clock skew when there is one.
 */
/** `YYYY-MM-DDTHH:mm:ss` from calendar fields, the form records carry. */
export function naiveToIso(t: { year: number; month: number; day: number; hour: number; minute: number; second: number }): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${t.year}-${p(t.month)}-${p(t.day)}T${p(t.hour)}:${p(t.minute)}:${p(t.second)}`;
}

/** The wall clock of `zone` at an instant, as a terminal would show it. */
export function utcToDeviceTime(atMs: number, zone: string): string {
  return DateTime.fromMillis(atMs, { zone }).toFormat("yyyy-MM-dd'T'HH:mm:ss");
}

export function deviceTimeToUtc(deviceTime: string, zone: string, skewMs: number | null = null): string {
  const local = DateTime.fromISO(deviceTime, { zone });
  if (!local.isValid) throw new RangeError(`device time ${deviceTime} in ${zone}: ${local.invalidExplanation ?? 'invalid'}`);
  const corrected = skewMs === null ? local : local.minus({ milliseconds: skewMs });
  return corrected.toUTC().toISO()!;
}
