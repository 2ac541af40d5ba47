import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { IanaZone, loadConfigFile, type LoadedConfig } from '../protocols/config-file.js';
import { versionKey, type Versioning } from '../protocols/config-version.js';
import { DEFAULT_TOPIC_ROOT, GATEWAY_ID_PATTERN } from '../protocols/mqtt/topics.js';
import { WorkSchedule } from './reports/schedule.js';
import { AuthConfig } from './auth/config.js';
import { AlertsConfig } from './alerts/config.js';

/** The aggregator's settings file (YAML); relative paths are relative to the file. */
/** Format versions of the central file (protocols/config-version.ts); none changed a key yet. */
export const CENTRAL_CONFIG_VERSIONING: Versioning = { current: 1, migrations: [], program: 'pemda-central' };

export const CentralConfig = z.strictObject({
  version: versionKey(CENTRAL_CONFIG_VERSIONING),
  broker: z
    .strictObject({
      embedded: z.boolean().default(true).describe('run the aedes broker in this process'),
      host: z.string().default('0.0.0.0').describe('listen address of the embedded broker'),
      port: z.number().int().min(0).max(65535).default(1883).describe('plain MQTT port'),
      plain: z.boolean().default(true).describe('listen for plain MQTT on port; false: TLS only (needs tls.dir)'),
      tlsPort: z.number().int().min(0).max(65535).default(8883).describe('MQTT over TLS, when tls.dir is set'),
      maxConnections: z.number().int().min(1).max(1_000_000).default(5000).describe('connections beyond this are closed before CONNACK and logged'),
      keepaliveLimitS: z.number().int().min(10).max(65535).default(900).describe('longest MQTT keepalive a client may ask for; clients without keepalive are refused (dead links would hold sessions forever)'),
      auth: z
        .enum(['required', 'off'])
        .default('required')
        .describe('required: only gateways with a password (pemda-central gateway-password or enroll) and the central may connect; off: anyone on the network may connect and publish (a lab only)'),
    })
    .prefault({}),
  mqtt: z
    .strictObject({
      url: z.string().regex(/^mqtts?:\/\/[^/\s]+$/).optional().describe('broker the ingest connects to; default: the embedded one'),
      username: z.string().optional(),
      password: z.string().optional(),
      topicRoot: z.string().min(1).default(DEFAULT_TOPIC_ROOT),
      instance: z
        .string()
        .regex(/^[a-z0-9][a-z0-9_-]{0,31}$/)
        .optional()
        .describe('name of this aggregator when several share an external broker; its state goes to $central/state/{instance}'),
      sharedGroup: z
        .string()
        .regex(/^[a-z0-9][a-z0-9_-]{0,31}$/)
        .optional()
        .describe('share events, health and snapshots with the other aggregators of this group ($share/{group}/...; Mosquitto 2, EMQX)'),
    })
    .prefault({}),
  influx: z
    .strictObject({
      url: z.string().regex(/^https?:\/\/[^/\s]+\/?$/, 'http://host:port').default('http://127.0.0.1:8086'),
      database: z.string().regex(/^[A-Za-z0-9_]{1,64}$/).default('pemda'),
      username: z.string().optional(),
      password: z.string().optional(),
      batchSize: z.number().int().min(1).max(50_000).default(5000).describe('points per write'),
      flushIntervalMs: z.number().int().min(10).max(60_000).default(200).describe('longest a point waits before a write'),
    })
    .prefault({}),
  registry: z.strictObject({
    db: z.string().min(1).default('central.sqlite').describe('SQLite file for the registry and ingest progress'),
    seed: z.string().min(1).optional().describe('YAML file of OPDs and their gateways, applied at every start'),
  }).prefault({}),
  tls: z
    .strictObject({
      dir: z.string().min(1).optional().describe('folder with ca.crt, server.crt and server.key made by pemda-central pki; when set, MQTT also listens on broker.tlsPort and the command room is served over HTTPS'),
    })
    .prefault({}),
  enroll: z
    .strictObject({
      mqttUrl: z
        .string()
        .regex(/^mqtts?:\/\/[^/\s]+$/)
        .optional()
        .describe('broker address given to enrolled gateways; default: this host (as the gateway reached it) on broker.tlsPort with TLS, else broker.port'),
      centralUrl: z.string().regex(/^https?:\/\/[^/\s]+\/?$/).optional().describe('address of this central printed in the technician\'s enroll command; default: https or http on this host name and http.port'),
      tokenTtlH: z.number().min(0.1).max(24 * 30).default(72).describe('how long an enrollment token is valid'),
    })
    .prefault({}),
  auth: AuthConfig.prefault({}),
  alerts: AlertsConfig.prefault({}),
  http: z
    .strictObject({
      host: z.string().default('0.0.0.0'),
      port: z.number().int().min(0).max(65535).default(8080),
    })
    .prefault({})
    .describe('HTTP API (latest camera frames; the web command room)'),
  snapshots: z
    .strictObject({
      dir: z.string().min(1).default('snapshots').describe('where snapshot files are kept'),
      retentionDays: z.number().min(1).max(3650).default(7),
      maxTotalMB: z.number().min(1).max(10_000_000).default(2048),
    })
    .prefault({}),
  complaints: z
    .strictObject({ photoDir: z.string().min(1).default('complaint-photos').describe('where photos sent with complaints are kept') })
    .prefault({})
    .describe('citizen complaints routed to OPDs (docs/bridges.md)'),
  log: z.strictObject({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info') }).prefault({}),
}).superRefine((cfg, ctx) => {
  if (!cfg.broker.plain && cfg.tls.dir === undefined) {
    ctx.addIssue({ code: 'custom', path: ['broker', 'plain'], message: 'false needs tls.dir (otherwise the broker would listen nowhere)' });
  }
});
export type CentralConfig = z.infer<typeof CentralConfig>;

export function loadCentralConfig(file: string): LoadedConfig<CentralConfig> {
  const loaded = loadConfigFile(CentralConfig, file, CENTRAL_CONFIG_VERSIONING);
  const base = dirname(resolve(file));
  const reg = loaded.value.registry;
  reg.db = resolve(base, reg.db);
  loaded.value.snapshots.dir = resolve(base, loaded.value.snapshots.dir);
  loaded.value.complaints.photoDir = resolve(base, loaded.value.complaints.photoDir);
  if (loaded.value.tls.dir !== undefined) loaded.value.tls.dir = resolve(base, loaded.value.tls.dir);
  if (reg.seed !== undefined) reg.seed = resolve(base, reg.seed);
  return loaded;
}

/** WGS84 coordinates; Indonesia spans about 6N-11S, 95E-141E, but the map takes any point. */
export const GeoPoint = z.strictObject({ lat: z.number().min(-90).max(90), lon: z.number().min(-180).max(180) });

/** The registry seed file: which OPD each gateway belongs to. */
export const RegistrySeed = z.strictObject({
  opds: z
    .array(
      z.strictObject({
        code: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, 'lower-case letters, digits, "_" or "-" (max 32)').describe('short OPD code; a tag in InfluxDB'),
        name: z.string().min(1).max(200),
        zone: IanaZone.default('Asia/Jakarta'),
        location: GeoPoint.optional().describe('office coordinates (WGS84) for the command room map'),
        gateways: z.array(z.string().regex(GATEWAY_ID_PATTERN, 'a gateway id')).default([]),
        employees: z
          .array(
            z.strictObject({
              pin: z.string().regex(/^[A-Za-z0-9_-]{1,32}$/).describe('user id as enrolled on the OPD\'s terminals'),
              nip: z.string().regex(/^[0-9A-Za-z.-]{1,32}$/).optional().describe('civil-servant number (NIP)'),
              name: z.string().min(1).max(200),
            }),
          )
          .default([])
          .describe('the roster: terminal user id -> employee; punches from unknown ids are kept and flagged'),
        schedule: WorkSchedule.optional().describe('working hours for presence reports; default Mon-Fri 07:30-16:00'),
      }),
    )
    .default([]),
}).superRefine((seed, ctx) => {
  const owner = new Map<string, string>();
  seed.opds.forEach((opd, i) => {
    opd.gateways.forEach((gw, j) => {
      const other = owner.get(gw);
      if (other !== undefined) ctx.addIssue({ code: 'custom', path: ['opds', i, 'gateways', j], message: `gateway ${gw} already belongs to OPD ${other}` });
      owner.set(gw, opd.code);
    });
    const pins = new Set<string>();
    opd.employees.forEach((e, j) => {
      if (pins.has(e.pin)) ctx.addIssue({ code: 'custom', path: ['opds', i, 'employees', j, 'pin'], message: `pin ${e.pin} appears twice in OPD ${opd.code}` });
      pins.add(e.pin);
    });
  });
});
export type RegistrySeed = z.infer<typeof RegistrySeed>;
