#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { InfluxDB } from 'influx';
import { pino, type Logger } from 'pino';
import { ConfigError, loadConfigFile } from '../protocols/config-file.js';
import { EmbeddedBroker } from './broker.js';
import { CENTRAL_CONFIG_VERSIONING, loadCentralConfig, RegistrySeed, type CentralConfig } from './config.js';
import { migrateConfigFile } from '../protocols/config-version.js';
import { Ingest } from './ingest.js';
import { InfluxWriter } from './influx-writer.js';
import { Registry } from './registry.js';
import { dirname } from 'node:path';
import { BrokerAcl } from './broker-acl.js';
import { centralSecret } from './credentials.js';
import { sendCommand } from './command.js';
import { SnapshotStore } from './snapshot-store.js';
import { HttpApi } from './http.js';
import { LiveState } from './live-state.js';
import { grafanaMain } from './grafana/cli.js';
import { reportMain } from './reports/cli.js';
import { ensureInfluxSchema } from './influx-schema.js';
import { Command, COMMAND_NAMES } from '../protocols/mqtt/payloads.js';
import { fingerprint, loadTlsFiles } from './pki.js';
import { RELEASE_VERSION } from '../protocols/version.js';
import { Enrollment } from './enroll.js';
import { enrollTokenMain, pkiMain } from './cli/security.js';
import { Auth, UserStore, userMain } from './auth/index.js';
import { AlertEngine } from './alerts/index.js';
import type { ReportsSources } from './reports/api.js';
import { complaintFigures, datasetTopicFilter, ingestMqttDatasetMessage, openBridges } from './bridges/index.js';
import { loadHolidays } from './reports/build.js';
import { monthPeriod } from './reports/period.js';
import { SystemdNotifier } from '../host/sd-notify.js';
import { runMain } from '../host/program.js';
import { centralSecretFile, setGatewayPasswords, writeMosquittoFiles } from './cli/identities.js';

const USAGE = `pemda-central: the command-center aggregator

Usage:
  pemda-central run --config FILE     run broker, ingest and InfluxDB writer
  pemda-central config check FILE     validate a config file (and its registry seed) and exit
  pemda-central config migrate FILE [--write]
                                      bring a config written for an older release to the current format
  pemda-central report --config FILE --opd CODE --month 2026-11|--week 2026-11-23|--day 2026-11-26 [--format csv|xlsx] [--out FILE]
                                      presence report per OPD (docs/reports.md)
  pemda-central grafana write|push ...  dashboards and data source as code (pemda-central grafana --help)
  pemda-central pki --config FILE [--host NAME ...] [--days 825]
                                      make the installation's CA (once) and a server certificate in tls.dir
  pemda-central enroll-token --config FILE --opd CODE [--gateway GW] [--ttl-h 72]
                                      a single-use token for pemda-edge enroll on a new gateway box
  pemda-central user add|list|passwd|role|disable|enable|remove|token|tokens|revoke-token --config FILE ...
                                      command-room users and API tokens (pemda-central user --help); the first admin comes from here
  pemda-central gateway-password --config FILE --gateway GW [--gateway GW2 ...]
                                      set a new MQTT password for a gateway and print it once
  pemda-central mosquitto-files --config FILE --out DIR
                                      password and ACL files for an external Mosquitto 2 (same identities)
  pemda-central command --config FILE --gateway GW --name sync-clock|download-logs|snapshot-full [--terminal ID] [--camera ID] [--timeout-s 60]
                                      send a command to a gateway and print its result
  pemda-central --help

Exit codes: 0 ok, 1 runtime failure, 2 bad usage or bad config.`;

/** Waits for InfluxDB and prepares the database; the central is useless without it. */
async function prepareInflux(influx: InfluxDB, database: string, log: Logger): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await ensureInfluxSchema(influx, database, log);
      return;
    } catch (err) {
      if (attempt === 1 || attempt % 10 === 0) log.warn({ err: (err as Error).message, attempt }, 'waiting for InfluxDB');
      await new Promise((r) => setTimeout(r, Math.min(5000, 250 * attempt)));
    }
  }
}

function influxClient(config: CentralConfig): InfluxDB {
  const url = new URL(config.influx.url);
  return new InfluxDB({
    host: url.hostname,
    port: Number(url.port || (url.protocol === 'https:' ? 443 : 8086)),
    protocol: url.protocol === 'https:' ? 'https' : 'http',
    database: config.influx.database,
    ...(config.influx.username !== undefined && { username: config.influx.username }),
    ...(config.influx.password !== undefined && { password: config.influx.password }),
  });
}

async function run(configFile: string): Promise<void> {
  const { value: config, migrated } = loadCentralConfig(configFile);
  const seed = config.registry.seed !== undefined ? loadConfigFile(RegistrySeed, config.registry.seed).value : undefined;
  const log = pino({ level: config.log.level, base: { service: 'central' } });
  if (migrated.length > 0) log.warn({ migrated }, `${configFile} is in an older format (read anyway): run pemda-central config migrate ${configFile} --write`);
  const systemd = SystemdNotifier.fromEnvironment(process.env, { log, unsetEnvironment: true });

  const registry = new Registry(config.registry.db);
  if (seed) registry.seed(seed);
  const influx = influxClient(config);
  await prepareInflux(influx, config.influx.database, log);
  const writer = new InfluxWriter(influx, config.influx, log.child({ part: 'influx' }));

  // Its own writer: a bad dataset batch never holds back gateway acks.
  const datasetWriter = new InfluxWriter(influx, config.influx, log.child({ part: 'influx-datasets' }));
  const bridges = openBridges({ db: config.registry.db, photoDir: config.complaints.photoDir, sink: datasetWriter, influx, registry, log: log.child({ part: 'bridges' }) });

  let broker: EmbeddedBroker | undefined;
  let url = config.mqtt.url;
  const tls = config.tls.dir !== undefined ? loadTlsFiles(config.tls.dir) : undefined;
  // The central's own identity, on the embedded broker and on an external one set up
  // with mosquitto-files; mqtt.username/password in the config take precedence.
  const secret = centralSecret(centralSecretFile(config));
  const identity: { username?: string; password?: string } = secret;
  let brokerPorts: { port?: number; tlsPort?: number } = {};
  if (config.broker.embedded) {
    const acl = new BrokerAcl(
      {
        auth: config.broker.auth,
        topicRoot: config.mqtt.topicRoot,
        centralPassword: secret.password,
        gatewayHash: (gw) => registry.passwordHash(gw),
        datasetToken: (slug, token) => bridges.datasets.verifyToken(slug, token),
      },
      log.child({ part: 'acl' }),
    );
    if (config.broker.auth === 'off') log.warn('broker.auth is off: any client may connect and publish; remove broker.auth: off once gateways have passwords');
    broker = new EmbeddedBroker(
      {
        host: config.broker.host,
        port: config.broker.plain ? config.broker.port : undefined,
        tls: tls && { port: config.broker.tlsPort, cert: tls.cert, key: tls.key },
        maxConnections: config.broker.maxConnections,
        keepaliveLimitS: config.broker.keepaliveLimitS,
      },
      acl,
      log.child({ part: 'broker' }),
    );
    brokerPorts = await broker.start();
    url ??= brokerPorts.port !== undefined ? `mqtt://127.0.0.1:${brokerPorts.port}` : `mqtts://127.0.0.1:${brokerPorts.tlsPort}`;
  }
  if (url === undefined) throw new ConfigError(configFile, [{ key: 'mqtt.url', line: 0, column: 0, message: 'required when broker.embedded is false' }]);
  const enrollment = new Enrollment(
    registry,
    {
      topicRoot: config.mqtt.topicRoot,
      mqttUrl: config.enroll.mqttUrl,
      brokerPort: brokerPorts.port ?? config.broker.port,
      tls: tls && { port: brokerPorts.tlsPort ?? config.broker.tlsPort, caPem: tls.ca.toString('utf8') },
      tokenTtlH: config.enroll.tokenTtlH,
    },
    log.child({ part: 'enroll' }),
  );
  const snapshots = new SnapshotStore(config.snapshots.dir, config.snapshots, log.child({ part: 'snapshots' }));
  snapshots.sweep();
  const sweeper = setInterval(() => snapshots.sweep(), 3600_000);
  const live = new LiveState();
  const users = new UserStore(config.registry.db);
  const opdName = (code: string) => registry.opds().find((o) => o.code === code)?.name;
  const auth = new Auth(users, { ...config.auth, https: tls !== undefined, opdName }, log.child({ part: 'auth' }));
  if (users.users().length === 0) log.warn('no command-room users yet: add the first admin with pemda-central user add --config FILE --username NAME --role admin');
  const holidayDir = dirname(config.registry.seed ?? config.registry.db);
  const alerts = new AlertEngine(config.registry.db, config.alerts, { live, registry, isHoliday: holidayCalendar(holidayDir, log) }, log.child({ part: 'alerts' }));
  alerts.start();
  const reports: ReportsSources = {
    influx: {
      url: config.influx.url,
      database: config.influx.database,
      ...(config.influx.username !== undefined && { username: config.influx.username }),
      ...(config.influx.password !== undefined && { password: config.influx.password }),
    },
    registry,
    seedFile: config.registry.seed,
    holidayDir,
    responseTimes: (opd, fromMs, toMs) => alerts.responseTimes(opd, fromMs, toMs),
    complaintFigures: (opd, fromMs, toMs) => complaintFigures(bridges.complaints.store.times(fromMs, toMs), opd),
  };
  const admin = { enrollment, version: RELEASE_VERSION, caFingerprint: tls && fingerprint(tls.ca) };
  const http = new HttpApi({ ...config.http, tls, anonymousView: config.auth.anonymousView }, { snapshots, live, registry, enrollment, auth, admin, alerts, reports, bridges }, log.child({ part: 'http' }));
  await http.start();
  const datasetLog = log.child({ part: 'datasets-mqtt' });
  const extra = {
    filter: datasetTopicFilter(config.mqtt.topicRoot),
    handle: (topic: string, payload: Buffer) => {
      ingestMqttDatasetMessage(bridges.datasets, topic, payload, config.mqtt.topicRoot).then(
        (result) => {
          if (result && result.status !== 200) datasetLog.warn({ topic, status: result.status, result: result.body }, 'dataset rows over MQTT refused in part or whole');
        },
        (err: unknown) => datasetLog.error({ topic, err: (err as Error).message }, 'dataset rows over MQTT not stored'),
      );
    },
  };
  const ingest = new Ingest({ ...identity, ...config.mqtt, url, ...(tls && { ca: tls.ca }), extra }, registry, writer, snapshots, live, log.child({ part: 'ingest' }));
  await ingest.start();
  log.info('central ready');
  void systemd.ready(`broker ${url}, HTTP ${config.http.host}:${config.http.port}`);
  // Alive: the event loop turns and the registry database answers.
  systemd.startWatchdog(() => {
    try {
      registry.opds();
      return { alive: true };
    } catch (err) {
      return { alive: false, problem: `registry database does not answer: ${(err as Error).message}` };
    }
  });

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping');
    const told = systemd.stopping(`stopping (${signal})`);
    clearInterval(sweeper);
    await http.stop();
    bridges.close();
    await datasetWriter.close();
    await alerts.stop();
    users.close();
    await ingest.stop();
    await writer.close();
    await broker?.stop();
    registry.close();
    await told;
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

async function runCommand(configFile: string, gateway: string, args: { name: string; terminal?: string | undefined; camera?: string | undefined }, timeoutS: number): Promise<number> {
  const { value: config } = loadCentralConfig(configFile);
  const parsed = Command.pick({ name: true, terminal: true, camera: true }).safeParse(args);
  if (!parsed.success || !(timeoutS > 0)) {
    console.error(`pemda-central command: --name must be one of ${COMMAND_NAMES.join(', ')}, --terminal/--camera a device id, --timeout-s a positive number`);
    return 2;
  }
  const tls = config.tls.dir !== undefined ? loadTlsFiles(config.tls.dir) : undefined;
  const url = config.mqtt.url ?? (config.broker.plain ? `mqtt://127.0.0.1:${config.broker.port}` : `mqtts://127.0.0.1:${config.broker.tlsPort}`);
  const identity = centralSecret(centralSecretFile(config));
  const result = await sendCommand({ ...identity, ...config.mqtt, url, ...(tls && { ca: tls.ca }) }, gateway, parsed.data, timeoutS * 1000);
  console.log(`${result.ok ? 'OK' : 'FAILED'}: ${result.message}`);
  return result.ok ? 0 : 1;
}

/** `report`: presence per OPD for a day, week or month, as CSV or XLSX (docs/reports.md). */
async function runReport(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, strict: false, options: { config: { type: 'string', short: 'c' } } });
  if (typeof values.config !== 'string') {
    console.error('pemda-central report: --config FILE is required (for InfluxDB and the registry seed)');
    return 2;
  }
  const { value: config } = loadCentralConfig(values.config);
  return reportMain(args, {
    registryDb: config.registry.db,
    influxUrl: config.influx.url,
    database: config.influx.database,
    registrySeedFile: config.registry.seed,
    ...(config.influx.username !== undefined && { influxUsername: config.influx.username }),
    ...(config.influx.password !== undefined && { influxPassword: config.influx.password }),
  });
}

/**
 * National holidays (holidays-YYYY.yaml beside the registry seed, as for reports), so
 * "no punches this morning" stays quiet on a day off. Re-read hourly: the admin may add
 * a cuti bersama day during the year.
 */
function holidayCalendar(dir: string, log: Logger): (opd: string, date: string) => boolean {
  const years = new Map<string, { dates: Set<string>; at: number }>();
  return (_opd, date) => {
    const year = date.slice(0, 4);
    let entry = years.get(year);
    if (!entry || Date.now() - entry.at > 3_600_000) {
      let dates = new Set<string>();
      try {
        dates = new Set(loadHolidays({ dir }, monthPeriod(`${year}-01`)).holidays.map((h) => h.date));
      } catch (err) {
        log.warn({ err: (err as Error).message, dir, year }, 'holiday file unreadable: every weekday counts as a workday for alerts');
      }
      entry = { dates, at: Date.now() };
      years.set(year, entry);
    }
    return entry.dates.has(date);
  };
}

async function main(argv: string[]): Promise<number> {
  // Subcommands with options of their own parse their own arguments.
  if (argv[0] === 'grafana') return grafanaMain(argv.slice(1));
  if (argv[0] === 'report') return runReport(argv.slice(1));
  if (argv[0] === 'pki') return pkiMain(argv.slice(1));
  if (argv[0] === 'user') {
    const { values } = parseArgs({ args: argv.slice(1), strict: false, options: { config: { type: 'string', short: 'c' } } });
    if (typeof values.config !== 'string') {
      console.error('pemda-central user: --config FILE is required (users live in its registry database)');
      return 2;
    }
    return userMain(argv.slice(1), loadCentralConfig(values.config).value.registry.db);
  }
  if (argv[0] === 'enroll-token') return enrollTokenMain(argv.slice(1));
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      config: { type: 'string', short: 'c' },
      help: { type: 'boolean', short: 'h' },
      gateway: { type: 'string', multiple: true },
      name: { type: 'string' },
      terminal: { type: 'string' },
      camera: { type: 'string' },
      out: { type: 'string' },
      'timeout-s': { type: 'string', default: '60' },
      write: { type: 'boolean' },
    },
  });
  const [command, sub, file] = positionals;
  if (values.help || command === undefined) {
    console.log(USAGE);
    return values.help ? 0 : 2;
  }
  if (command === 'run' && values.config) {
    await run(values.config);
    return -1;
  }
  const gateway = values.gateway?.at(-1);
  if (command === 'command' && values.config && gateway && values.name) {
    return runCommand(values.config, gateway, { name: values.name, terminal: values.terminal, camera: values.camera }, Number(values['timeout-s']));
  }
  if (command === 'gateway-password' && values.config && values.gateway) return setGatewayPasswords(values.config, values.gateway);
  if (command === 'mosquitto-files' && values.config && values.out) return writeMosquittoFiles(values.config, values.out);
  if (command === 'config' && sub === 'migrate' && file) {
    migrateConfigFile(file, CENTRAL_CONFIG_VERSIONING, values.write === true).forEach((l) => console.log(l));
    return 0;
  }
  if (command === 'config' && sub === 'check' && file) {
    const { value } = loadCentralConfig(file);
    const seed = value.registry.seed !== undefined ? loadConfigFile(RegistrySeed, value.registry.seed).value : undefined;
    console.log(`${file}: OK${seed ? ` (${seed.opds.length} OPD(s) in ${value.registry.seed})` : ''}`);
    return 0;
  }
  console.error(`pemda-central: unknown or incomplete command "${positionals.join(' ')}"\n\n${USAGE}`);
  return 2;
}

runMain('pemda-central', USAGE, () => main(process.argv.slice(2)));
