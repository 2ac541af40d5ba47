import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { ConfigError, parseConfig } from '../../protocols/config-file.js';
import { migrateConfigFile, versionKey, type Versioning } from '../../protocols/config-version.js';
import { GATEWAY_CONFIG_VERSIONING, GatewayConfig } from '../../edge/config.js';

/** A made-up history of three formats, to exercise the chain as a real upgrade would. */
const history: Versioning = {
  current: 3,
  program: 'pemda-test',
  migrations: [
    {
      from: 1,
      describe: 'gateway.outboxMB is now outbox.budgetMB',
      apply: (doc) => {
        const mb: unknown = doc.getIn(['gateway', 'outboxMB']);
        doc.deleteIn(['gateway', 'outboxMB']);
        if (mb !== undefined) doc.setIn(['outbox', 'budgetMB'], mb);
      },
    },
    { from: 2, describe: 'health.every (minutes) is now health.intervalS', apply: (doc) => {
      const every: unknown = doc.getIn(['health', 'every']);
      if (typeof every === 'number') {
        doc.deleteIn(['health', 'every']);
        doc.setIn(['health', 'intervalS'], every * 60);
      }
    } },
  ],
};
const Schema = z.strictObject({
  version: versionKey(history),
  gateway: z.strictObject({ id: z.string() }),
  outbox: z.strictObject({ budgetMB: z.number() }).optional(),
  health: z.strictObject({ intervalS: z.number() }).optional(),
});

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('config format versions', () => {
  const v1 = '# office gateway\ngateway:\n  id: gw-1\n  outboxMB: 64 # small SD card\nhealth:\n  every: 2\n';

  it('reads a file without version as version 1 and migrates it step by step', () => {
    const loaded = parseConfig(Schema, v1, 'g.yaml', history);
    expect(loaded.value).toEqual({ version: 3, gateway: { id: 'gw-1' }, outbox: { budgetMB: 64 }, health: { intervalS: 120 } });
    expect(loaded.migrated).toEqual(['version 1 -> 2: gateway.outboxMB is now outbox.budgetMB', 'version 2 -> 3: health.every (minutes) is now health.intervalS']);
    expect(parseConfig(Schema, 'version: 3\ngateway:\n  id: gw-1\n', 'g.yaml', history).migrated).toEqual([]);
  });

  it('refuses a file from a newer release, pointing at the version line', () => {
    expect(() => parseConfig(Schema, 'gateway:\n  id: gw-1\nversion: 4\n', 'g.yaml', history)).toThrow(ConfigError);
    expect(() => parseConfig(Schema, 'gateway:\n  id: gw-1\nversion: 4\n', 'g.yaml', history)).toThrow(/g\.yaml:3:10 version: this file is format version 4, written for a newer pemda-test; this one reads up to version 3: upgrade pemda-test/);
    expect(() => parseConfig(Schema, 'version: two\n', 'g.yaml', history)).toThrow(/version: version must be a whole number from 1 to 3/);
  });

  it('config migrate shows the steps, and with --write rewrites the file keeping comments and a backup', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pemda-migrate-'));
    dirs.push(dir);
    const file = join(dir, 'gateway.yaml');
    writeFileSync(file, v1);
    expect(migrateConfigFile(file, history, false)).toEqual([
      `${file}: version 1 -> 2: gateway.outboxMB is now outbox.budgetMB`,
      `${file}: version 2 -> 3: health.every (minutes) is now health.intervalS`,
      `run again with --write to update the file (a copy is kept as ${file}.bak)`,
    ]);
    expect(readFileSync(file, 'utf8')).toBe(v1);
    migrateConfigFile(file, history, true);
    const written = readFileSync(file, 'utf8');
    expect(written).toContain('# office gateway');
    expect(parseConfig(Schema, written, file, history)).toMatchObject({ migrated: [], value: { version: 3, outbox: { budgetMB: 64 }, health: { intervalS: 120 } } });
    expect(readFileSync(`${file}.bak`, 'utf8')).toBe(v1);
    expect(migrateConfigFile(file, history, true)).toEqual([`${file}: already format version 3; nothing to do`]);
  });

  it('the gateway file is format 1 today: version 1 or none is read, 2 is refused', () => {
    expect(parseConfig(GatewayConfig, 'gateway:\n  id: gw-a\n', 'g.yaml', GATEWAY_CONFIG_VERSIONING).value.version).toBe(1);
    expect(() => parseConfig(GatewayConfig, 'version: 2\ngateway:\n  id: gw-a\n', 'g.yaml', GATEWAY_CONFIG_VERSIONING)).toThrow(/written for a newer pemda-edge/);
  });
});
