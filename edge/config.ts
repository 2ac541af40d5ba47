import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { IanaZone, loadConfigFile, type LoadedConfig } from '../protocols/config-file.js';
import { LineFormat } from '../protocols/line/format.js';
import { DEFAULT_TOPIC_ROOT, GATEWAY_ID_PATTERN } from '../protocols/mqtt/topics.js';

/**
 * The gateway's settings file (YAML). This one schema validates the file, is the
 * TypeScript type, and is published as firmware-config/gateway.schema.json.
 */
const terminalId = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'letters, digits, "_", "-", "." (max 64), starting with a letter or digit');

export const LineSerialTerminalConfig = z
  .strictObject({
    id: terminalId.describe('terminal id, unique in this gateway; a tag in InfluxDB'),
    driver: z.literal('line-serial').describe('a terminal that prints one punch per line on a serial port'),
    port: z.string().min(1).describe('serial device, e.g. /dev/ttyUSB0 or /dev/pemda-terminal-1'),
    baudRate: z.number().int().min(300).max(921600).default(9600),
    zone: IanaZone.describe('IANA zone of the terminal clock: Asia/Jakarta (WIB), Asia/Makassar (WITA), Asia/Jayapura (WIT)'),
    format: LineFormat.prefault({}),
    reopenDelayMs: z.number().int().min(100).max(600_000).default(5000).describe('wait before reopening a port that failed or closed'),
  })
  .describe('line-format serial terminal');

export const TerminalConfig = z.discriminatedUnion('driver', [LineSerialTerminalConfig]);
export type TerminalConfig = z.infer<typeof TerminalConfig>;

export const GatewayConfig = z
  .strictObject({
    gateway: z.strictObject({
      id: z
        .string()
        .regex(GATEWAY_ID_PATTERN, 'lower-case letters, digits, "_" and "-" (max 64), starting with a letter or digit')
        .describe('gateway id: its only identity on the wire; the central maps it to an OPD'),
      dataDir: z.string().min(1).default('/var/lib/pemda-edge').describe('where the durable outbox lives'),
    }),
    mqtt: z
      .strictObject({
        url: z.string().regex(/^mqtts?:\/\/[^/\s]+$/, 'mqtt://host:port or mqtts://host:port').default('mqtt://127.0.0.1:1883'),
        username: z.string().optional(),
        password: z.string().optional(),
        topicRoot: z.string().min(1).default(DEFAULT_TOPIC_ROOT),
        keepaliveS: z.number().int().min(5).max(600).default(30),
        reconnectMs: z.number().int().min(100).max(300_000).default(2000),
        batchSize: z.number().int().min(1).max(1000).default(200).describe('records per events message'),
        ackTimeoutMs: z.number().int().min(500).max(600_000).default(10_000).describe('resend a batch the central has not acked by then'),
      })
      .prefault({}),
    health: z
      .strictObject({ intervalS: z.number().min(1).max(3600).default(60) })
      .prefault({}),
    terminals: z.array(TerminalConfig).max(64).default([]),
    log: z
      .strictObject({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info') })
      .prefault({}),
  })
  .superRefine((cfg, ctx) => {
    const seen = new Map<string, number>();
    cfg.terminals.forEach((t, i) => {
      const first = seen.get(t.id);
      if (first !== undefined) ctx.addIssue({ code: 'custom', path: ['terminals', i, 'id'], message: `duplicate terminal id (also terminals[${first}])` });
      seen.set(t.id, i);
    });
  });
export type GatewayConfig = z.infer<typeof GatewayConfig>;

/** Loads and validates the file; a relative dataDir is relative to the file. */
export function loadGatewayConfig(file: string): LoadedConfig<GatewayConfig> {
  const loaded = loadConfigFile(GatewayConfig, file);
  loaded.value.gateway.dataDir = resolve(dirname(resolve(file)), loaded.value.gateway.dataDir);
  return loaded;
}
