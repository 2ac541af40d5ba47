import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { GatewayConfig } from '../edge/config.js';
import { CentralConfig, RegistrySeed } from '../central/config.js';
import * as payloads from '../protocols/mqtt/payloads.js';
import { openApiDocument } from '../central/openapi.js';

/**
 * Publishes the zod schemas as JSON Schema files: the gateway config for technicians'
 * editors, the central's files, and the MQTT payloads for other implementers.
 * `--check` fails when a committed file is out of date instead of writing it.
 */
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

function jsonSchema(schema: z.ZodType, title: string, io: 'input' | 'output'): string {
  return JSON.stringify({ title, ...z.toJSONSchema(schema, { io, unrepresentable: 'any' }) }, null, 2) + '\n';
}

export const SCHEMA_FILES: Record<string, () => string> = {
  'firmware-config/gateway.schema.json': () => jsonSchema(GatewayConfig, 'Pemda gateway (pemda-edge) configuration', 'input'),
  'firmware-config/central.schema.json': () => jsonSchema(CentralConfig, 'Pemda central (pemda-central) configuration', 'input'),
  'firmware-config/registry-seed.schema.json': () => jsonSchema(RegistrySeed, 'Pemda central registry seed', 'input'),
  'docs/openapi.json': () => JSON.stringify(openApiDocument(), null, 2) + '\n',
  'docs/mqtt-payloads.schema.json': () =>
    JSON.stringify(
      {
        title: `Pemda MQTT contract v${payloads.CONTRACT_VERSION} payloads`,
        $defs: Object.fromEntries(
          (['GatewayStatus', 'EventsBatch', 'Ack', 'Health', 'CentralState', 'Command', 'CommandResult'] as const).map((name) => [name, z.toJSONSchema(payloads[name], { io: 'output', unrepresentable: 'any' })]),
        ),
      },
      null,
      2,
    ) + '\n',
};

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const check = process.argv.includes('--check');
  let stale = 0;
  for (const [file, make] of Object.entries(SCHEMA_FILES)) {
    const path = join(root, file);
    const text = make();
    let current = '';
    try {
      current = readFileSync(path, 'utf8');
    } catch {
      // missing counts as stale
    }
    if (current === text) continue;
    if (check) {
      stale++;
      console.error(`${file} is out of date: run npm run build`);
    } else {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, text);
      console.log(`wrote ${file}`);
    }
  }
  process.exitCode = stale > 0 ? 1 : 0;
}
