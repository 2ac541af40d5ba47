import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { loadConfigFile } from '../../protocols/config-file.js';
import { mosquittoFiles } from '../broker-acl.js';
import { datasetMosquittoFiles, DatasetStore, mosquittoDatasetUser } from '../bridges/index.js';
import { loadCentralConfig, RegistrySeed, type CentralConfig } from '../config.js';
import { centralSecret, generatePassword, hashPassword, mosquittoHash } from '../credentials.js';
import { Registry } from '../registry.js';

/*
 * The MQTT identities' commands: gateway passwords, and the files an external Mosquitto
 * needs to know the same identities.
 */

/** Where the central keeps its own MQTT password: beside the registry database. */
export function centralSecretFile(config: CentralConfig): string {
  return join(dirname(config.registry.db), 'central-mqtt-secret.json');
}

/**
 * `mosquitto-files`: password and ACL files for an external Mosquitto with our identities:
 * the central, every gateway with a password, and every dataset whose token has a
 * Mosquitto hash (tokens issued before the store kept one are listed, not exported).
 */
export function writeMosquittoFiles(configFile: string, outDir: string): number {
  const { value: config } = loadCentralConfig(configFile);
  const registry = new Registry(config.registry.db);
  const datasets = new DatasetStore(config.registry.db);
  try {
    const secret = centralSecret(centralSecretFile(config));
    const gateways = registry.mosquittoHashes();
    const files = mosquittoFiles(config.mqtt.topicRoot, { username: secret.username, hash: mosquittoHash(secret.password) }, gateways);
    const data = datasetMosquittoFiles(config.mqtt.topicRoot, datasets.mosquittoHashes(), files.acl);
    mkdirSync(outDir, { recursive: true });
    writeFileSync(join(outDir, 'passwd'), files.passwd + data.passwd, { mode: 0o600 });
    writeFileSync(join(outDir, 'acl'), files.acl + data.acl);
    console.log(`wrote ${join(outDir, 'passwd')} (the central, ${gateways.length} gateway(s), ${data.exported.length} dataset(s)) and ${join(outDir, 'acl')}`);
    if (data.exported.length > 0) console.log(`datasets publish as user dataset.{slug} (Mosquitto allows no ":" in a user name): ${data.exported.map(mosquittoDatasetUser).join(', ')}`);
    if (data.skipped.length > 0) {
      console.error(
        `${data.skipped.length} dataset(s) not exported, their token predates the Mosquitto hash: ${data.skipped.join(', ')}; ` +
          'issue a new token (POST /api/datasets/{slug}/token, or "New token" on the OPD data page), give it to the sending system, and run mosquitto-files again',
      );
    }
    return 0;
  } finally {
    datasets.close();
    registry.close();
  }
}

/**
 * `gateway-password`: a new password for each gateway named; only the hashes are kept.
 * Every name is checked before any password changes, so a typo changes nothing.
 */
export async function setGatewayPasswords(configFile: string, gateways: string[]): Promise<number> {
  const { value: config } = loadCentralConfig(configFile);
  const registry = new Registry(config.registry.db);
  try {
    if (config.registry.seed !== undefined) registry.seed(loadConfigFile(RegistrySeed, config.registry.seed).value);
    const unknown = gateways.filter((gw) => !registry.gateway(gw));
    if (unknown.length > 0) {
      console.error(`pemda-central gateway-password: ${unknown.map((gw) => `"${gw}"`).join(', ')} not in the registry; add each to an OPD in the registry seed first (no password was changed)`);
      return 2;
    }
    const passwords = new Map<string, string>();
    for (const gw of new Set(gateways)) {
      const password = generatePassword();
      registry.setPasswordHash(gw, await hashPassword(password), mosquittoHash(password));
      passwords.set(gw, password);
    }
    const only = passwords.size === 1 ? [...passwords][0] : undefined;
    if (only) {
      const [gw, password] = only;
      console.log(`Password for ${gw} (shown once; put it in the gateway config as mqtt.password):\n${password}`);
    } else {
      console.log('Passwords (shown once; put each in its gateway config as mqtt.password):');
      for (const [gw, password] of passwords) console.log(`${gw} ${password}`);
    }
    return 0;
  } finally {
    registry.close();
  }
}
