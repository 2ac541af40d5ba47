import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ackFor } from '../../central/ingest.js';
import { TokenBucket } from '../../edge/token-bucket.js';
import type { EventsBatch } from '../../protocols/mqtt/payloads.js';

function batch(ackedSeq: number, seqs: number[]): EventsBatch {
  return {
    v: 1,
    ackedSeq,
    records: seqs.map((seq) => ({ seq, kind: 'terminal_status', terminal: 't', state: 'online', at: '2026-11-26T00:00:00.000Z' })),
  };
}

describe('the central ack', () => {
  it('extends the cumulative sequence through contiguous records', () => {
    expect(ackFor(batch(0, [1, 2, 3]), 0)).toEqual({ seq: 3, ranges: [] });
    expect(ackFor(batch(10, [11, 12]), 0)).toEqual({ seq: 12, ranges: [] });
    expect(ackFor(batch(0, [5, 6]), 4)).toEqual({ seq: 6, ranges: [] });
  });

  it('acks live records above a hole selectively', () => {
    expect(ackFor(batch(100, [101, 102, 250, 251, 252]), 100)).toEqual({ seq: 102, ranges: [[250, 252]] });
    expect(ackFor(batch(100, [250, 260]), 0)).toEqual({ seq: 100, ranges: [[250, 250], [260, 260]] });
  });

  it('never acks a sequence the batch did not carry or the gateway did not claim', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 0, max: 1000 }), fc.uniqueArray(fc.integer({ min: 1, max: 2000 }), { minLength: 1, maxLength: 50 }), (stored, claimed, raw) => {
        const seqs = [...raw].sort((a, b) => a - b);
        const { seq, ranges } = ackFor(batch(claimed, seqs), stored);
        const carried = new Set(seqs);
        const known = (s: number) => s <= Math.max(stored, claimed) || carried.has(s);
        for (let s = 1; s <= seq; s++) expect(known(s)).toBe(true);
        for (const [from, to] of ranges) for (let s = from; s <= to; s++) expect(carried.has(s)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});

describe('backlog token bucket', () => {
  it('refills at its rate up to its capacity', () => {
    const bucket = new TokenBucket(500, 1000, 0);
    expect(bucket.available(0)).toBe(1000);
    bucket.take(1000, 0);
    expect(bucket.available(0)).toBe(0);
    expect(bucket.msUntil(1, 0)).toBe(2);
    expect(bucket.available(1000)).toBe(500);
    expect(bucket.available(60_000)).toBe(1000);
  });
});

describe('two aggregators sharing one gateway stream', () => {
  it('never makes the gateway delete a record that is not stored, and loses none', async () => {
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { Outbox } = await import('../../edge/outbox.js');
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 31 }), (seed) => {
        const dir = mkdtempSync(join(tmpdir(), 'pemda-two-agg-'));
        const box = new Outbox(dir);
        try {
          let r = seed;
          const rand = () => ((r = (r * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
          const stored = new Set<number>(); // one shared InfluxDB
          const progress = [0, 0]; // each aggregator's own persisted watermark
          for (let i = 0; i < 60; i++) box.append({ kind: 'terminal_status', terminal: 't', state: 'online', at: new Date(i * 1000).toISOString() });
          for (let round = 0; round < 400 && box.stats().depth > 0; round++) {
            // Sometimes live records overtake: take from the end instead of the start.
            const pending = box.pending(0, 100);
            const start = rand() < 0.3 ? Math.floor(rand() * pending.length) : 0;
            const batchRecords = pending.slice(start, start + 1 + Math.floor(rand() * 10));
            const batch = { v: 1 as const, ackedSeq: box.lastAckedSeq(), records: batchRecords };
            const agg = rand() < 0.5 ? 0 : 1; // the shared subscription picks one
            for (const rec of batch.records) stored.add(rec.seq);
            const ack = ackFor(batch, progress[agg]!);
            progress[agg] = ack.seq;
            if (rand() < 0.2) continue; // the ack is lost: the gateway resends later
            const before = new Set(box.pending(0, 1000).map((p) => p.seq));
            box.ack(ack.seq, ack.ranges);
            const after = new Set(box.pending(0, 1000).map((p) => p.seq));
            for (const s of before) if (!after.has(s)) expect(stored.has(s), `deleted ${s} which was never stored`).toBe(true);
          }
          expect(box.stats().depth).toBe(0);
          expect(stored.size).toBe(60);
        } finally {
          box.close();
          rmSync(dir, { recursive: true, force: true });
        }
      }),
      { numRuns: 30 },
    );
  });
});
