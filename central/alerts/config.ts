import { z } from 'zod';
import { AlertKind } from './alert.js';

const HHMM = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time "HH:mm" (24 h), e.g. "09:00"');

/**
 * The alert engine's settings: the `alerts:` key of the central config. Thresholds are
 * in seconds of silence; defaults assume the gateway's default health interval (60 s),
 * so one lost QoS0 health report never raises anything.
 */
export const AlertsConfig = z
  .strictObject({
    evaluateEveryS: z.number().min(1).max(3600).default(5).describe('how often every rule is checked (also soon after each live change)'),
    gatewayOfflineAfterS: z
      .number()
      .min(10)
      .max(86_400)
      .default(120)
      .describe('gateway-offline when nothing (health, records, birth) came for this long; also the start-up grace for gateways not heard of yet'),
    healthStaleAfterS: z.number().min(10).max(86_400).default(300).describe('data-stale when a gateway that is online sent no health report for this long'),
    cameraStaleAfterS: z.number().min(10).max(86_400).default(300).describe('camera-offline when the newest frame of a camera is older than this'),
    diskFreeMinPercent: z.number().min(0).max(100).default(10).describe('disk-full when the gateway disk has less than this share free (the outbox budget near/over raises it too)'),
    noPunchesCheckAt: HHMM.default('09:00').describe('no-punches is checked from this local time (the OPD\'s zone) on Mon-Fri'),
    noPunchesLookbackDays: z.number().int().min(1).max(30).default(5).describe('working days looked back to decide whether an office usually has punches'),
    noPunchesMinDays: z.number().int().min(1).max(30).default(3).describe('an office usually has punches when it had some on at least this many of those days'),
    webhook: z
      .strictObject({
        url: z.url({ protocol: /^https?$/ }).describe('receives a JSON POST for every raised, acknowledged and cleared alert'),
        token: z.string().min(1).max(4096).optional().describe('sent as "Authorization: Bearer <token>"'),
        timeoutMs: z.number().int().min(100).max(120_000).default(5000).describe('one delivery attempt'),
        retryBaseMs: z.number().int().min(1).max(60_000).default(1000).describe('first retry delay; doubles per failed attempt'),
        retryMaxMs: z.number().int().min(1).max(3_600_000).default(60_000).describe('longest delay between attempts'),
        kinds: z
          .array(AlertKind)
          .min(1)
          .optional()
          .describe('only alerts of these kinds are pushed, e.g. [panic] for a police desk system; default: every kind'),
      })
      .optional()
      .describe('optional push of alerts to another system (chat bot, ticketing); undelivered notifications survive restarts'),
  })
  .superRefine((c, ctx) => {
    if (c.noPunchesMinDays > c.noPunchesLookbackDays) {
      ctx.addIssue({ code: 'custom', path: ['noPunchesMinDays'], message: `must not exceed noPunchesLookbackDays (${c.noPunchesLookbackDays})` });
    }
    if (c.webhook && c.webhook.retryMaxMs < c.webhook.retryBaseMs) {
      ctx.addIssue({ code: 'custom', path: ['webhook', 'retryMaxMs'], message: `must be at least retryBaseMs (${c.webhook.retryBaseMs})` });
    }
  });
export type AlertsConfig = z.infer<typeof AlertsConfig>;
