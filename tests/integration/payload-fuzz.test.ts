import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import fc from 'fast-check';
import { TestSystem } from '../helpers/system.js';
import { eventually } from '../helpers/proc.js';

/** 10,000 malformed payloads to each topic class: the central rejects each and stays up. */
describe('malformed payloads at the central', () => {
  const system = new TestSystem([], [{ gateway: 'gw-fuzz', opd: 'fuzz', zone: 'Asia/Jakarta' }]);
  beforeAll(() => system.start(), 90_000);
  afterAll(() => system.stop(), 60_000);

  it('survives 40,000 of them and still acks a good batch', async () => {
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${system.brokerPort}`, { clientId: 'fuzzer', reconnectPeriod: 0, ...system.credentials('gw-fuzz') });
    const payloads = fc.sample(
      fc.oneof(
        fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
        fc.json().map((j) => Buffer.from(j)),
        fc.record({ v: fc.constantFrom(1, 2, '1'), ackedSeq: fc.integer(), records: fc.array(fc.object(), { maxLength: 3 }) }).map((o) => Buffer.from(JSON.stringify(o))),
        fc.uint8Array({ maxLength: 100 }).map((b) => Buffer.concat([Buffer.from('PSNP\x01\x00\x10'), Buffer.from(b)])),
      ),
      { numRuns: 10_000, seed: 42 },
    );
    for (const topic of ['events', 'status', 'health', 'snapshot/cam-1']) {
      for (let i = 0; i < payloads.length; i += 500) {
        await Promise.all(payloads.slice(i, i + 500).map((p) => client.publishAsync(`pemda/v1/gw-fuzz/${topic}`, p, { qos: 1 })));
      }
    }
    const rejected = () => system.central!.lines.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('rejected')).length;
    await eventually(rejected, (n) => n >= 39_000, 120_000, 'the rejections logged');
    expect(system.central!.running).toBe(true);

    const acks: unknown[] = [];
    client.on('message', (_t, body) => acks.push(JSON.parse(body.toString())));
    await client.subscribeAsync('pemda/v1/gw-fuzz/ack', { qos: 1 });
    const good = { v: 1, ackedSeq: 0, records: [{ seq: 1, kind: 'terminal_status', terminal: 't', state: 'online', at: new Date().toISOString() }] };
    await client.publishAsync('pemda/v1/gw-fuzz/events', JSON.stringify(good), { qos: 1 });
    await eventually(() => acks.length, (n) => n >= 1, 20_000, 'the ack of the good batch');
    await client.endAsync();
  }, 240_000);
});
