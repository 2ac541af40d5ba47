import { DateTime } from 'luxon';
import type { NewRecord } from '../outbox.js';

/** What every terminal driver gets from the gateway: one way to hand over a record. */
export interface TerminalContext {
  /** Commits a punch or status record to the outbox; returns false for a duplicate punch. */
  record(record: NewRecord): boolean;
}

export interface TerminalDriver {
  readonly id: string;
  readonly driver: string;
  readonly zone: string;
  start(): void;
  stop(): Promise<void>;
}

/**
 * Terminal wall-clock time (no zone) to a UTC instant, using the terminal's
 * configured IANA zone, minus the measured clock skew when there is one.
 */
export function deviceTimeToUtc(deviceTime: string, zone: string, skewMs: number | null = null): string {
  const local = DateTime.fromISO(deviceTime, { zone });
  if (!local.isValid) throw new RangeError(`device time ${deviceTime} in ${zone}: ${local.invalidExplanation ?? 'invalid'}`);
  const corrected = skewMs === null ? local : local.minus({ milliseconds: skewMs });
  return corrected.toUTC().toISO()!;
}
