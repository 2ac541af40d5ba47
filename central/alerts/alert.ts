import { z } from 'zod';

/**
 * What the command room is alerted about. Severity is fixed per kind so the wall can
 * sort and colour without knowing the rules: critical means attendance data is not
 * reaching the central (or an office is silent); warning means something degrades but
 * punches still flow. `panic` is critical too and comes first in the open list: a
 * person in danger, not a device.
 */
export const ALERT_KINDS = ['panic', 'gateway-offline', 'terminal-offline', 'no-punches', 'data-stale', 'camera-offline', 'clock-skew', 'disk-full'] as const;
export const AlertKind = z.enum(ALERT_KINDS);
export type AlertKind = z.infer<typeof AlertKind>;

export const Severity = z.enum(['critical', 'warning']);
export type Severity = z.infer<typeof Severity>;

export const SEVERITY: Record<AlertKind, Severity> = {
  panic: 'critical',
  'gateway-offline': 'critical',
  'terminal-offline': 'critical',
  'no-punches': 'critical',
  'data-stale': 'warning',
  'camera-offline': 'warning',
  'clock-skew': 'warning',
  'disk-full': 'warning',
};

const utcTime = z.iso.datetime({ offset: false });

/** The same text in Bahasa Indonesia (`id`) and English (`en`): keys are language codes. */
export const AlertMessage = z.strictObject({ id: z.string().min(1), en: z.string().min(1) });
export type AlertMessage = z.infer<typeof AlertMessage>;

/**
 * Alerts raised by an event rather than found by a rule: nothing at the central can see
 * their cause end, so only an operator's acknowledgement closes them.
 */
export const EVENT_KINDS: ReadonlySet<AlertKind> = new Set(['panic']);

/** The press behind a panic alert, and where the wall finds the nearest cameras' newest frames. */
export const PanicDetails = z.strictObject({
  eventId: z.uuid().describe('the gateway\'s id of the press; one alert per eventId'),
  seq: z.number().int().min(1).describe('the record\'s sequence number on its gateway'),
  input: z.string().min(1),
  via: z.enum(['modem-line', 'serial-line', 'http']),
  pressedAt: z.iso.datetime({ offset: false }).describe('when the gateway registered the press'),
  source: z.string().nullable().describe('who or what pressed: the phone app\'s source, or the alarm panel\'s line'),
  note: z.string().nullable(),
  location: z.strictObject({ lat: z.number(), lon: z.number() }).nullable().describe('from the phone app, when it sent one'),
  cameras: z
    .array(z.strictObject({ id: z.string().min(1), frameUrl: z.string().describe('GET: the camera\'s newest frame (the full frame taken at the press once it arrived)') }))
    .describe('the nearest cameras, nearest first'),
});
export type PanicDetails = z.infer<typeof PanicDetails>;

export const Alert = z.strictObject({
  id: z.number().int().min(1),
  kind: AlertKind,
  severity: Severity,
  opd: z.string().min(1),
  gateway: z.string().nullable().describe('null for office-wide alerts (no-punches)'),
  device: z.string().nullable().describe('terminal or camera id; null for gateway and office alerts'),
  message: AlertMessage.describe('written when raised; the wall shows the language it runs in'),
  raisedAt: utcTime,
  acknowledgedAt: utcTime.nullable(),
  acknowledgedBy: z.string().nullable(),
  clearedAt: utcTime.nullable().describe('set when the condition ended (a panic: when acknowledged); the alert stays in history'),
  panic: PanicDetails.optional().describe('only on panic alerts'),
});
export type Alert = z.infer<typeof Alert>;

/** A condition a rule found true right now; becomes an alert unless one is open for its key. */
export interface Finding {
  kind: AlertKind;
  opd: string;
  gateway: string | null;
  device: string | null;
  message: AlertMessage;
}

/** One open alert per key: a condition that persists never raises twice. */
export function alertKey(a: Pick<Finding, 'kind' | 'opd' | 'gateway' | 'device'>): string {
  return JSON.stringify([a.kind, a.opd, a.gateway, a.device]);
}

/** Body of POST /api/alerts/{id}/ack. The user is who the operator says they are. */
export const AckRequest = z.strictObject({ user: z.string().trim().min(1).max(100) });
export type AckRequest = z.infer<typeof AckRequest>;

export const AlertEvent = z.enum(['raised', 'acknowledged', 'cleared']);
export type AlertEvent = z.infer<typeof AlertEvent>;

/** What the webhook receives; `id` is also the Idempotency-Key header. */
export const AlertNotification = z.strictObject({
  id: z.uuid(),
  event: AlertEvent,
  at: utcTime,
  alert: Alert,
});
export type AlertNotification = z.infer<typeof AlertNotification>;

/** Raised -> acknowledged time of one alert, for office performance reports. */
export const ResponseTime = z.strictObject({
  id: z.number().int(),
  kind: AlertKind,
  severity: Severity,
  gateway: z.string().nullable(),
  device: z.string().nullable(),
  raisedAt: utcTime,
  acknowledgedAt: utcTime.nullable(),
  seconds: z.number().min(0).nullable().describe('null: never acknowledged'),
});
export type ResponseTime = z.infer<typeof ResponseTime>;
