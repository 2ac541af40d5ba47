import { mkdirSync, readdirSync, rmSync, statSync, writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { SnapshotHeader } from '../protocols/snapshot/frame.js';

export interface StoredSnapshot {
  opd: string;
  gateway: string;
  header: SnapshotHeader;
  path: string;
  receivedAt: string;
}

/**
 * Snapshot files on disk, by gateway, camera and day:
 * `<dir>/<gateway>/<camera>/<YYYY-MM-DD>/<HHmmss.SSS>-<kind>.jpg`, kept for
 * `retentionDays` and under `maxTotalMB` (oldest files go first). The newest frame
 * per camera is remembered for the wall.
 */
export class SnapshotStore {
  private readonly latestByCamera = new Map<string, StoredSnapshot>();

  constructor(
    private readonly dir: string,
    private readonly limits: { retentionDays: number; maxTotalMB: number },
    private readonly log: Logger,
  ) {
    mkdirSync(dir, { recursive: true });
  }

  save(opd: string, gateway: string, header: SnapshotHeader, jpeg: Buffer): StoredSnapshot {
    const at = header.capturedAt; // 2026-11-26T01:02:03.456Z
    const folder = join(this.dir, gateway, header.camera, at.slice(0, 10));
    mkdirSync(folder, { recursive: true });
    const path = join(folder, `${at.slice(11, 23).replace(/:/g, '')}-${header.kind}.jpg`);
    writeFileSync(`${path}.tmp`, jpeg);
    renameSync(`${path}.tmp`, path);
    const stored: StoredSnapshot = { opd, gateway, header, path, receivedAt: new Date().toISOString() };
    const key = `${gateway}/${header.camera}`;
    const previous = this.latestByCamera.get(key);
    if (!previous || previous.header.capturedAt <= header.capturedAt) this.latestByCamera.set(key, stored);
    return stored;
  }

  latest(gateway: string, camera: string): StoredSnapshot | undefined {
    return this.latestByCamera.get(`${gateway}/${camera}`);
  }

  all(): StoredSnapshot[] {
    return [...this.latestByCamera.values()];
  }

  /** Applies retention; returns the number of files removed. */
  sweep(nowMs = Date.now()): number {
    const cutoff = new Date(nowMs - this.limits.retentionDays * 86_400_000).toISOString().slice(0, 10);
    const files: { path: string; day: string; bytes: number; mtimeMs: number }[] = [];
    let removed = 0;
    for (const gateway of safeList(this.dir)) {
      for (const camera of safeList(join(this.dir, gateway))) {
        for (const day of safeList(join(this.dir, gateway, camera))) {
          const dayDir = join(this.dir, gateway, camera, day);
          if (day < cutoff) {
            removed += safeList(dayDir).length;
            rmSync(dayDir, { recursive: true, force: true });
            continue;
          }
          for (const name of safeList(dayDir)) {
            const st = statSync(join(dayDir, name));
            files.push({ path: join(dayDir, name), day, bytes: st.size, mtimeMs: st.mtimeMs });
          }
        }
      }
    }
    let total = files.reduce((sum, f) => sum + f.bytes, 0);
    const max = this.limits.maxTotalMB * 1024 * 1024;
    if (total > max) {
      const latest = new Set(this.all().map((s) => s.path));
      for (const f of files.sort((a, b) => a.mtimeMs - b.mtimeMs)) {
        if (total <= max) break;
        if (latest.has(f.path)) continue; // the wall's current frame stays
        rmSync(f.path, { force: true });
        total -= f.bytes;
        removed++;
      }
    }
    if (removed > 0) this.log.info({ removed, totalMB: Math.round(total / 1024 / 1024) }, 'snapshot retention applied');
    return removed;
  }
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
