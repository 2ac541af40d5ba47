import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Topics, decodeJson, encodeJson, EventsBatch, GatewayStatus, Ack, Health, PayloadError } from '../../protocols/mqtt/index.js';

const punch = {
  seq: 7,
  kind: 'punch',
  terminal: 'term-1',
  employee: '1001',
  time: '2026-11-25T23:58:09.000Z',
  deviceTime: '2026-11-26T07:58:09',
  zone: 'Asia/Makassar',
  skewMs: null,
  receivedAt: '2026-11-25T23:58:10.120Z',
};

function decodeError(fn: () => unknown): PayloadError {
  try {
    fn();
  } catch (err) {
    if (err instanceof PayloadError) return err;
    throw err;
  }
  throw new Error('expected a PayloadError');
}

describe('topics', () => {
  const topics = new Topics();
  it('builds and parses every gateway topic', () => {
    for (const kind of ['status', 'events', 'ack', 'health', 'cmd', 'cmd/result'] as const) {
      expect(topics.parse(topics.gateway('gw-1', kind))).toEqual({ gateway: 'gw-1', kind });
    }
    expect(topics.snapshot('gw-1', 'cam-lobby')).toBe('pemda/v1/gw-1/snapshot/cam-lobby');
    expect(topics.parse('pemda/v1/gw-1/snapshot/cam-lobby')).toEqual({ gateway: 'gw-1', kind: 'snapshot', camera: 'cam-lobby' });
    expect(topics.allGateways('events')).toBe('pemda/v1/+/events');
    expect(topics.centralState()).toBe('pemda/v1/$central/state');
  });
  it('refuses topics that are not ours', () => {
    for (const t of ['pemda/v1/gw-1', 'pemda/v1/gw-1/unknown', 'pemda/v1/$central/state', 'pemda/v1/GW/events', 'other/v1/gw-1/events', 'pemda/v1/gw-1/events/extra']) {
      expect(topics.parse(t)).toBeUndefined();
    }
  });
  it('refuses a root with wildcards', () => {
    expect(() => new Topics('pemda/#')).toThrow(/wildcards/);
    expect(new Topics('kab-sleman/v1').gateway('gw', 'ack')).toBe('kab-sleman/v1/gw/ack');
  });
});

describe('payloads', () => {
  it('round-trips an events batch', () => {
    const batch = { v: 1 as const, ackedSeq: 6, records: [punch, { seq: 8, kind: 'terminal_status' as const, terminal: 'term-1', state: 'offline' as const, reason: 'port closed', at: '2026-11-26T00:00:00.000Z' }] };
    expect(decodeJson(EventsBatch, 't', encodeJson(EventsBatch, batch as EventsBatch))).toEqual(batch);
  });

  it('names the field and the reason of a bad payload', () => {
    const bad = { v: 1, ackedSeq: 0, records: [{ ...punch, time: '26/11/2026 07:58' }] };
    const err = decodeError(() => decodeJson(EventsBatch, 'pemda/v1/gw/events', Buffer.from(JSON.stringify(bad))));
    expect(err.field).toBe('records[0].time');
    expect(err.topic).toBe('pemda/v1/gw/events');
    expect(err.message).toMatch(/records\[0\]\.time/);
  });

  it('refuses out-of-order sequences, unknown versions, unknown fields and bad JSON', () => {
    const outOfOrder = { v: 1, ackedSeq: 0, records: [punch, { ...punch, seq: 7 }] };
    expect(decodeError(() => decodeJson(EventsBatch, 't', Buffer.from(JSON.stringify(outOfOrder)))).field).toBe('records[1].seq');
    expect(decodeError(() => decodeJson(Ack, 't', Buffer.from('{"v":2,"seq":1}'))).field).toBe('v');
    expect(decodeError(() => decodeJson(Ack, 't', Buffer.from('{"v":1,"seq":1,"opd":"x"}'))).reason).toMatch(/opd/);
    expect(decodeError(() => decodeJson(Ack, 't', Buffer.from('{"v":1,'))).reason).toMatch(/not valid JSON/);
    expect(decodeError(() => decodeJson(Ack, 't', Buffer.alloc(2 * 1024 * 1024, 32))).reason).toMatch(/limit/);
  });

  it('an employee punch cannot claim an OPD: the status and events schemas have no opd field', () => {
    const withOpd = { v: 1, ackedSeq: 0, records: [{ ...punch, opd: 'bappeda' }] };
    expect(() => decodeJson(EventsBatch, 't', Buffer.from(JSON.stringify(withOpd)))).toThrow(PayloadError);
  });

  it('distinguishes birth and death', () => {
    const death = decodeJson(GatewayStatus, 't', Buffer.from('{"v":1,"state":"offline","bdSeq":3}'));
    expect(death).toEqual({ v: 1, state: 'offline', bdSeq: 3 });
    expect(decodeError(() => decodeJson(GatewayStatus, 't', Buffer.from('{"v":1,"state":"online","bdSeq":3}'))).field).not.toBe('');
  });

  it('never throws anything but PayloadError on arbitrary input', () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.json().map((j) => new TextEncoder().encode(j))), (bytes) => {
        for (const schema of [EventsBatch, GatewayStatus, Ack, Health]) {
          try {
            decodeJson(schema, 't', bytes);
          } catch (err) {
            expect(err).toBeInstanceOf(PayloadError);
          }
        }
      }),
      { numRuns: 500 },
    );
  });
});
