import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Outbox, type NewRecord } from '../../edge/outbox.js';

const dirs: string[] = [];
function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'pemda-outbox-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function punch(employee: string, deviceTime = '2026-11-26T07:00:00'): NewRecord {
  return { kind: 'punch', terminal: 't1', employee, deviceTime, zone: 'Asia/Jakarta', time: '2026-11-26T00:00:00.000Z', skewMs: null, receivedAt: '2026-11-26T00:00:01.000Z' };
}

describe('outbox', () => {
  it('numbers records and keeps the numbering across restarts, even when all were acked', () => {
    const dir = dataDir();
    let box = new Outbox(dir);
    expect([box.append(punch('1')), box.append(punch('2'))]).toEqual([1, 2]);
    box.ack(2);
    box.close();
    box = new Outbox(dir);
    expect(box.append(punch('3'))).toBe(3);
    expect(box.lastAckedSeq()).toBe(2);
    expect(box.pending(box.lastAckedSeq(), 10).map((r) => r.seq)).toEqual([3]);
    box.close();
  });

  it('ignores a punch it already accepted', () => {
    const box = new Outbox(dataDir());
    expect(box.append(punch('1'))).toBe(1);
    expect(box.append(punch('1'))).toBeUndefined();
    expect(box.append(punch('1', '2026-11-26T07:00:01'))).toBe(2);
    box.close();
  });

  it('deletes only what an ack covers, cumulative and selective, and ignores foreign sequences', () => {
    const box = new Outbox(dataDir());
    for (let i = 0; i < 8; i++) box.append(punch(String(i)));
    expect(box.ack(3)).toBe(3);
    expect(box.stats()).toMatchObject({ depth: 5, lastAckedSeq: 3 });
    expect(box.ack(1)).toBe(0);
    // Live records 7..8 acked ahead of 4..6: the watermark stays below the hole.
    expect(box.ack(3, [[7, 8]])).toBe(2);
    expect(box.stats()).toMatchObject({ depth: 3, lastAckedSeq: 3 });
    expect(box.pending(box.lastAckedSeq(), 10).map((r) => r.seq)).toEqual([4, 5, 6]);
    expect(box.ack(1_000_000, [[2_000_000, 2_000_005]])).toBe(3);
    expect(box.stats()).toMatchObject({ depth: 0, lastAckedSeq: 8 });
    expect(box.append(punch('new'))).toBe(9);
    expect(box.pending(box.lastAckedSeq(), 10).map((r) => r.seq)).toEqual([9]);
    box.close();
  });

  it('splits pending records into live and backlog by age', () => {
    const box = new Outbox(dataDir());
    box.append(punch('old-1'), 1_000);
    box.append(punch('old-2'), 2_000);
    box.append(punch('live'), 60_000);
    expect(box.pendingBefore(30_000, 10).map((p) => p.record.seq)).toEqual([1, 2]);
    expect(box.pendingSince(30_000, 10).map((p) => [p.record.seq, p.createdMs])).toEqual([[3, 60_000]]);
    box.close();
  });

  it('counts birth/death sessions persistently', () => {
    const dir = dataDir();
    let box = new Outbox(dir);
    expect([box.nextBdSeq(), box.nextBdSeq()]).toEqual([0, 1]);
    box.close();
    box = new Outbox(dir);
    expect(box.nextBdSeq()).toBe(2);
    box.close();
  });
});

describe('outbox latest-wins class', () => {
  it('keeps only the newest value per key and reports each replacement as a drop', () => {
    const box = new Outbox(dataDir());
    expect(box.putLatest('health', 'a')).toBe(false);
    expect(box.putLatest('health', 'b')).toBe(true);
    expect(box.takeLatest()).toEqual([{ key: 'health', body: 'b' }]);
    expect(box.takeLatest()).toEqual([]);
    expect(box.bytes()).toBeGreaterThan(0);
    box.close();
  });
});
