import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server } from 'node:net';
import { stringify } from 'yaml';
import { NodeProcess } from '../helpers/proc.js';
import { Influxd } from '../../scripts/lib/influxd.js';
import { freePort } from '../../scripts/lib/ports.js';

/** A technician's bad config must give a clear error and exit 2, not a stack trace. */
describe('command line with bad input', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pemda-cli-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function runEdge(args: string[]): Promise<{ code: number | null; stderr: string }> {
    const p = NodeProcess.start('edge', 'edge/main.js', args);
    const code = await p.exited;
    return { code, stderr: p.stderr };
  }

  it('edge run names file, line and key of a bad config and exits 2', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'gateway:\n  id: gw-1\nterminals:\n  - id: lobby\n    driver: line-serial\n    port: /dev/ttyUSB0\n    zone: WITA\n    baudRate: fast\n');
    const { code, stderr } = await runEdge(['run', '--config', file]);
    expect(code).toBe(2);
    expect(stderr).toContain(`${file}: 2 problems`);
    expect(stderr).toMatch(/bad\.yaml:7:\d+ terminals\[0\]\.zone: not a known IANA time zone/);
    expect(stderr).toMatch(/bad\.yaml:8:\d+ terminals\[0\]\.baudRate:/);
    expect(stderr).not.toMatch(/at .*\.js:\d+/); // no stack trace
  });

  it('edge config check reports a missing file and unknown commands', async () => {
    const missing = await runEdge(['config', 'check', join(dir, 'nope.yaml')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/nope\.yaml.*cannot read: ENOENT/);
    const unknown = await runEdge(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown command "frobnicate"/);
  });

  it('central config check reports a bad registry seed with its line', async () => {
    writeFileSync(join(dir, 'central.yaml'), 'registry:\n  seed: registry.yaml\n');
    writeFileSync(join(dir, 'registry.yaml'), 'opds:\n  - code: dinkes\n    name: Dinas Kesehatan\n    gateways: [gw-1]\n  - code: Bappeda!\n    name: Bappeda\n    gateways: [gw-1]\n');
    const p = NodeProcess.start('central', 'central/main.js', ['config', 'check', join(dir, 'central.yaml')]);
    expect(await p.exited).toBe(2);
    expect(p.stderr).toMatch(/registry\.yaml:5:\d+ opds\[1\]\.code:/);
    expect(p.stderr).toMatch(/registry\.yaml:7:\d+ opds\[1\]\.gateways\[0\]: gateway gw-1 already belongs to OPD dinkes/);
  });

  it('central names an unknown option with its usage and exits 2, as the edge does', async () => {
    const p = NodeProcess.start('central', 'central/main.js', ['run', '--confg', 'central.yaml']);
    expect(await p.exited).toBe(2);
    expect(p.stderr).toMatch(/^pemda-central: Unknown option '--confg'/);
    expect(p.stderr).toContain('pemda-central run --config FILE');
    expect(p.stderr).not.toMatch(/at .*\.js:\d+/); // no stack trace
  });

  it('central whose HTTP port is taken exits 1 with the reason instead of hanging half-started', async () => {
    const influx = await Influxd.start(join(dir, 'influx'));
    const taken: Server = createServer();
    try {
      const httpPort = await freePort();
      await new Promise<void>((resolve) => taken.listen(httpPort, '127.0.0.1', resolve));
      const config = join(dir, 'central-taken.yaml');
      writeFileSync(
        config,
        stringify({
          broker: { host: '127.0.0.1', port: await freePort() },
          http: { host: '127.0.0.1', port: httpPort },
          influx: { url: influx.url, database: 'pemda' },
          registry: { db: join(dir, 'taken.sqlite') },
        }),
      );
      const p = NodeProcess.start('central', 'central/main.js', ['run', '--config', config]);
      // The broker is already listening when the HTTP API fails: before, it kept the process alive.
      expect(await p.exited).toBe(1);
      expect(p.stderr).toMatch(new RegExp(`EADDRINUSE.*127\\.0\\.0\\.1:${httpPort}`));
    } finally {
      taken.close();
      await influx.stop();
    }
  });
});
