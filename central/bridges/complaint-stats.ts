/**
 * Response-time figures per OPD for complaints received in a period. Pure maths over
 * what the store returns, so the numbers can be checked by hand.
 *
 * - Durations are seconds from `received` to `acknowledged` and from `received` to
 *   `closed`: the citizen's wait, including the time before the command room routed it.
 * - Percentiles interpolate linearly between the closest ranks (the "R-7" method of
 *   spreadsheets' PERCENTILE.INC), so the median of an even count is the mean of the two
 *   middle values and p50 equals the median.
 * - Complaints not yet acknowledged (closed) are not in the acknowledge (close)
 *   percentiles: they are counted in `open`, and `oldestOpenSince` says how long the
 *   worst one waits, so a slow office cannot look fast by leaving complaints untouched.
 * - A complaint counts for the OPD it is assigned to now; unassigned ones under `opd: null`.
 */

export interface ComplaintTimes {
  opd: string | null;
  receivedAt: number;
  acknowledgedAt: number | null;
  closedAt: number | null;
}

export interface Spread {
  count: number;
  medianS: number | null;
  p90S: number | null;
}

export interface OpdComplaintStats {
  opd: string | null;
  received: number;
  open: number;
  /** Received time of the longest-waiting open complaint (ISO), null when none is open. */
  oldestOpenSince: string | null;
  acknowledge: Spread;
  close: Spread;
}

/** The p-quantile (0..1) of values sorted ascending; null for none. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  if (!(p >= 0 && p <= 1)) throw new RangeError(`percentile: p must be within 0..1, not ${p}`);
  const rank = p * (sorted.length - 1);
  const lower = Math.floor(rank);
  const upper = Math.ceil(rank);
  const a = sorted[lower]!;
  const b = sorted[upper]!;
  return a + (b - a) * (rank - lower);
}

const round = (s: number | null): number | null => (s === null ? null : Math.round(s * 10) / 10);

export function spread(seconds: readonly number[]): Spread {
  const sorted = [...seconds].sort((a, b) => a - b);
  return { count: sorted.length, medianS: round(percentile(sorted, 0.5)), p90S: round(percentile(sorted, 0.9)) };
}

/** One entry per OPD that received complaints, ordered by OPD code (unassigned last). */
export function complaintStats(complaints: readonly ComplaintTimes[]): OpdComplaintStats[] {
  const byOpd = new Map<string | null, ComplaintTimes[]>();
  for (const c of complaints) {
    const list = byOpd.get(c.opd);
    if (list) list.push(c);
    else byOpd.set(c.opd, [c]);
  }
  const stats = [...byOpd].map(([opd, list]): OpdComplaintStats => {
    const open = list.filter((c) => c.closedAt === null);
    const oldest = open.length > 0 ? Math.min(...open.map((c) => c.receivedAt)) : null;
    const seconds = (at: (c: ComplaintTimes) => number | null) =>
      list.flatMap((c) => {
        const end = at(c);
        return end === null ? [] : [Math.max(0, (end - c.receivedAt) / 1000)];
      });
    return {
      opd,
      received: list.length,
      open: open.length,
      oldestOpenSince: oldest === null ? null : new Date(oldest).toISOString(),
      acknowledge: spread(seconds((c) => c.acknowledgedAt)),
      close: spread(seconds((c) => c.closedAt)),
    };
  });
  return stats.sort((a, b) => (a.opd === null ? 1 : b.opd === null ? -1 : a.opd.localeCompare(b.opd)));
}

/** One OPD's figures in the office performance report's shape (central/reports/performance.ts). */
export function complaintFigures(
  times: readonly ComplaintTimes[],
  opd: string,
): { received: number; open: number; acknowledgeMedianS: number | null; acknowledgeP90S: number | null; closeMedianS: number | null; closeP90S: number | null } {
  const s = complaintStats(times.filter((t) => t.opd === opd))[0];
  if (!s) return { received: 0, open: 0, acknowledgeMedianS: null, acknowledgeP90S: null, closeMedianS: null, closeP90S: null };
  return { received: s.received, open: s.open, acknowledgeMedianS: s.acknowledge.medianS, acknowledgeP90S: s.acknowledge.p90S, closeMedianS: s.close.medianS, closeP90S: s.close.p90S };
}
