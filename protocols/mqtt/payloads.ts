import { z } from 'zod';

/**
 * MQTT contract v1 payload schemas. Each schema is at once the validator, the
 * TypeScript type (z.infer) and the published JSON Schema (docs/mqtt-payloads.schema.json).
 * Every payload carries `v`: a consumer refuses versions it does not know instead of
 * guessing at fields.
 */
export const CONTRACT_VERSION = 1;

const version = z.literal(CONTRACT_VERSION).describe('contract version');
const utcTime = z.iso.datetime({ offset: false }).describe('UTC instant, ISO 8601 with Z');
const seq = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);
const deviceId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'letters, digits, "_", "-", "." (max 64)');

/** Naive local time as the terminal shows it: it has no zone; `zone` says which. */
export const NaiveLocalTime = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/, 'YYYY-MM-DDTHH:mm:ss without zone')
  .describe('terminal wall-clock time, no zone');

export const PunchRecord = z.strictObject({
  seq: seq.describe('per-gateway sequence number; survives restarts'),
  kind: z.literal('punch'),
  terminal: deviceId,
  employee: z.string().min(1).max(32).describe('employee PIN as enrolled on the terminal'),
  time: utcTime.describe('corrected punch time in UTC (device time minus measured clock skew)'),
  deviceTime: NaiveLocalTime,
  zone: z.string().min(1).max(64).describe('IANA zone of the terminal, e.g. Asia/Makassar'),
  skewMs: z.number().int().nullable().describe('terminal clock minus true time, when measured'),
  status: z.string().max(16).optional().describe('punch state as the terminal reports it (in/out/break...)'),
  verify: z.string().max(16).optional().describe('verification method (finger, card, password...)'),
  workcode: z.string().max(16).optional(),
  receivedAt: utcTime.describe('when the gateway read the punch'),
  historical: z.boolean().optional().describe('true for backlog or bulk-download replay'),
});
export type PunchRecord = z.infer<typeof PunchRecord>;

export const TerminalStatusRecord = z.strictObject({
  seq,
  kind: z.literal('terminal_status'),
  terminal: deviceId,
  state: z.enum(['online', 'offline', 'error']),
  reason: z.string().max(500).optional(),
  at: utcTime,
});
export type TerminalStatusRecord = z.infer<typeof TerminalStatusRecord>;

/** A terminal clock reading: recorded when the skew changes or crosses the alarm threshold. */
export const TerminalClockRecord = z.strictObject({
  seq,
  kind: z.literal('terminal_clock'),
  terminal: deviceId,
  skewMs: z.number().int().describe('terminal clock minus gateway clock'),
  alarm: z.boolean().describe('|skew| is above the configured threshold'),
  synced: z.boolean().optional().describe('the gateway set the terminal clock after this reading'),
  at: utcTime,
});
export type TerminalClockRecord = z.infer<typeof TerminalClockRecord>;

/** A camera state change: recorded only on change. */
export const CameraStatusRecord = z.strictObject({
  seq,
  kind: z.literal('camera_status'),
  camera: deviceId,
  state: z.enum(['online', 'offline', 'auth-failed', 'stale']),
  reason: z.string().max(500).optional(),
  at: utcTime,
});
export type CameraStatusRecord = z.infer<typeof CameraStatusRecord>;

/** ONVIF motion: the camera's event service reported motion starting or ending. */
export const CameraMotionRecord = z.strictObject({
  seq,
  kind: z.literal('camera_motion'),
  camera: deviceId,
  state: z.enum(['start', 'end']),
  at: utcTime.describe('when the gateway received the camera\'s event'),
  topic: z.string().min(1).max(200).optional().describe('ONVIF event topic, e.g. tns1:RuleEngine/CellMotionDetector/Motion or tns1:VideoSource/MotionAlarm'),
});
export type CameraMotionRecord = z.infer<typeof CameraMotionRecord>;

/**
 * A panic button press, an alarm panel's alarm line or a phone app's panic call
 * (docs/panic-button.md). Added to v1 as a new kind: gateways that never send it are
 * unaffected. The gateway sends it ahead of any backlog, never rate-limited; the central
 * raises one alert per `eventId`, however often the record is resent.
 */
export const PanicRecord = z.strictObject({
  seq,
  kind: z.literal('panic'),
  eventId: z.uuid().describe('chosen by the gateway when it commits the press; the phone app gets it in the 202 answer; the central raises one alert per eventId'),
  input: deviceId.describe('the panic input as configured on the gateway (a button, an alarm panel, the phone-app endpoint)'),
  via: z.enum(['modem-line', 'serial-line', 'http']).describe('modem-line: a contact on a serial adapter\'s CTS/DSR/DCD; serial-line: an alarm panel\'s line; http: a phone app'),
  at: utcTime.describe('when the gateway registered the press'),
  cameras: z.array(deviceId).max(8).describe('the nearest cameras as configured for the input; a full frame of each follows on the snapshot topic'),
  source: z.string().min(1).max(200).optional().describe('who or what pressed: the phone app\'s source, or the alarm panel\'s line'),
  note: z.string().min(1).max(500).optional().describe('free text from the phone app'),
  lat: z.number().min(-90).max(90).optional().describe('WGS 84 latitude from the phone app'),
  lon: z.number().min(-180).max(180).optional().describe('WGS 84 longitude from the phone app'),
});
export type PanicRecord = z.infer<typeof PanicRecord>;

export const EventRecord = z.discriminatedUnion('kind', [PunchRecord, TerminalStatusRecord, TerminalClockRecord, CameraStatusRecord, CameraMotionRecord, PanicRecord]);
export type EventRecord = z.infer<typeof EventRecord>;

export const MAX_RECORDS_PER_BATCH = 1000;

/** `{root}/{gw}/events`, QoS1: records in ascending sequence order. */
export const EventsBatch = z
  .strictObject({
    v: version,
    ackedSeq: z
      .number()
      .int()
      .min(0)
      .describe('highest seq the gateway already holds as acked (and deleted); lets a central that lost its state continue'),
    records: z.array(EventRecord).min(1).max(MAX_RECORDS_PER_BATCH),
  })
  .superRefine((batch, ctx) => {
    for (let i = 1; i < batch.records.length; i++) {
      const prev = batch.records[i - 1]!;
      const cur = batch.records[i]!;
      if (cur.seq <= prev.seq) {
        ctx.addIssue({ code: 'custom', path: ['records', i, 'seq'], message: `must be greater than the previous record's seq ${prev.seq}` });
      }
    }
  });
export type EventsBatch = z.infer<typeof EventsBatch>;

export const Birth = z.strictObject({
  v: version,
  state: z.literal('online'),
  bdSeq: z.number().int().min(0).describe('birth/death session number, +1 per connection'),
  version: z.string().max(64).describe('gateway software version'),
  configHash: z.string().regex(/^[0-9a-f]{64}$/).describe('sha256 of the config file'),
  startedAt: utcTime,
  ackedSeq: z.number().int().min(0).describe('highest sequence the gateway holds as acked'),
  clockOffsetMs: z.number().int().nullable().describe('gateway clock minus NTP time, when known'),
  terminals: z.array(z.strictObject({ id: deviceId, driver: z.string().max(32), zone: z.string().max(64) })).max(256),
  cameras: z.array(z.strictObject({ id: deviceId })).max(256),
});
export type Birth = z.infer<typeof Birth>;

/** The Last Will: published by the broker when the gateway vanishes. */
export const Death = z.strictObject({
  v: version,
  state: z.literal('offline'),
  bdSeq: z.number().int().min(0),
});
export type Death = z.infer<typeof Death>;

/** `{root}/{gw}/status`, retained, QoS1. */
export const GatewayStatus = z.discriminatedUnion('state', [Birth, Death]);
export type GatewayStatus = z.infer<typeof GatewayStatus>;

/**
 * `{root}/{gw}/ack`: every record with seq <= `seq`, and every record in `ranges`, is
 * durably stored centrally. Ranges let the central ack live records that overtook
 * the backlog without waiting for it.
 */
export const Ack = z.strictObject({
  v: version,
  seq: z.number().int().min(0).describe('cumulative: every record up to here is stored'),
  ranges: z
    .array(z.tuple([seq, seq]))
    .max(100)
    .optional()
    .describe('selective: inclusive [from, to] ranges above seq that are stored too'),
});
export type Ack = z.infer<typeof Ack>;

/** `{root}/{gw}/health`, QoS0, latest wins. */
export const Health = z.strictObject({
  v: version,
  at: utcTime,
  uptimeS: z.number().min(0),
  cpu: z.strictObject({ load1: z.number().min(0), cores: z.number().int().min(1) }),
  memory: z.strictObject({ rssBytes: z.number().int().min(0), freeBytes: z.number().int().min(0), totalBytes: z.number().int().min(0) }),
  disk: z.strictObject({ freeBytes: z.number().int().min(0), totalBytes: z.number().int().min(0) }).nullable(),
  outbox: z.strictObject({
    depth: z.number().int().min(0),
    oldestAgeS: z.number().min(0).nullable(),
    lastAckedSeq: z.number().int().min(0),
    bytes: z.number().int().min(0).describe('space the outbox uses'),
    budgetBytes: z.number().int().min(0).describe('its disk budget'),
    budget: z.enum(['ok', 'near', 'over']).describe('near: above 80 %; over: health and snapshots are being dropped, punches still kept'),
    droppedHealth: z.number().int().min(0).describe('health reports dropped since start (replaced while undelivered, or over budget)'),
  }),
  snapshots: z
    .strictObject({
      budgetKbps: z.number().min(0),
      sentKbps: z.number().min(0).describe('thumbnail rate over the last intervals'),
      stretch: z.number().min(1).describe('factor applied to every camera interval to stay inside the budget'),
      quality: z.number().int().min(1).max(100).describe('JPEG quality in use (lowered when stretched far)'),
      dropped: z.number().int().min(0).describe('thumbnails replaced undelivered or refused over the disk budget'),
    })
    .optional(),
  cameras: z
    .array(
      z.strictObject({
        id: deviceId,
        state: z.enum(['online', 'offline', 'auth-failed', 'stale', 'unknown']),
        latencyMs: z.number().min(0).nullable().describe('time to grab and encode the last frame'),
        thumbBytes: z.number().int().min(0).nullable(),
        source: z.enum(['snapshot-uri', 'rtsp']).nullable(),
      }),
    )
    .max(256)
    .optional(),
});
export type Health = z.infer<typeof Health>;

/** `{root}/$central/state`, retained, with a Last Will `offline` (Sparkplug host state). */
export const CentralState = z.strictObject({
  v: version,
  state: z.enum(['online', 'offline']),
  at: utcTime.optional(),
});
export type CentralState = z.infer<typeof CentralState>;

/** Commands from the command room to a gateway (`{root}/{gw}/cmd`, QoS1). */
export const COMMAND_NAMES = ['sync-clock', 'download-logs', 'snapshot-full'] as const;
export const Command = z.strictObject({
  v: version,
  id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/).describe('chosen by the sender; echoed in the result'),
  name: z.enum(COMMAND_NAMES).describe('sync-clock: set terminal clocks to the gateway clock; download-logs: reconcile terminal logs now; snapshot-full: grab and send a full frame now'),
  terminal: deviceId.optional().describe('one terminal; default: every terminal that supports the command'),
  camera: deviceId.optional().describe('snapshot-full: one camera; default: every camera'),
  issuedAt: utcTime,
});
export type Command = z.infer<typeof Command>;

/** `{root}/{gw}/cmd/result`, QoS1. */
export const CommandResult = z.strictObject({
  v: version,
  id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
  ok: z.boolean(),
  message: z.string().max(4000),
  at: utcTime,
});
export type CommandResult = z.infer<typeof CommandResult>;
