import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { loadConfigFile, type LoadedConfig } from '../protocols/config-file.js';
import { versionKey, type Versioning } from '../protocols/config-version.js';
import { LineSerialTerminalConfig } from './terminals/line-serial-config.js';
import { ZkTerminalConfig } from './terminals/zk/config.js';
import { AdmsTerminalConfig } from './terminals/adms/config.js';
import { R30xTerminalConfig } from './terminals/r30x/config.js';
import { CameraConfig, SnapshotSettings } from './cameras/config.js';
import { PanicConfig, panicIssues } from './panic/config.js';
import { DEFAULT_TOPIC_ROOT, GATEWAY_ID_PATTERN } from '../protocols/mqtt/topics.js';

/**
 * The gateway's settings file (YAML). This one schema validates the file, is the
 * TypeScript type, and is published as firmware-config/gateway.schema.json.
 */

/** Every terminal driver's settings; the `driver` key picks the schema. */
export const TerminalConfig = z.discriminatedUnion('driver', [LineSerialTerminalConfig, ZkTerminalConfig, AdmsTerminalConfig, R30xTerminalConfig]);
export type TerminalConfig = z.infer<typeof TerminalConfig>;

/** Format versions of the gateway file (protocols/config-version.ts); none changed a key yet. */
export const GATEWAY_CONFIG_VERSIONING: Versioning = { current: 1, migrations: [], program: 'pemda-edge' };

export const GatewayConfig = z
  .strictObject({
    version: versionKey(GATEWAY_CONFIG_VERSIONING),
    gateway: z.strictObject({
      id: z
        .string()
        .regex(GATEWAY_ID_PATTERN, 'lower-case letters, digits, "_" and "-" (max 64), starting with a letter or digit')
        .describe('gateway id: its only identity on the wire; the central maps it to an OPD'),
      dataDir: z.string().min(1).default('/var/lib/pemda-edge').describe('where the durable outbox lives'),
      outboxBudgetMB: z
        .number()
        .min(0.01)
        .max(1_000_000)
        .default(512)
        .describe('disk budget of the outbox: above 80 % the health says so; above 100 % health reports and snapshots are dropped (counted), punches are always kept'),
    }),
    mqtt: z
      .strictObject({
        url: z.string().regex(/^mqtts?:\/\/[^/\s]+$/, 'mqtt://host:port or mqtts://host:port').default('mqtt://127.0.0.1:1883'),
        username: z.string().optional(),
        password: z.string().optional(),
        ca: z
          .string()
          .min(1)
          .optional()
          .describe('PEM file of the installation CA to trust for mqtts:// (written by pemda-edge enroll); relative to this file. Default: the system CAs'),
        topicRoot: z.string().min(1).default(DEFAULT_TOPIC_ROOT),
        keepaliveS: z.number().int().min(5).max(600).default(30),
        reconnectMs: z.number().int().min(100).max(300_000).default(2000),
        batchSize: z.number().int().min(1).max(1000).default(200).describe('records per events message'),
        ackTimeoutMs: z.number().int().min(500).max(600_000).default(10_000).describe('resend a batch the central has not acked by then'),
        liveWindowS: z.number().min(1).max(3600).default(60).describe('records younger than this are live: sent first, never rate-limited; older ones are backlog, marked historical'),
        backlogRecordsPerSecond: z.number().int().min(1).max(100_000).default(500).describe('replay rate of the backlog after an outage'),
      })
      .prefault({}),
    health: z
      .strictObject({ intervalS: z.number().min(1).max(3600).default(60) })
      .prefault({}),
    terminals: z.array(TerminalConfig).max(64).default([]),
    cameras: z.array(CameraConfig).max(256).default([]),
    snapshots: SnapshotSettings,
    panic: PanicConfig,
    adms: z
      .strictObject({
        host: z.string().default('0.0.0.0').describe('address the ADMS push server listens on (the office LAN)'),
        port: z.number().int().min(0).max(65535).default(8081).describe('set the same port in the terminal\'s Cloud Server settings'),
      })
      .prefault({})
      .describe('push server for adms terminals; started only when an adms terminal is configured'),
    log: z
      .strictObject({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info') })
      .prefault({}),
  })
  .superRefine((cfg, ctx) => {
    const seen = new Map<string, number>();
    const cameraIds = new Set<string>();
    cfg.cameras.forEach((c, i) => {
      if (cameraIds.has(c.id)) ctx.addIssue({ code: 'custom', path: ['cameras', i, 'id'], message: 'duplicate camera id' });
      cameraIds.add(c.id);
    });
    const serials = new Map<string, number>();
    cfg.terminals.forEach((t, i) => {
      const first = seen.get(t.id);
      if (first !== undefined) ctx.addIssue({ code: 'custom', path: ['terminals', i, 'id'], message: `duplicate terminal id (also terminals[${first}])` });
      seen.set(t.id, i);
      if (t.driver === 'adms') {
        const other = serials.get(t.serialNumber);
        if (other !== undefined) ctx.addIssue({ code: 'custom', path: ['terminals', i, 'serialNumber'], message: `duplicate serial number (also terminals[${other}])` });
        serials.set(t.serialNumber, i);
      }
    });
    const terminalPorts = new Map<string, string>();
    for (const t of cfg.terminals) {
      const port = t.driver === 'zk' ? t.serialPort : t.driver === 'adms' ? undefined : t.port;
      if (port !== undefined) terminalPorts.set(port, t.id);
    }
    for (const issue of panicIssues(cfg.panic, cameraIds, terminalPorts)) ctx.addIssue({ code: 'custom', ...issue });
  });
export type GatewayConfig = z.infer<typeof GatewayConfig>;

/** Loads and validates the file; a relative dataDir is relative to the file. */
export function loadGatewayConfig(file: string): LoadedConfig<GatewayConfig> {
  const loaded = loadConfigFile(GatewayConfig, file, GATEWAY_CONFIG_VERSIONING);
  const base = dirname(resolve(file));
  loaded.value.gateway.dataDir = resolve(base, loaded.value.gateway.dataDir);
  if (loaded.value.mqtt.ca !== undefined) loaded.value.mqtt.ca = resolve(base, loaded.value.mqtt.ca);
  return loaded;
}
