import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeLine, encodeLine, LineFormat, LineFrameError } from '../../protocols/line/format.js';
import { deviceTimeToUtc } from '../../edge/terminals/terminal.js';

describe('line-format terminal codec', () => {
  const csv = LineFormat.parse({ fields: ['employee', 'time', 'status', 'verify'] });

  it('decodes the default comma layout', () => {
    expect(decodeLine('1001,2026-11-26 07:58:09,0,1', csv)).toEqual({ employee: '1001', deviceTime: '2026-11-26T07:58:09', status: '0', verify: '1' });
  });

  it('decodes a tab-separated layout with separate date and clock and a day-first date', () => {
    const fmt = LineFormat.parse({ separator: '\t', fields: ['ignore', 'employee', 'date', 'clock', 'status'], timeFormat: 'dd/MM/yyyy HH:mm:ss' });
    expect(decodeLine('17\t0042\t26/11/2026\t16:05:00\tOUT', fmt)).toEqual({ employee: '0042', deviceTime: '2026-11-26T16:05:00', status: 'OUT' });
  });

  it('names the field of a bad line', () => {
    const cases: [string, RegExp][] = [
      ['1001;2026-11-26 07:58:09;0;1', /expected 4 fields/],
      ['10 01,2026-11-26 07:58:09,0,1', /field 1 \(employee\)/],
      ['1001,2026-13-26 07:58:09,0,1', /field 2 \(time\)/],
      ['1001,2026-11-26 07:58:09,0 0,1', /field 3 \(status\)/],
      ['1'.repeat(300), /over the 256 limit/],
    ];
    for (const [line, expected] of cases) {
      expect(() => decodeLine(line, csv)).toThrow(LineFrameError);
      expect(() => decodeLine(line, csv)).toThrow(expected);
    }
  });

  it('refuses a format without employee or time', () => {
    expect(LineFormat.safeParse({ fields: ['employee', 'status'] }).success).toBe(false);
    expect(LineFormat.safeParse({ fields: ['time', 'status'] }).success).toBe(false);
    expect(LineFormat.safeParse({ fields: ['employee', 'time', 'date', 'clock'] }).success).toBe(false);
  });

  it('round-trips and never throws anything but LineFrameError', () => {
    const punch = fc.record({
      employee: fc.stringMatching(/^[A-Za-z0-9_-]{1,32}$/),
      deviceTime: fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2099-12-31T23:59:59Z'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 19)),
      status: fc.constantFrom('0', '1', 'IN', 'OUT'),
      verify: fc.constantFrom('1', '15'),
    });
    fc.assert(
      fc.property(punch, (p) => {
        expect(decodeLine(encodeLine(p, csv), csv)).toEqual(p);
      }),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), (s) => {
        try {
          decodeLine(s, csv);
        } catch (err) {
          expect(err).toBeInstanceOf(LineFrameError);
        }
      }),
      { numRuns: 1000 },
    );
  });
});

describe('terminal time to UTC', () => {
  it('applies WIB, WITA and WIT', () => {
    expect(deviceTimeToUtc('2026-11-26T07:00:00', 'Asia/Jakarta')).toBe('2026-11-26T00:00:00.000Z');
    expect(deviceTimeToUtc('2026-11-26T07:00:00', 'Asia/Makassar')).toBe('2026-11-25T23:00:00.000Z');
    expect(deviceTimeToUtc('2026-11-26T07:00:00', 'Asia/Jayapura')).toBe('2026-11-25T22:00:00.000Z');
  });
  it('subtracts a measured clock skew (terminal ahead by 90 s)', () => {
    expect(deviceTimeToUtc('2026-11-26T07:01:30', 'Asia/Jakarta', 90_000)).toBe('2026-11-26T00:00:00.000Z');
  });
});
