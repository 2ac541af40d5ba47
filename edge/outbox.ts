import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { EventRecord } from '../protocols/mqtt/payloads.js';

/** What the gateway hands the outbox: a record before it has a sequence number. */
export type NewRecord = EventRecord extends infer R ? (R extends EventRecord ? Omit<R, 'seq'> : never) : never;

export interface PendingRecord {
  record: EventRecord;
  createdMs: number;
}

function toRecord(row: { seq: number; body: string }): EventRecord {
  return { ...(JSON.parse(row.body) as NewRecord), seq: row.seq } as EventRecord;
}

export interface OutboxStats {
  depth: number;
  oldestAgeS: number | null;
  lastAckedSeq: number;
  bytes: number;
}

/**
 * The gateway's durable outbox (SQLite, WAL, synchronous=FULL). A record is committed
 * here, with its per-gateway sequence number, before anything is published; it is
 * deleted only when an ack from the central covers it. AUTOINCREMENT makes
 * SQLite remember the highest sequence ever used, so numbers are never reused even
 * after every row has been acked and deleted.
 */
export class Outbox {
  private readonly db: Database.Database;
  private readonly stmts;

  constructor(dataDir: string) {
    mkdirSync(dataDir, { recursive: true });
    this.db = new Database(join(dataDir, 'outbox.sqlite'));
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS records (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        body TEXT NOT NULL,
        created_ms INTEGER NOT NULL
      );
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS latest (key TEXT PRIMARY KEY, body TEXT NOT NULL, created_ms INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS driver_state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      -- Punch identities already accepted: a terminal that repeats a line, or a bulk
      -- download that returns every record again, must not create a second record.
      CREATE TABLE IF NOT EXISTS seen_punches (key TEXT PRIMARY KEY, seen_ms INTEGER NOT NULL);
      CREATE INDEX IF NOT EXISTS seen_punches_age ON seen_punches(seen_ms);
      CREATE INDEX IF NOT EXISTS records_age ON records(created_ms);
    `);
    // Urgent records (panic presses) are live whatever their age: sent ahead of the
    // backlog and never rate-limited. Added to outboxes made by earlier releases.
    const columns = this.db.prepare<[], { name: string }>('PRAGMA table_info(records)').all();
    if (!columns.some((c) => c.name === 'urgent')) this.db.exec('ALTER TABLE records ADD COLUMN urgent INTEGER NOT NULL DEFAULT 0');
    this.db.exec('CREATE INDEX IF NOT EXISTS records_urgent ON records(seq) WHERE urgent = 1');
    this.stmts = {
      insert: this.db.prepare<[string, number, number]>('INSERT INTO records (body, created_ms, urgent) VALUES (?, ?, ?)'),
      markSeen: this.db.prepare<[string, number]>('INSERT OR IGNORE INTO seen_punches (key, seen_ms) VALUES (?, ?)'),
      pending: this.db.prepare<[number, number], { seq: number; body: string }>(
        'SELECT seq, body FROM records WHERE seq > ? ORDER BY seq LIMIT ?',
      ),
      deleteUpTo: this.db.prepare<[number]>('DELETE FROM records WHERE seq <= ?'),
      deleteRange: this.db.prepare<[number, number]>('DELETE FROM records WHERE seq BETWEEN ? AND ?'),
      oldestSeq: this.db.prepare<[], { seq: number | null }>('SELECT MIN(seq) AS seq FROM records'),
      recent: this.db.prepare<[number, number], { seq: number; body: string; created_ms: number }>(
        'SELECT seq, body, created_ms FROM records WHERE created_ms >= ? ORDER BY seq LIMIT ?',
      ),
      older: this.db.prepare<[number, number], { seq: number; body: string; created_ms: number }>(
        'SELECT seq, body, created_ms FROM records WHERE created_ms < ? AND urgent = 0 ORDER BY seq LIMIT ?',
      ),
      urgentOlder: this.db.prepare<[number, number], { seq: number; body: string; created_ms: number }>(
        'SELECT seq, body, created_ms FROM records WHERE urgent = 1 AND created_ms < ? ORDER BY seq LIMIT ?',
      ),
      getMeta: this.db.prepare<[string], { value: number }>('SELECT value FROM meta WHERE key = ?'),
      setMeta: this.db.prepare<[string, number]>('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value'),
      stats: this.db.prepare<[], { depth: number; oldest: number | null }>('SELECT COUNT(*) AS depth, MIN(created_ms) AS oldest FROM records'),
      highestSeq: this.db.prepare<[], { seq: number }>("SELECT seq FROM sqlite_sequence WHERE name = 'records'"),
      getState: this.db.prepare<[string], { value: string }>('SELECT value FROM driver_state WHERE key = ?'),
      setState: this.db.prepare<[string, string]>(
        'INSERT INTO driver_state (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value',
      ),
      putLatest: this.db.prepare<[string, string | Buffer, number]>(
        'INSERT INTO latest (key, body, created_ms) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET body = excluded.body, created_ms = excluded.created_ms',
      ),
      hasLatest: this.db.prepare<[string], { one: number }>('SELECT 1 AS one FROM latest WHERE key = ?'),
      allLatest: this.db.prepare<[], { key: string; body: string | Buffer }>('SELECT key, body FROM latest ORDER BY key'),
      clearLatest: this.db.prepare('DELETE FROM latest'),
      pruneSeen: this.db.prepare<[number]>('DELETE FROM seen_punches WHERE seen_ms < ?'),
    };
  }

  /**
   * Commits a record and returns its sequence number, or undefined when it is a punch
   * this gateway has already accepted (same terminal, employee, device time, status).
   */
  append(record: NewRecord, nowMs = Date.now()): number | undefined {
    return this.db.transaction(() => this.insertOne(record, nowMs))();
  }

  /**
   * Commits many records in one transaction (one fsync): a bulk log download of
   * 100,000 punches must not cost 100,000 disk flushes. Returns the new sequence
   * numbers; duplicates are skipped.
   */
  appendMany(records: readonly NewRecord[], nowMs = Date.now()): number[] {
    return this.db.transaction(() => {
      const seqs: number[] = [];
      for (const record of records) {
        const seq = this.insertOne(record, nowMs);
        if (seq !== undefined) seqs.push(seq);
      }
      return seqs;
    })();
  }

  private insertOne(record: NewRecord, nowMs: number): number | undefined {
    if (record.kind === 'punch') {
      const key = [record.terminal, record.employee, record.deviceTime, record.status ?? ''].join('\u0000');
      if (this.stmts.markSeen.run(key, nowMs).changes === 0) return undefined;
      // For `pemda-edge status`: the technician's "did my punch arrive?"
      this.stmts.setState.run(`last-punch:${record.terminal}`, JSON.stringify({ employee: record.employee, deviceTime: record.deviceTime, atMs: nowMs }));
    }
    return Number(this.stmts.insert.run(JSON.stringify(record), nowMs, record.kind === 'panic' ? 1 : 0).lastInsertRowid);
  }

  /** A small persisted value for a driver (e.g. a terminal's download cursor). */
  getState(key: string): string | undefined {
    return this.stmts.getState.get(key)?.value;
  }

  setState(key: string, value: string): void {
    this.stmts.setState.run(key, value);
  }

  /** Unacked records after `afterSeq`, oldest first. */
  pending(afterSeq: number, limit: number): EventRecord[] {
    return this.stmts.pending.all(afterSeq, limit).map(toRecord);
  }

  /**
   * Live records, oldest first: unacked records committed at or after `sinceMs`, and
   * urgent ones (panic) of any age, which lead the batch.
   */
  pendingSince(sinceMs: number, limit: number): PendingRecord[] {
    const rows = [...this.stmts.urgentOlder.all(sinceMs, limit), ...this.stmts.recent.all(sinceMs, limit)];
    return rows.slice(0, limit).map((row) => ({ record: toRecord(row), createdMs: row.created_ms }));
  }

  /** Unacked records committed before `beforeMs` (backlog, urgent ones excepted), oldest first. */
  pendingBefore(beforeMs: number, limit: number): PendingRecord[] {
    return this.stmts.older.all(beforeMs, limit).map((row) => ({ record: toRecord(row), createdMs: row.created_ms }));
  }

  /**
   * Applies an ack: every record up to `upTo`, and every record in `ranges`
   * (inclusive [from, to] pairs), is durable centrally. Sequences past the highest
   * this gateway ever issued (a replayed or foreign ack) are ignored. Returns how
   * many records were deleted.
   */
  ack(upTo: number, ranges: readonly (readonly [number, number])[] = [], nowMs = Date.now()): number {
    return this.db.transaction(() => {
      this.stmts.setMeta.run('last_ack_ms', nowMs);
      const highest = this.highestSeq();
      let deleted = this.stmts.deleteUpTo.run(Math.min(upTo, highest)).changes;
      for (const [from, to] of ranges) {
        if (from > to || from > highest) continue;
        deleted += this.stmts.deleteRange.run(from, Math.min(to, highest)).changes;
      }
      return deleted;
    })();
  }

  /** Every record up to this sequence is acked (and deleted): the contiguous watermark. */
  lastAckedSeq(): number {
    const oldest = this.stmts.oldestSeq.get()?.seq;
    return oldest != null ? oldest - 1 : this.highestSeq();
  }

  /** The highest sequence ever issued (SQLite's AUTOINCREMENT memory), 0 when none. */
  highestSeq(): number {
    return this.stmts.highestSeq.get()?.seq ?? 0;
  }

  /** Birth/death session number: +1 per MQTT connection, persisted (Sparkplug bdSeq). */
  nextBdSeq(): number {
    return this.db.transaction(() => {
      const next = (this.stmts.getMeta.get('bd_seq')?.value ?? -1) + 1;
      this.stmts.setMeta.run('bd_seq', next);
      return next;
    })();
  }

  stats(nowMs = Date.now()): OutboxStats {
    const row = this.stmts.stats.get();
    return {
      depth: row?.depth ?? 0,
      oldestAgeS: row?.oldest != null ? Math.max(0, (nowMs - row.oldest) / 1000) : null,
      lastAckedSeq: this.lastAckedSeq(),
      bytes: this.bytes(),
    };
  }

  /** Space in use: live pages of the database (free pages are reused, not counted). */
  bytes(): number {
    const pageSize = Number(this.db.pragma('page_size', { simple: true }));
    const pages = Number(this.db.pragma('page_count', { simple: true })) - Number(this.db.pragma('freelist_count', { simple: true }));
    return pages * pageSize;
  }

  /**
   * Latest-wins classes (health, snapshots): one row per key, replaced by the
   * next. Returns true when an undelivered older value was replaced (a drop).
   */
  putLatest(key: string, body: string | Buffer, nowMs = Date.now()): boolean {
    return this.db.transaction(() => {
      const replaced = this.stmts.hasLatest.get(key) !== undefined;
      this.stmts.putLatest.run(key, body, nowMs);
      return replaced;
    })();
  }

  /** Takes every stored latest value (for delivery). */
  takeLatest(): { key: string; body: string | Buffer }[] {
    return this.db.transaction(() => {
      const rows = this.stmts.allLatest.all();
      this.stmts.clearLatest.run();
      return rows;
    })();
  }

  /** Forgets punch identities older than `maxAgeMs` (terminals keep months of logs; we keep 60 days). */
  pruneSeen(maxAgeMs = 60 * 24 * 3600 * 1000, nowMs = Date.now()): number {
    return this.stmts.pruneSeen.run(nowMs - maxAgeMs).changes;
  }

  close(): void {
    this.db.close();
  }
}
