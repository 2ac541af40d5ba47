import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { GatewayConfig } from '../config.js';

export interface GatewayStatusReport {
  outboxDepth: number;
  oldestUnsentAgeS: number | null;
  lastAckedSeq: number;
  lastAckAt: string | null;
  lastPunch: Record<string, { employee: string; deviceTime: string; at: string } | null>;
}

/**
 * Reads the outbox of a gateway, running or not, without writing to it (SQLite WAL
 * lets a read-only reader sit beside the gateway process).
 */
export function readStatus(config: GatewayConfig, nowMs = Date.now()): GatewayStatusReport {
  const file = join(config.gateway.dataDir, 'outbox.sqlite');
  if (!existsSync(file)) throw new Error(`no outbox at ${file}: the gateway has not run with this config yet`);
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const stats = db.prepare('SELECT COUNT(*) AS depth, MIN(created_ms) AS oldest, MIN(seq) AS minSeq FROM records').get() as { depth: number; oldest: number | null; minSeq: number | null };
    const highest = (db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'records'").get() as { seq: number } | undefined)?.seq ?? 0;
    const lastAck = (db.prepare("SELECT value FROM meta WHERE key = 'last_ack_ms'").get() as { value: number } | undefined)?.value;
    const lastPunch: GatewayStatusReport['lastPunch'] = {};
    for (const t of config.terminals) {
      const row = db.prepare('SELECT value FROM driver_state WHERE key = ?').get(`last-punch:${t.id}`) as { value: string } | undefined;
      const p = row ? (JSON.parse(row.value) as { employee: string; deviceTime: string; atMs: number }) : undefined;
      lastPunch[t.id] = p ? { employee: p.employee, deviceTime: p.deviceTime, at: new Date(p.atMs).toISOString() } : null;
    }
    return {
      outboxDepth: stats.depth,
      oldestUnsentAgeS: stats.oldest === null ? null : Math.round((nowMs - stats.oldest) / 1000),
      lastAckedSeq: stats.minSeq === null ? highest : stats.minSeq - 1,
      lastAckAt: lastAck === undefined ? null : new Date(lastAck).toISOString(),
      lastPunch,
    };
  } finally {
    db.close();
  }
}

export function formatStatus(gateway: string, r: GatewayStatusReport): string {
  const lines = [
    `gateway ${gateway}`,
    `  outbox: ${r.outboxDepth} record(s) waiting${r.oldestUnsentAgeS !== null ? `, oldest ${r.oldestUnsentAgeS} s` : ''}`,
    `  last ack from the central: ${r.lastAckAt ?? 'never'} (acked up to seq ${r.lastAckedSeq})`,
    ...Object.entries(r.lastPunch).map(([t, p]) => `  terminal ${t}: ${p ? `last punch ${p.employee} at ${p.deviceTime} (read ${p.at})` : 'no punch yet'}`),
  ];
  return lines.join('\n');
}
