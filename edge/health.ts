import { statfsSync } from 'node:fs';
import os from 'node:os';
import type { Health } from '../protocols/mqtt/payloads.js';

/** One health report: the gateway's own vital signs and its outbox backlog. */
export function collectHealth(dataDir: string, outbox: Health['outbox'], startedAtMs: number, nowMs = Date.now()): Health {
  let disk: Health['disk'] = null;
  try {
    const s = statfsSync(dataDir);
    disk = { freeBytes: s.bavail * s.bsize, totalBytes: s.blocks * s.bsize };
  } catch {
    // No disk figure is better than a wrong one; the outbox itself reports failures.
  }
  return {
    v: 1,
    at: new Date(nowMs).toISOString(),
    uptimeS: Math.max(0, (nowMs - startedAtMs) / 1000),
    cpu: { load1: os.loadavg()[0] ?? 0, cores: Math.max(1, os.availableParallelism()) },
    memory: { rssBytes: process.memoryUsage().rss, freeBytes: os.freemem(), totalBytes: os.totalmem() },
    disk,
    outbox,
  };
}
