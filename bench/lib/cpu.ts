import { readFileSync, readdirSync } from 'node:fs';

/**
 * CPU accounting from Linux /proc, to tell what a run's own processes used from what
 * the rest of the machine did meanwhile (a shared machine skews a benchmark).
 * Every figure is in cores (CPU seconds per wall second); null where /proc is absent.
 */
const TICKS = 100; // USER_HZ on Linux

/** User + system CPU seconds of one process so far. */
export function processCpuS(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS;
  } catch {
    return null;
  }
}

/** Busy CPU seconds of the whole machine (all but idle and iowait). */
function machineBusyS(): number | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
    const v = line.trim().split(/\s+/).slice(1).map(Number);
    const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
    return (total - v[3]! - v[4]!) / TICKS;
  } catch {
    return null;
  }
}

/** Our children (and theirs): every process whose parent chain leads to this one. */
function descendants(): number[] {
  const parent = new Map<number, number>();
  try {
    for (const name of readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) continue;
      try {
        const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
        parent.set(Number(name), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
      } catch {
        // exited meanwhile
      }
    }
  } catch {
    return [];
  }
  const ours = new Set([process.pid]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [pid, ppid] of parent) if (!ours.has(pid) && ours.has(ppid)) (ours.add(pid), (grew = true));
  }
  ours.delete(process.pid);
  return [...ours];
}

/** Our descendants whose command name (/proc/PID/comm) is `comm`, e.g. influxd. */
export function descendantsNamed(comm: string): number[] {
  return descendants().filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === comm;
    } catch {
      return false;
    }
  });
}

export interface CpuSpan {
  /** Cores used by the named processes. */
  named: Record<string, number | null>;
  /** Cores used by this benchmark process itself (load generator, simulators, polling). */
  self: number | null;
  /** Cores used by this benchmark process and everything it started. */
  ours: number | null;
  /** Cores the rest of the machine used meanwhile. */
  others: number | null;
}

/** Starts measuring; the returned function ends the span. */
export function cpuSpan(named: Record<string, number | undefined> = {}): () => CpuSpan {
  const t0 = performance.now();
  const busy0 = machineBusyS();
  const self0 = process.cpuUsage();
  const kids0 = new Map(descendants().map((pid) => [pid, processCpuS(pid) ?? 0]));
  const named0 = Object.fromEntries(Object.entries(named).map(([k, pid]) => [k, processCpuS(pid)]));
  return () => {
    const wall = (performance.now() - t0) / 1000;
    const round = (v: number) => Math.round((v / wall) * 100) / 100;
    const self = process.cpuUsage(self0);
    let kids = 0;
    // A child that exited during the span is missed: spans end before anything is stopped.
    for (const pid of descendants()) kids += (processCpuS(pid) ?? 0) - (kids0.get(pid) ?? 0);
    const ours = (self.user + self.system) / 1e6 + kids;
    const busy1 = machineBusyS();
    const namedOut = Object.fromEntries(
      Object.entries(named).map(([k, pid]) => {
        const a = named0[k];
        const b = processCpuS(pid);
        return [k, a == null || b == null ? null : round(b - a)];
      }),
    );
    return { named: namedOut, self: round((self.user + self.system) / 1e6), ours: round(ours), others: busy0 === null || busy1 === null ? null : Math.max(0, round(busy1 - busy0 - ours)) };
  };
}

/** Waiting for quiet is bounded for the whole run, so a busy machine cannot stretch it much. */
let quietBudgetMs = 180_000;
let quietWaitedMs = 0;

/** Seconds this run spent waiting for the machine to be quiet (part of its duration, not of its work). */
export function quietWaitedS(): number {
  return Math.round(quietWaitedMs / 1000);
}

/**
 * Waits until the rest of the machine uses under `threshold` cores over a 2-second
 * sample, so a measurement does not start in the middle of someone else's test run;
 * at most 60 s per call and 180 s per run. Returns the last sampled other load.
 */
export async function waitQuiet(what: string, threshold = 0.3): Promise<number | null> {
  const deadline = Date.now() + Math.min(60_000, quietBudgetMs);
  const began = Date.now();
  let told = false;
  try {
    for (;;) {
      const span = cpuSpan();
      await new Promise((r) => setTimeout(r, 2000));
      const { others } = span();
      if (others === null || others < threshold) return others;
      if (Date.now() >= deadline) {
        console.log(`[bench] ${what}: the machine is still busy (${others} other cores); measuring anyway`);
        return others;
      }
      if (!told) console.log(`[bench] ${what}: waiting for other work on the machine to finish (${others} other cores busy)`);
      told = true;
    }
  } finally {
    quietBudgetMs = Math.max(0, quietBudgetMs - (Date.now() - began));
    quietWaitedMs += Date.now() - began;
  }
}
