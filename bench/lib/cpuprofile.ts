import { fileURLToPath } from 'node:url';
import { relative } from 'node:path';

/**
 * Summarises a V8 CPU profile (`node --cpu-prof`, the .cpuprofile JSON the Chrome
 * DevTools protocol defines as Profiler.Profile): where the process spent its CPU,
 * by function (self and inclusive time) and by module (node_modules package, Node
 * core area, or our own file). Time is taken from the sample deltas, not hitCount x
 * interval, so uneven sampling under load is accounted for.
 */
export interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileLine {
  name: string;
  ms: number;
  /** Share of the busy (non-idle) time in the window. */
  pct: number;
}

export interface ProfileSummary {
  windowS: number;
  samples: number;
  busyMs: number;
  idleMs: number;
  /** Busy time / window: cores the main thread used. */
  busyShare: number;
  topSelf: ProfileLine[];
  topInclusive: ProfileLine[];
  modules: ProfileLine[];
}

const SPECIAL = new Set(['(idle)', '(program)', '(garbage collector)', '(root)']);

/** Where a frame's code comes from: a package, a Node core area, our file, or V8 itself. */
export function moduleOf(url: string, functionName: string, root?: string): string {
  if (url === '') return SPECIAL.has(functionName) ? functionName : '(V8 builtins and native)';
  if (url.startsWith('node:')) {
    const parts = url.slice(5).split('/');
    return `node:${parts[0] === 'internal' ? (parts[1] ?? 'internal') : parts[0]}`;
  }
  const path = url.startsWith('file://') ? fileURLToPath(url) : url;
  const nm = path.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = path.slice(nm + '/node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  return `ours: ${root ? relative(root, path) : path}`;
}

function frameName(f: { functionName: string; url: string; lineNumber: number }, root?: string): string {
  const fn = f.functionName || '(anonymous)';
  if (f.url === '') return fn;
  const mod = moduleOf(f.url, f.functionName, root);
  const file = f.url.split('/').pop();
  return `${fn} (${mod.startsWith('ours: ') ? mod.slice(6) : `${mod} ${file}`}:${f.lineNumber + 1})`;
}

/**
 * Summary of the samples between `fromUs` and `toUs` (the profile's own clock, which
 * on Linux is CLOCK_MONOTONIC like process.hrtime); the whole profile without them,
 * or when no sample falls inside.
 */
export function summarizeProfile(p: CpuProfile, options: { fromUs?: number; toUs?: number; top?: number; root?: string } = {}): ProfileSummary {
  const top = options.top ?? 15;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

  const inWindow = (from: number, to: number) => {
    const self = new Map<number, number>();
    let t = p.startTime;
    let first = Infinity;
    let last = -Infinity;
    let count = 0;
    for (let i = 0; i < p.samples.length; i++) {
      t += p.timeDeltas[i] ?? 0;
      if (t < from || t > to) continue;
      // A sample stands for the time until the next one.
      const dur = p.timeDeltas[i + 1] ?? 0;
      self.set(p.samples[i]!, (self.get(p.samples[i]!) ?? 0) + dur);
      first = Math.min(first, t);
      last = Math.max(last, t + dur);
      count++;
    }
    return { self, count, spanUs: count === 0 ? 0 : last - first };
  };
  let w = inWindow(options.fromUs ?? -Infinity, options.toUs ?? Infinity);
  if (w.count === 0) w = inWindow(-Infinity, Infinity);

  const selfByFn = new Map<string, number>();
  const selfByModule = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let idle = 0;
  let busy = 0;
  const add = (m: Map<string, number>, k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v);
  for (const [id, us] of w.self) {
    const node = byId.get(id)!;
    const f = node.callFrame;
    if (f.functionName === '(idle)') {
      idle += us;
      continue;
    }
    busy += us;
    add(selfByFn, frameName(f, options.root), us);
    add(selfByModule, moduleOf(f.url, f.functionName, options.root), us);
    // Inclusive: once per distinct function on the stack (recursion counted once).
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const name = frameName(byId.get(at)!.callFrame, options.root);
      if (name === '(root)' || seen.has(name)) continue;
      seen.add(name);
      add(inclusive, name, us);
    }
  }
  const lines = (m: Map<string, number>, n: number): ProfileLine[] =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, us]) => ({ name, ms: Math.round(us / 1000), pct: busy === 0 ? 0 : Math.round((us / busy) * 1000) / 10 }));
  return {
    windowS: Math.round(w.spanUs / 1e5) / 10,
    samples: w.count,
    busyMs: Math.round(busy / 1000),
    idleMs: Math.round(idle / 1000),
    busyShare: w.spanUs === 0 ? 0 : Math.round((busy / w.spanUs) * 100) / 100,
    topSelf: lines(selfByFn, top),
    topInclusive: lines(inclusive, top),
    modules: lines(selfByModule, top),
  };
}

/** A few lines of text for the console. */
export function formatProfile(s: ProfileSummary, n = 10): string {
  const pad = (l: ProfileLine) => `${String(l.pct).padStart(5)} %  ${String(l.ms).padStart(6)} ms  ${l.name}`;
  return [
    `main thread busy ${s.busyMs} ms of ${s.windowS} s (${s.busyShare} of a core), ${s.samples} samples`,
    'self time by module:',
    ...s.modules.slice(0, n).map(pad),
    'self time by function:',
    ...s.topSelf.slice(0, n).map(pad),
    'inclusive time by function:',
    ...s.topInclusive.slice(0, n).map(pad),
  ].join('\n');
}
