import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import { TestSystem } from '../helpers/system.js';
import { eventually } from '../helpers/proc.js';

const birth = (bdSeq: number) =>
  JSON.stringify({
    v: 1,
    state: 'online',
    bdSeq,
    version: 'test',
    configHash: 'a'.repeat(64),
    startedAt: new Date().toISOString(),
    ackedSeq: 0,
    clockOffsetMs: null,
    terminals: [],
    cameras: [],
  });
const death = (bdSeq: number) => JSON.stringify({ v: 1, state: 'offline', bdSeq });

/** Sparkplug-style sessions: a late Last Will of an old session must not mark a live gateway offline. */
describe('birth and death sessions', () => {
  const system = new TestSystem([], [{ gateway: 'gw-bappeda', opd: 'bappeda', zone: 'Asia/Jakarta' }]);
  beforeAll(() => system.start(), 90_000);
  afterAll(() => system.stop(), 60_000);

  const states = () => system.influx.query('pemda', `SELECT state, bd_seq FROM gateway_status WHERE gateway = 'gw-bappeda'`);

  it('ignores an offline whose bdSeq is older than the current birth', async () => {
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${system.brokerPort}`, { clientId: 'test-sessions', ...system.credentials('gw-bappeda') });
    await client.publishAsync('pemda/v1/gw-bappeda/status', birth(5), { qos: 1, retain: true });
    await eventually(states, (rows) => rows.length === 1, 20_000, 'the birth in InfluxDB');
    await client.publishAsync('pemda/v1/gw-bappeda/status', death(4), { qos: 1, retain: true });
    await system.central!.waitForLog((l) => l.msg === 'late offline of an older session ignored' && l.bdSeq === 4, 10_000, 'stale death ignored');
    expect((await states()).map((r) => [r.state, r.bd_seq])).toEqual([['online', 5]]);

    // The death of the current session does count.
    await client.publishAsync('pemda/v1/gw-bappeda/status', death(5), { qos: 1, retain: true });
    const rows = await eventually(states, (r) => r.length === 2, 20_000, 'the current death');
    expect(rows.map((r) => [r.state, r.bd_seq])).toEqual([
      ['online', 5],
      ['offline', 5],
    ]);
    await client.publishAsync('pemda/v1/gw-bappeda/status', '', { qos: 1, retain: true });
    await client.endAsync();
  });

  it('publishes its own retained state, online while running', async () => {
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${system.brokerPort}`, { clientId: 'test-central-state', ...system.credentials('gw-bappeda') });
    const states: unknown[] = [];
    client.on('message', (_t, body) => states.push(JSON.parse(body.toString())));
    await client.subscribeAsync('pemda/v1/$central/state', { qos: 1 });
    await eventually(() => states.length, (n) => n >= 1, 5000, 'retained central state');
    expect(states[0]).toMatchObject({ v: 1, state: 'online' });
    await client.endAsync();
  });
});
