import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { loadConfigFile } from '../../protocols/config-file.js';
import { loadCentralConfig, RegistrySeed, type CentralConfig } from '../config.js';
import { Enrollment } from '../enroll.js';
import { createPki, fingerprint, loadTlsFiles } from '../pki.js';
import { Registry } from '../registry.js';

/**
 * `pemda-central pki`: the installation's CA (made once, kept) and a server
 * certificate for the names gateways and browsers use to reach the central.
 */
export function pkiMain(args: string[]): number {
  const { values } = parseArgs({
    args,
    options: { config: { type: 'string', short: 'c' }, host: { type: 'string', multiple: true }, days: { type: 'string' }, name: { type: 'string' } },
  });
  if (typeof values.config !== 'string') {
    console.error('pemda-central pki: --config FILE is required (the certificates go to its tls.dir)');
    return 2;
  }
  const { value: config } = loadCentralConfig(values.config);
  if (config.tls.dir === undefined) {
    console.error(`pemda-central pki: ${values.config} has no tls.dir; add e.g.\n  tls:\n    dir: pki\nand run this again`);
    return 2;
  }
  const days = values.days === undefined ? undefined : Number(values.days);
  if (days !== undefined && !(Number.isInteger(days) && days >= 1 && days <= 825)) {
    console.error('pemda-central pki: --days must be a whole number from 1 to 825 (browsers refuse longer server certificates)');
    return 2;
  }
  // Loopback names are always included: the central's own ingest and CLI connect there.
  const hosts = [...(values.host ?? [hostname()]), 'localhost', '127.0.0.1'];
  const result = createPki(config.tls.dir, { name: values.name ?? 'Pemda Command Center', hosts, ...(days !== undefined && { days }) });
  console.log(`${result.caCreated ? 'Created a new CA' : 'Kept the existing CA'} in ${result.dir}`);
  console.log(`Server certificate for ${result.hosts.join(', ')}, valid until ${result.notAfter}`);
  console.log(`CA fingerprint (SHA-256), for pemda-edge enroll --ca-sha256:\n${result.caFingerprint}`);
  console.log('Restart pemda-central to use the new certificate.');
  return 0;
}

/** Where a technician's box reaches this central over HTTP(S), for the printed command. */
function centralUrl(config: CentralConfig): string {
  if (config.enroll.centralUrl !== undefined) return config.enroll.centralUrl.replace(/\/$/, '');
  return `${config.tls.dir !== undefined ? 'https' : 'http'}://${hostname()}:${config.http.port}`;
}

/** `pemda-central enroll-token`: a single-use token for a new gateway box of an OPD. */
export function enrollTokenMain(args: string[]): number {
  const { values } = parseArgs({
    args,
    options: { config: { type: 'string', short: 'c' }, opd: { type: 'string' }, gateway: { type: 'string' }, 'ttl-h': { type: 'string' } },
  });
  if (typeof values.config !== 'string' || typeof values.opd !== 'string') {
    console.error('pemda-central enroll-token: --config FILE and --opd CODE are required');
    return 2;
  }
  const { value: config } = loadCentralConfig(values.config);
  const ttlH = values['ttl-h'] === undefined ? config.enroll.tokenTtlH : Number(values['ttl-h']);
  if (!(ttlH >= 0.1 && ttlH <= 720)) {
    console.error('pemda-central enroll-token: --ttl-h must be between 0.1 and 720 hours');
    return 2;
  }
  const registry = new Registry(config.registry.db);
  try {
    if (config.registry.seed !== undefined) registry.seed(loadConfigFile(RegistrySeed, config.registry.seed).value);
    // Only token bookkeeping happens here; broker details are filled in when the box enrolls.
    const enrollment = new Enrollment(registry, { topicRoot: config.mqtt.topicRoot, mqttUrl: undefined, brokerPort: config.broker.port, tls: undefined, tokenTtlH: ttlH }, pino({ level: 'silent' }));
    let created: { token: string; expiresAt: Date };
    try {
      created = enrollment.createToken(values.opd, values.gateway, ttlH);
    } catch (err) {
      console.error(`pemda-central enroll-token: ${(err as Error).message}`);
      return 2;
    }
    const pin = config.tls.dir !== undefined ? ` --ca-sha256 ${fingerprint(loadTlsFiles(config.tls.dir).ca)}` : '';
    console.log(`Enrollment token for OPD ${values.opd}${values.gateway ? `, gateway ${values.gateway}` : ''} (single use, valid until ${created.expiresAt.toISOString()}):`);
    console.log(created.token);
    console.log(`\nOn the new gateway box, run:\n  pemda-edge enroll --central ${centralUrl(config)} --token ${created.token}${pin}`);
    if (!pin) console.log('\nWarning: this central has no tls.dir: the password will travel unencrypted. Run pemda-central pki first on a real network.');
    return 0;
  } finally {
    registry.close();
  }
}
