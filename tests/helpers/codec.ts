import fc from 'fast-check';

/** Bytes from hex as public documents print them (spaces and line breaks allowed). */
export const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

/** Runs `fn`; any error other than the codec's own type fails the test. */
export function onlyErrorsOf(errorType: abstract new (...args: never[]) => Error, fn: () => unknown): void {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof errorType)) throw err;
  }
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** Valid calendar date-times (no zone) between two years. */
export function naiveTimeArb(minYear: number, maxYear: number) {
  return fc
    .record({
      year: fc.integer({ min: minYear, max: maxYear }),
      month: fc.integer({ min: 1, max: 12 }),
      day: fc.integer({ min: 1, max: 31 }),
      hour: fc.integer({ min: 0, max: 23 }),
      minute: fc.integer({ min: 0, max: 59 }),
      second: fc.integer({ min: 0, max: 59 }),
    })
    .map((t) => ({ ...t, day: Math.min(t.day, daysInMonth(t.year, t.month)) }));
}
