import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InfluxDB } from 'influx';
import { pino } from 'pino';
import { Influxd } from '../../scripts/lib/influxd.js';
import { ensureInfluxSchema, retentionPolicyFor } from '../../central/influx-schema.js';

/** Database, retention policies and the hourly health query, created idempotently on a real influxd. */
describe('InfluxDB housekeeping', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pemda-influx-schema-'));
  let influxd: Influxd;
  let influx: InfluxDB;
  beforeAll(async () => {
    influxd = await Influxd.start(join(dir, 'influx'));
    influx = new InfluxDB({ host: '127.0.0.1', port: influxd.port, database: 'pemda' });
  }, 60_000);
  afterAll(async () => {
    await influxd.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates everything once and changes nothing on the next start', async () => {
    const log = pino({ level: 'silent' });
    await ensureInfluxSchema(influx, 'pemda', log);
    const policies = await influx.showRetentionPolicies('pemda');
    expect(policies.map((p) => [p.name, p.duration, p.default]).sort()).toEqual([
      ['autogen', '87600h0m0s', true],
      ['ops', '720h0m0s', false],
    ]);
    const cqs = await influx.showContinousQueries('pemda');
    expect(cqs.map((q) => q.name)).toEqual(['gateway_health_hourly']);
    await ensureInfluxSchema(influx, 'pemda', log);
    expect(await influx.showRetentionPolicies('pemda')).toEqual(policies);
    expect((await influx.showContinousQueries('pemda')).map((q) => q.query)).toEqual(cqs.map((q) => q.query));
  });

  it('puts health and snapshot metadata in the short policy, everything else in the long one', () => {
    expect(['gateway_health', 'snapshot'].map(retentionPolicyFor)).toEqual(['ops', 'ops']);
    expect(['punch', 'terminal_status', 'terminal_clock', 'camera_status', 'gateway_status'].map(retentionPolicyFor)).toEqual(Array(5).fill('autogen'));
  });
});
