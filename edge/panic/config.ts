import { z } from 'zod';
import { terminalId } from '../terminals/common-config.js';

/**
 * The gateway's `panic:` section (docs/panic-button.md): buttons and alarm inputs on
 * serial adapters, and an HTTP endpoint for phone apps. Every press becomes a durable
 * `panic` record and a full frame from the input's nearest cameras.
 */

const inputId = terminalId.describe('input id, unique in this gateway; a tag in InfluxDB and named on the wall');
const cameras = z
  .array(terminalId)
  .max(8)
  .default([])
  .describe('ids from cameras:, nearest first: each sends a full frame at every press, and the wall shows them with the alert');
const reopenDelayMs = z.number().int().min(100).max(600_000).default(5000).describe('wait before reopening a port that failed or closed');

/**
 * serialport's get() reports CTS, DSR and DCD only (@serialport/bindings-interface
 * PortStatus; bindings-cpp reads TIOCM_CTS, TIOCM_DSR and TIOCM_CD): the ring
 * indicator exists on the connector but cannot be read through it.
 */
export const MODEM_LINES = ['cts', 'dsr', 'dcd'] as const;
export type ModemLine = (typeof MODEM_LINES)[number];

export const ModemLineInputConfig = z
  .strictObject({
    id: inputId,
    kind: z.literal('modem-line').describe('a dry contact (button, alarm relay) between an output and an input pin of a serial adapter'),
    port: z.string().min(1).describe('serial device, e.g. /dev/ttyUSB1 or /dev/pemda-panic'),
    line: z
      .enum(MODEM_LINES, {
        error: (issue) =>
          issue.input === 'ri'
            ? 'ri (ring indicator) cannot be read: serialport reports only cts, dsr and dcd; wire the contact to CTS (pin 8), DSR (pin 6) or DCD (pin 1)'
            : 'one of cts, dsr, dcd',
      })
      .describe('the input pin the contact feeds: cts (DB9 pin 8), dsr (pin 6) or dcd (pin 1)'),
    active: z
      .enum(['high', 'low'])
      .default('high')
      .describe('high: pressed when the line is asserted (a normally-open contact fed from DTR/RTS); low: pressed when it drops (a normally-closed contact or alarm relay)'),
    debounceMs: z.number().int().min(0).max(10_000).default(50).describe('a change counts once the line has held its new level this long (contacts bounce for a few ms)'),
    pollIntervalMs: z.number().int().min(5).max(5000).default(20).describe('how often the line is read; inputs sharing a port use the shortest'),
    reopenDelayMs,
    cameras,
  })
  .describe('panic button on a serial adapter\'s modem line');
export type ModemLineInputConfig = z.infer<typeof ModemLineInputConfig>;

export const SerialLineInputConfig = z
  .strictObject({
    id: inputId,
    kind: z.literal('serial-line').describe('an alarm panel that prints a line per event on a serial port'),
    port: z.string().min(1).describe('serial device, e.g. /dev/ttyUSB2'),
    baudRate: z.number().int().min(300).max(921_600).default(9600),
    match: z
      .string()
      .min(1)
      .max(500)
      .refine((re) => {
        try {
          new RegExp(re);
          return true;
        } catch {
          return false;
        }
      }, 'not a valid regular expression (JavaScript syntax)')
      .describe('regular expression: a line it matches is an alarm, e.g. "ALARM|PANIC|DURESS"; other lines are logged and ignored'),
    ignoreCase: z.boolean().default(false),
    repeatHoldoffMs: z
      .number()
      .int()
      .min(0)
      .max(3_600_000)
      .default(0)
      .describe('panels that repeat an alarm line: a match this soon after the last counted one is logged, not a new press (0: every matching line is a press)'),
    reopenDelayMs,
    cameras,
  })
  .describe('alarm panel on a serial port');
export type SerialLineInputConfig = z.infer<typeof SerialLineInputConfig>;

export const PanicInputConfig = z.discriminatedUnion('kind', [ModemLineInputConfig, SerialLineInputConfig]);
export type PanicInputConfig = z.infer<typeof PanicInputConfig>;

export const PanicHttpConfig = z
  .strictObject({
    id: inputId.default('phone-app'),
    host: z.string().min(1).default('0.0.0.0').describe('address to listen on (the office LAN or VPN the phones use)'),
    port: z.number().int().min(0).max(65535).default(8082),
    tokens: z
      .array(z.string().min(16, 'at least 16 characters (e.g. openssl rand -hex 24)').max(256).regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces'))
      .min(1)
      .max(100)
      .describe('bearer tokens of the phone apps allowed to raise a panic (one per app or per person, so one can be revoked)'),
    cameras,
  })
  .describe('POST /panic for phone apps');
export type PanicHttpConfig = z.infer<typeof PanicHttpConfig>;

export const PanicConfig = z
  .strictObject({
    inputs: z.array(PanicInputConfig).max(32).default([]),
    http: PanicHttpConfig.optional(),
  })
  .prefault({})
  .describe('panic buttons, alarm inputs and the phone-app endpoint (docs/panic-button.md)');
export type PanicConfig = z.infer<typeof PanicConfig>;

interface Issue {
  path: (string | number)[];
  message: string;
}

/**
 * Checks across the whole gateway file: input ids unique, cameras that exist, and no
 * serial port opened twice (ports are locked; several modem-line inputs may share
 * one adapter, reading different lines).
 */
export function panicIssues(panic: PanicConfig, cameraIds: ReadonlySet<string>, terminalPorts: ReadonlyMap<string, string>): Issue[] {
  const issues: Issue[] = [];
  const ids = new Map<string, string>();
  const checkCameras = (list: readonly string[], path: (string | number)[]) =>
    list.forEach((c, j) => {
      if (!cameraIds.has(c)) issues.push({ path: [...path, 'cameras', j], message: `no camera "${c}" in cameras:` });
    });
  const modemLines = new Map<string, string>();
  const portOwner = new Map<string, string>();
  panic.inputs.forEach((input, i) => {
    const here = `panic.inputs[${i}]`;
    const other = ids.get(input.id);
    if (other) issues.push({ path: ['panic', 'inputs', i, 'id'], message: `duplicate input id (also ${other})` });
    ids.set(input.id, here);
    checkCameras(input.cameras, ['panic', 'inputs', i]);
    const terminal = terminalPorts.get(input.port);
    if (terminal) issues.push({ path: ['panic', 'inputs', i, 'port'], message: `port already used by terminal ${terminal}` });
    const owner = portOwner.get(input.port);
    const shared = owner !== undefined && input.kind === 'modem-line' && owner.startsWith('modem-line');
    if (owner !== undefined && !shared) issues.push({ path: ['panic', 'inputs', i, 'port'], message: `port already used by ${owner.split(' ')[1]}` });
    portOwner.set(input.port, `${input.kind} ${here}`);
    if (input.kind === 'modem-line') {
      const key = `${input.port} ${input.line}`;
      const same = modemLines.get(key);
      if (same) issues.push({ path: ['panic', 'inputs', i, 'line'], message: `${input.line} of ${input.port} is already read by ${same}` });
      modemLines.set(key, here);
    }
  });
  if (panic.http) {
    const other = ids.get(panic.http.id);
    if (other) issues.push({ path: ['panic', 'http', 'id'], message: `duplicate input id (also ${other})` });
    checkCameras(panic.http.cameras, ['panic', 'http']);
  }
  return issues;
}
