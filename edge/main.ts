#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { GATEWAY_CONFIG_VERSIONING, loadGatewayConfig } from './config.js';
import { migrateConfigFile } from '../protocols/config-version.js';
import { Gateway } from './gateway.js';
import { SystemdNotifier } from '../host/sd-notify.js';
import { formatStatus, readStatus } from './cli/status.js';
import { runDoctor } from './cli/doctor.js';
import { defaultLang } from './cli/doctor-text.js';
import { enrollMain } from './cli/enroll.js';
import { configSnippet, describeFound, expandHosts, listSerialPorts, probeOnvif, probeZk } from './cli/discover.js';
import { runMain } from '../host/program.js';

const USAGE = `pemda-edge: the OPD office gateway

Usage:
  pemda-edge run --config FILE        run the gateway
  pemda-edge enroll --central URL --token T [--ca-sha256 HEX] [--id GW] [--config /etc/pemda/gateway.yaml] [--force]
                                      join the installation: get this box's id, password and CA, write a starter config
  pemda-edge config check FILE        validate a config file and exit
  pemda-edge config migrate FILE [--write]
                                      bring a config written for an older release to the current format
  pemda-edge status --config FILE     outbox depth, last ack, last punch per terminal
  pemda-edge doctor --config FILE [--lang id|en]
                                      check data folder, broker, central, every terminal, camera and panic input, clock
  pemda-edge discover [--zk-hosts 192.168.1.0/24] [--zk-port 4370] [--onvif] [--onvif-hosts H] [--onvif-port 3702] [--timeout-ms 1500]
                                      list serial ports, ZK terminals and ONVIF cameras, as config
  pemda-edge --help

Exit codes: 0 ok, 1 runtime failure (doctor: a check failed), 2 bad usage or bad config.`;

async function run(configFile: string): Promise<void> {
  const { value: config, hash, migrated } = loadGatewayConfig(configFile);
  const log = pino({ level: config.log.level, base: { gateway: config.gateway.id } });
  if (migrated.length > 0) log.warn({ migrated }, `${configFile} is in an older format (read anyway): run pemda-edge config migrate ${configFile} --write`);
  const systemd = SystemdNotifier.fromEnvironment(process.env, { log, unsetEnvironment: true });
  const gateway = new Gateway(config, hash, log);
  await gateway.start();
  // Up means terminals, cameras and the ADMS server started and the outbox open; the
  // broker may still be unreachable, which the outbox is there for.
  void systemd.ready(`gateway ${config.gateway.id}: ${config.terminals.length} terminal(s), ${config.cameras.length} camera(s)`);
  // Alive: the event loop turns (the keep-alive timer runs on it) and the outbox answers.
  systemd.startWatchdog(() => {
    try {
      gateway.outbox.lastAckedSeq();
      return { alive: true };
    } catch (err) {
      return { alive: false, problem: `outbox database does not answer: ${(err as Error).message}` };
    }
  });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping');
    const told = systemd.stopping(`stopping (${signal})`);
    gateway.stop().then(
      () => told.then(() => process.exit(0)),
      (err: unknown) => {
        log.error({ err }, 'error while stopping');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

async function main(argv: string[]): Promise<number> {
  if (argv[0] === 'enroll') return enrollMain(argv.slice(1));
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      config: { type: 'string', short: 'c' },
      help: { type: 'boolean', short: 'h' },
      lang: { type: 'string' },
      'zk-hosts': { type: 'string' },
      'zk-port': { type: 'string', default: '4370' },
      'timeout-ms': { type: 'string', default: '1500' },
      onvif: { type: 'boolean' },
      'onvif-hosts': { type: 'string' },
      'onvif-port': { type: 'string', default: '3702' },
      write: { type: 'boolean' },
    },
  });
  const [command, sub, file] = positionals;
  if (values.help || command === undefined) {
    console.log(USAGE);
    return values.help ? 0 : 2;
  }
  if (command === 'run') {
    if (!values.config) {
      console.error('pemda-edge run: --config FILE is required');
      return 2;
    }
    await run(values.config);
    return -1; // keeps running
  }
  if (command === 'status' && values.config) {
    const { value } = loadGatewayConfig(values.config);
    console.log(formatStatus(value.gateway.id, readStatus(value)));
    return 0;
  }
  if (command === 'doctor' && values.config) {
    const lang = values.lang ?? defaultLang();
    if (lang !== 'id' && lang !== 'en') {
      console.error('pemda-edge doctor: --lang must be id or en');
      return 2;
    }
    const { value } = loadGatewayConfig(values.config);
    return runDoctor(value, lang, (line) => console.log(line), process.stdout.isTTY === true);
  }
  if (command === 'discover') {
    const ports = await listSerialPorts();
    const hosts = values['zk-hosts'] ? expandHosts(values['zk-hosts']) : [];
    const terminals = hosts.length > 0 ? await probeZk(hosts, Number(values['zk-port']), Number(values['timeout-ms']), (done, total) => process.stderr.write(`probing ZK terminals: ${done}/${total}\r`)) : [];
    if (hosts.length > 0) process.stderr.write('\n');
    const onvifHosts = values['onvif-hosts'] ? expandHosts(values['onvif-hosts']) : [];
    const cameras = values.onvif || onvifHosts.length > 0 ? await probeOnvif(onvifHosts, Number(values['onvif-port']), Number(values['timeout-ms'])) : [];
    console.log(describeFound(terminals, ports, cameras));
    if (terminals.length + ports.length + cameras.length > 0) console.log(`\nReady to paste into the gateway config:\n${configSnippet(terminals, ports, cameras)}`);
    return 0;
  }
  if (command === 'config' && sub === 'migrate' && file) {
    migrateConfigFile(file, GATEWAY_CONFIG_VERSIONING, values.write === true).forEach((l) => console.log(l));
    return 0;
  }
  if (command === 'config' && sub === 'check' && file) {
    const { value } = loadGatewayConfig(file);
    console.log(`${file}: OK (gateway ${value.gateway.id}, ${value.terminals.length} terminal(s))`);
    return 0;
  }
  console.error(`pemda-edge: unknown command "${positionals.join(' ')}"\n\n${USAGE}`);
  return 2;
}

runMain('pemda-edge', USAGE, () => main(process.argv.slice(2)));
