import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { punchTimestamp, recordToPoint } from '../../central/points.js';

const base = { terminal: 't1', time: '2026-11-26T00:58:09.000Z', deviceTime: '2026-11-26T07:58:09' };

describe('InfluxDB point keys', () => {
  it('gives the same punch the same timestamp (replays overwrite themselves)', () => {
    expect(punchTimestamp({ ...base, employee: '1' })).toBe(punchTimestamp({ ...base, employee: '1' }));
  });

  it('keeps the punch second and separates different punches in that second', () => {
    const a = BigInt(punchTimestamp({ ...base, employee: '1' }));
    const b = BigInt(punchTimestamp({ ...base, employee: '2' }));
    expect(a / 1_000_000_000n).toBe(BigInt(Date.parse(base.time) / 1000));
    expect(b / 1_000_000_000n).toBe(a / 1_000_000_000n);
    expect(a).not.toBe(b);
  });

  it('does not collide for 5,000 employees punching in one second on one terminal', () => {
    const stamps = new Set<string>();
    for (let i = 0; i < 5000; i++) stamps.add(punchTimestamp({ ...base, employee: String(100000 + i) }));
    expect(stamps.size).toBe(5000);
  });

  it('tags only opd, gateway and terminal', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9]{1,9}$/), (employee) => {
        const p = recordToPoint(
          { seq: 1, kind: 'punch', ...base, employee, zone: 'Asia/Jakarta', skewMs: null, receivedAt: base.time },
          { opd: 'dinkes', gateway: 'gw-1' },
        );
        expect(p.tags).toEqual({ opd: 'dinkes', gateway: 'gw-1', terminal: 't1' });
        expect(p.fields?.employee).toBe(employee);
      }),
      { numRuns: 50 },
    );
  });
});
