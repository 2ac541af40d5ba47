import { execFile } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';

/**
 * The footprint of one process from Linux /proc and ps: resident memory, CPU seconds
 * (its own, and its reaped children's), and its child processes. Null where /proc is
 * absent or the process is gone.
 */
const TICKS = 100; // USER_HZ on Linux

/** A field of /proc/PID/status in KiB (VmRSS, VmHWM). */
export function statusKiB(pid: number, field: 'VmRSS' | 'VmHWM'): number | null {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

export interface CpuTimes {
  /** utime + stime, seconds. */
  self: number;
  /** cutime + cstime: children it has waited for (ffmpeg grabs, once reaped), seconds. */
  children: number;
}

export function cpuTimes(pid: number): CpuTimes | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
    return { self: (f[11]! + f[12]!) / TICKS, children: (f[13]! + f[14]!) / TICKS };
  } catch {
    return null;
  }
}

export interface ChildProc {
  pid: number;
  /** ps STAT: "Z" (zombie) first when it exited unreaped. */
  stat: string;
  /** Seconds since it started. */
  ageS: number;
  rssKiB: number;
  comm: string;
}

/** The direct children of `pid`, from `ps --ppid` (none: an empty list). */
export function childrenOf(pid: number): Promise<ChildProc[]> {
  return new Promise((resolve) => {
    execFile('ps', ['-o', 'pid=,stat=,etimes=,rss=,comm=', '--ppid', String(pid)], { timeout: 5000 }, (err, stdout) => {
      // ps exits 1 when nothing matched; stdout is empty then.
      if (err && stdout.trim() === '') return resolve([]);
      resolve(
        stdout
          .split('\n')
          .map((l) => l.trim().split(/\s+/))
          .filter((p) => p.length >= 5)
          .map(([p, stat, age, rss, ...comm]) => ({ pid: Number(p), stat: stat!, ageS: Number(age), rssKiB: Number(rss), comm: comm.join(' ') })),
      );
    });
  });
}

/**
 * Samples a process every `everyMs`: VmRSS, and its `childComm` children (count, RSS).
 * Samples are taken from start() to stop(); max and last are over all of them.
 */
export class ProcSampler {
  readonly rssKiB: number[] = [];
  maxChildren = 0;
  maxChildrenRssKiB = 0;
  readonly childrenSeen = new Set<number>();
  private timer: NodeJS.Timeout | undefined;
  private psBusy = false;

  constructor(
    readonly pid: number,
    private readonly childComm: string,
    private readonly everyMs = 1000,
  ) {}

  start(): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), this.everyMs);
  }

  private sample(): void {
    const rss = statusKiB(this.pid, 'VmRSS');
    if (rss !== null) this.rssKiB.push(rss);
    if (this.psBusy) return;
    this.psBusy = true;
    void childrenOf(this.pid).then((kids) => {
      this.psBusy = false;
      const ours = kids.filter((k) => k.comm === this.childComm);
      for (const k of ours) this.childrenSeen.add(k.pid);
      this.maxChildren = Math.max(this.maxChildren, ours.length);
      this.maxChildrenRssKiB = Math.max(this.maxChildrenRssKiB, ours.reduce((n, k) => n + k.rssKiB, 0));
    });
  }

  get maxRssKiB(): number | null {
    return this.rssKiB.length === 0 ? null : Math.max(...this.rssKiB);
  }

  get lastRssKiB(): number | null {
    return this.rssKiB.at(-1) ?? null;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

/** Live processes called `comm` whose command line contains one of `needles` (orphans included). */
export function processesMatching(comm: string, needles: string[]): number[] {
  const found: number[] = [];
  let names: string[];
  try {
    names = readdirSync('/proc').filter((n) => /^\d+$/.test(n));
  } catch {
    return found;
  }
  for (const name of names) {
    try {
      if (readFileSync(`/proc/${name}/comm`, 'utf8').trim() !== comm) continue;
      const cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').join(' ');
      if (needles.some((n) => cmdline.includes(n))) found.push(Number(name));
    } catch {
      // exited meanwhile
    }
  }
  return found;
}
