import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, parseConfig } from '../../protocols/config-file.js';
import { GatewayConfig } from '../../edge/config.js';
import { SCHEMA_FILES } from '../../scripts/write-schemas.js';

const ROOT = join(import.meta.dirname, '..', '..');

function problems(text: string) {
  try {
    parseConfig(GatewayConfig, text, 'gw.yaml');
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('gateway config', () => {
  const good = `gateway:
  id: gw-dinkes-01
terminals:
  - id: lobby
    driver: line-serial
    port: /dev/ttyUSB0
    zone: Asia/Makassar
`;

  it('fills defaults', () => {
    const { value, hash } = parseConfig(GatewayConfig, good, 'gw.yaml');
    expect(value.mqtt.url).toBe('mqtt://127.0.0.1:1883');
    expect(value.terminals[0]).toMatchObject({ baudRate: 9600, format: { separator: ',', fields: ['employee', 'time', 'status'] } });
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('names the key and the line of each mistake', () => {
    const err = problems(good.replace('Asia/Makassar', 'WITA').replace('gw-dinkes-01', 'GW Dinkes'));
    expect(err.problems.map((p) => [p.key, p.line])).toEqual([
      ['gateway.id', 2],
      ['terminals[0].zone', 7],
    ]);
    expect(err.message).toMatch(/gw\.yaml:7:\d+ terminals\[0\]\.zone: not a known IANA time zone/);
  });

  it('points a missing key at its parent and reports YAML syntax errors with a line', () => {
    expect(problems('gateway: {}\n').problems[0]).toMatchObject({ key: 'gateway.id', line: 1 });
    expect(problems('gateway:\n  id: [unclosed\n').problems[0]?.message).toMatch(/YAML syntax/);
    expect(problems(good + 'terminals: []\n').problems[0]?.message).toMatch(/YAML syntax/);
  });

  it('refuses unknown keys (typos) and duplicate terminal ids', () => {
    expect(problems(good.replace('port:', 'prot:')).problems.some((p) => p.key === 'terminals[0]' && /prot/.test(p.message))).toBe(true);
    const dup = good + '  - id: lobby\n    driver: line-serial\n    port: /dev/ttyUSB1\n    zone: Asia/Makassar\n';
    expect(problems(dup).problems[0]).toMatchObject({ key: 'terminals[1].id', line: 8 });
  });

  it('the published JSON Schema files match the code', () => {
    for (const [file, make] of Object.entries(SCHEMA_FILES)) {
      expect(readFileSync(join(ROOT, file), 'utf8'), `${file} is stale: run npm run build`).toBe(make());
    }
  });
});

describe('example configs', () => {
  it('validate against their schemas', async () => {
    const { loadGatewayConfig } = await import('../../edge/config.js');
    const { loadCentralConfig, RegistrySeed } = await import('../../central/config.js');
    const { loadConfigFile } = await import('../../protocols/config-file.js');
    const dir = join(ROOT, 'firmware-config', 'examples');
    expect(loadGatewayConfig(join(dir, 'gateway-small-office.yaml')).value.terminals).toHaveLength(1);
    const central = loadCentralConfig(join(dir, 'central.yaml')).value;
    expect(loadConfigFile(RegistrySeed, central.registry.seed!).value.opds.length).toBeGreaterThan(0);
  });
});
