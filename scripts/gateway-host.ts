#!/usr/bin/env node
import { pino } from 'pino';
import { ConfigError } from '../protocols/config-file.js';
import { loadGatewayConfig } from '../edge/config.js';
import { Gateway } from '../edge/gateway.js';

/**
 * Runs several gateways in one process, each with its own config, outbox and MQTT
 * session: how the fault suite and benchmarks simulate many offices on 2 cores.
 * Production runs one `pemda-edge` per office box.
 *
 *   node dist/scripts/gateway-host.js gw-1.yaml gw-2.yaml ...
 */
const files = process.argv.slice(2);
if (files.length === 0) {
  console.error('usage: gateway-host CONFIG.yaml [CONFIG.yaml ...]');
  process.exit(2);
}
const gateways: Gateway[] = [];
try {
  for (const file of files) {
    const { value: config, hash } = loadGatewayConfig(file);
    const log = pino({ level: config.log.level, base: { gateway: config.gateway.id } });
    gateways.push(new Gateway(config, hash, log));
  }
} catch (err) {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(2);
}
await Promise.all(gateways.map((g) => g.start()));
console.log(JSON.stringify({ msg: 'gateway host ready', gateways: gateways.length }));
let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  void Promise.all(gateways.map((g) => g.stop())).then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
