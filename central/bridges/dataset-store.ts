import Database from 'better-sqlite3';
import { timingSafeEqual } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';
import { hashToken } from '../auth/tokens.js';
import { mosquittoHash } from '../credentials.js';
import { DatasetField, type DatasetRegistration } from './dataset.js';

/**
 * Dataset registrations and their push tokens (only hashes of each), in SQLite; the
 * file may be the registry's: table names start with "dataset". The latest row time is
 * kept here too, so the list of datasets and its stale flags work while InfluxDB is down.
 *
 * Two hashes per token: SHA-256 for the central's own checks (HTTP, embedded broker), and
 * Mosquitto's `$7$` PBKDF2 form so `mosquitto-files` can export the identity to an
 * external Mosquitto; neither can be turned back into the token, nor one into the other,
 * hence both are made when the token is issued.
 */

export interface DatasetRecord extends DatasetRegistration {
  createdAt: string;
  createdBy: string;
  tokenSetAt: string;
  /** The newest row time ever accepted (ISO), null before the first row. */
  latestRowAt: string | null;
  lastPushAt: string | null;
  rowsAccepted: number;
  rowsRejected: number;
}

interface Row {
  slug: string;
  name: string;
  opd: string;
  fields: string;
  stale_after_s: number | null;
  created_at: number;
  created_by: string;
  token_set_at: number;
  latest_row_at: number | null;
  last_push_at: number | null;
  rows_accepted: number;
  rows_rejected: number;
}

const StoredFields = z.array(DatasetField);
const iso = (ms: number): string => new Date(ms).toISOString();

function toRecord(r: Row): DatasetRecord {
  return {
    slug: r.slug,
    name: r.name,
    opd: r.opd,
    fields: StoredFields.parse(JSON.parse(r.fields)),
    ...(r.stale_after_s !== null && { staleAfterS: r.stale_after_s }),
    createdAt: iso(r.created_at),
    createdBy: r.created_by,
    tokenSetAt: iso(r.token_set_at),
    latestRowAt: r.latest_row_at === null ? null : iso(r.latest_row_at),
    lastPushAt: r.last_push_at === null ? null : iso(r.last_push_at),
    rowsAccepted: r.rows_accepted,
    rowsRejected: r.rows_rejected,
  };
}

export class DatasetStore {
  private readonly db: Database.Database;
  private readonly stmts;

  constructor(file: string) {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS datasets (
        slug TEXT PRIMARY KEY, name TEXT NOT NULL, opd TEXT NOT NULL, fields TEXT NOT NULL, stale_after_s INTEGER,
        token_hash TEXT NOT NULL, token_set_at INTEGER NOT NULL, created_at INTEGER NOT NULL, created_by TEXT NOT NULL,
        latest_row_at INTEGER, last_push_at INTEGER, rows_accepted INTEGER NOT NULL DEFAULT 0, rows_rejected INTEGER NOT NULL DEFAULT 0,
        mosquitto_hash TEXT
      );
    `);
    // Databases made before the Mosquitto export keep their datasets; those tokens stay
    // without a Mosquitto hash (NULL) until rotated.
    const columns = this.db.prepare<[], { name: string }>('PRAGMA table_info(datasets)').all();
    if (!columns.some((c) => c.name === 'mosquitto_hash')) this.db.exec('ALTER TABLE datasets ADD COLUMN mosquitto_hash TEXT');
    this.stmts = {
      insert: this.db.prepare<[string, string, string, string, number | null, string, string, number, number, string]>(
        `INSERT INTO datasets (slug, name, opd, fields, stale_after_s, token_hash, mosquitto_hash, token_set_at, created_at, created_by)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(slug) DO NOTHING`,
      ),
      get: this.db.prepare<[string], Row>('SELECT * FROM datasets WHERE slug = ?'),
      all: this.db.prepare<[], Row>('SELECT * FROM datasets ORDER BY opd, slug'),
      tokenHash: this.db.prepare<[string], { token_hash: string }>('SELECT token_hash FROM datasets WHERE slug = ?'),
      setToken: this.db.prepare<[string, string, number, string]>('UPDATE datasets SET token_hash = ?, mosquitto_hash = ?, token_set_at = ? WHERE slug = ?'),
      mosquittoHashes: this.db.prepare<[], { slug: string; mosquitto_hash: string | null }>('SELECT slug, mosquitto_hash FROM datasets ORDER BY slug'),
      pushed: this.db.prepare<[{ newest: number | null; at: number; accepted: number; rejected: number; slug: string }]>(
        `UPDATE datasets SET latest_row_at = CASE WHEN @newest IS NULL THEN latest_row_at ELSE MAX(IFNULL(latest_row_at, @newest), @newest) END,
         last_push_at = @at, rows_accepted = rows_accepted + @accepted, rows_rejected = rows_rejected + @rejected WHERE slug = @slug`,
      ),
    };
  }

  /** Registers a dataset with the hashes of its token; false when the slug is taken. */
  add(reg: DatasetRegistration, token: string, by: string, atMs: number): boolean {
    const r = this.stmts.insert.run(reg.slug, reg.name, reg.opd, JSON.stringify(reg.fields), reg.staleAfterS ?? null, hashToken(token), mosquittoHash(token), atMs, atMs, by);
    return r.changes === 1;
  }

  get(slug: string): DatasetRecord | undefined {
    const r = this.stmts.get.get(slug);
    return r && toRecord(r);
  }

  all(): DatasetRecord[] {
    return this.stmts.all.all().map(toRecord);
  }

  /** Compares hashes in constant time: the answer's timing says nothing about the token. */
  tokenMatches(slug: string, token: string): boolean {
    const stored = this.stmts.tokenHash.get(slug)?.token_hash;
    if (stored === undefined) return false;
    return timingSafeEqual(Buffer.from(stored, 'hex'), Buffer.from(hashToken(token), 'hex'));
  }

  /** Replaces the token (the old one stops working at once); false when there is no such dataset. */
  setToken(slug: string, token: string, atMs: number): boolean {
    return this.stmts.setToken.run(hashToken(token), mosquittoHash(token), atMs, slug).changes === 1;
  }

  /**
   * Every dataset with its token's Mosquitto password-file hash; null for a token issued
   * before this store kept one (the dataset needs a new token to be exported).
   */
  mosquittoHashes(): { slug: string; hash: string | null }[] {
    return this.stmts.mosquittoHashes.all().map((r) => ({ slug: r.slug, hash: r.mosquitto_hash }));
  }

  /** Counts a push; `newestRowMs` null when no row was accepted. */
  recordPush(slug: string, newestRowMs: number | null, accepted: number, rejected: number, atMs: number): void {
    this.stmts.pushed.run({ newest: newestRowMs, at: atMs, accepted, rejected, slug });
  }

  close(): void {
    this.db.close();
  }
}
