import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';

/**
 * The central's SQLite file, as each part opens it: the registry, the alert store and
 * the user store share one file through connections of their own (and the CLI opens it
 * while the central runs). WAL lets readers go on during a write; busy_timeout makes a
 * writer wait for another's lock instead of failing with SQLITE_BUSY; FULL sync because
 * ingest progress and alerts must survive a power cut.
 */
export function openDatabase(file: string): Database.Database {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 5000');
  return db;
}
