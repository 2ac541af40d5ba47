import { openDatabase } from '../sqlite.js';
import Database from 'better-sqlite3';
import { z } from 'zod';
import { roleNeedsOpd, ROLES, type Role } from './roles.js';

/** Login names: lower case so "Admin" and "admin" cannot be two people. */
export const Username = z
  .string()
  .regex(/^[a-z][a-z0-9._-]{1,31}$/, 'a username is 2 to 32 characters: lower-case letters, digits, ".", "_" or "-", starting with a letter');

/** What a user was given to type: long enough to resist guessing, short enough for a form. */
export const NewPassword = z.string().min(10, 'a password needs at least 10 characters').max(256, 'a password may have at most 256 characters');

/** An OPD code as the registry writes it (config.ts RegistrySeed). */
export const OpdCode = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, 'an OPD code is lower-case letters, digits, "_" or "-" (max 32)');

/** A mistake the caller can fix (an unknown user, a taken name): its message says how. */
export class UserError extends Error {}

export interface UserRecord {
  username: string;
  role: Role;
  /** The OPD of a user of role `opd`; null for everyone else. */
  opd: string | null;
  passwordHash: string;
  disabled: boolean;
  createdAt: number;
  passwordChangedAt: number;
}

export interface UserSummary {
  username: string;
  role: Role;
  opd: string | null;
  disabled: boolean;
  createdAt: number;
  sessions: number;
  apiTokens: number;
}

export interface SessionRecord {
  username: string;
  role: Role;
  /** The user's OPD now (any change of it ends the sessions, so it is the one they logged in with). */
  opd: string | null;
  createdAt: number;
  lastSeenAt: number;
  userDisabled: boolean;
}

export interface ApiTokenRecord {
  id: number;
  username: string;
  role: Role;
  opd: string | null;
  label: string;
  createdAt: number;
  lastUsedAt: number | null;
  userDisabled: boolean;
}

interface UserRow {
  username: string;
  role: Role;
  opd: string | null;
  password_hash: string;
  disabled: number;
  created_at: number;
  password_changed_at: number;
}

/**
 * Command-room users, their sessions and API tokens, in the central's SQLite file
 * (tables prefixed `auth_` beside the registry's). The CLI and the running central
 * each open their own connection: a `user disable` in a shell ends that user's
 * sessions in the running central at once, since every request reads the table.
 */
export class UserStore {
  private readonly db: Database.Database;
  private readonly stmts;

  constructor(
    file: string,
    private readonly clock: () => number = Date.now,
  ) {
    this.db = openDatabase(file);
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS auth_users (${USERS_COLUMNS});
      CREATE TABLE IF NOT EXISTS auth_sessions (
        token_hash TEXT PRIMARY KEY, username TEXT NOT NULL, role TEXT NOT NULL,
        created_at INTEGER NOT NULL, last_seen_at INTEGER NOT NULL
      );
      CREATE INDEX IF NOT EXISTS auth_sessions_username ON auth_sessions (username);
      CREATE TABLE IF NOT EXISTS auth_api_tokens (
        id INTEGER PRIMARY KEY AUTOINCREMENT, token_hash TEXT NOT NULL UNIQUE, username TEXT NOT NULL,
        label TEXT NOT NULL, created_at INTEGER NOT NULL, last_used_at INTEGER
      );
    `);
    migrateUsers(this.db);
    this.stmts = {
      insertUser: this.db.prepare<[string, string, string | null, string, number, number]>(
        'INSERT INTO auth_users (username, role, opd, password_hash, created_at, password_changed_at) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      user: this.db.prepare<[string], UserRow>('SELECT * FROM auth_users WHERE username = ?'),
      users: this.db.prepare<[], UserRow & { sessions: number; api_tokens: number }>(
        `SELECT u.*, (SELECT COUNT(*) FROM auth_sessions s WHERE s.username = u.username) AS sessions,
                (SELECT COUNT(*) FROM auth_api_tokens t WHERE t.username = u.username) AS api_tokens
         FROM auth_users u ORDER BY u.username`,
      ),
      setPassword: this.db.prepare<[string, number, string]>('UPDATE auth_users SET password_hash = ?, password_changed_at = ? WHERE username = ?'),
      setDisabled: this.db.prepare<[number, string]>('UPDATE auth_users SET disabled = ? WHERE username = ?'),
      setRole: this.db.prepare<[string, string | null, string]>('UPDATE auth_users SET role = ?, opd = ? WHERE username = ?'),
      deleteUser: this.db.prepare<[string]>('DELETE FROM auth_users WHERE username = ?'),
      insertSession: this.db.prepare<[string, string, string, number, number]>(
        'INSERT INTO auth_sessions (token_hash, username, role, created_at, last_seen_at) VALUES (?, ?, ?, ?, ?)',
      ),
      session: this.db.prepare<[string], { username: string; role: Role; opd: string | null; created_at: number; last_seen_at: number; disabled: number | null }>(
        `SELECT s.username, s.role, u.opd, s.created_at, s.last_seen_at, u.disabled
         FROM auth_sessions s LEFT JOIN auth_users u ON u.username = s.username WHERE s.token_hash = ?`,
      ),
      touchSession: this.db.prepare<[number, string]>('UPDATE auth_sessions SET last_seen_at = ? WHERE token_hash = ?'),
      deleteSession: this.db.prepare<[string]>('DELETE FROM auth_sessions WHERE token_hash = ?'),
      deleteSessionsOf: this.db.prepare<[string]>('DELETE FROM auth_sessions WHERE username = ?'),
      deleteExpiredSessions: this.db.prepare<[number, number]>('DELETE FROM auth_sessions WHERE last_seen_at <= ? OR created_at <= ?'),
      insertApiToken: this.db.prepare<[string, string, string, number]>(
        'INSERT INTO auth_api_tokens (token_hash, username, label, created_at) VALUES (?, ?, ?, ?)',
      ),
      apiToken: this.db.prepare<[string], ApiTokenRow>(
        `SELECT t.id, t.username, u.role, u.opd, t.label, t.created_at, t.last_used_at, u.disabled
         FROM auth_api_tokens t JOIN auth_users u ON u.username = t.username WHERE t.token_hash = ?`,
      ),
      apiTokens: this.db.prepare<[string | null, string | null], ApiTokenRow>(
        `SELECT t.id, t.username, u.role, u.opd, t.label, t.created_at, t.last_used_at, u.disabled
         FROM auth_api_tokens t JOIN auth_users u ON u.username = t.username WHERE ? IS NULL OR t.username = ? ORDER BY t.id`,
      ),
      touchApiToken: this.db.prepare<[number, number]>('UPDATE auth_api_tokens SET last_used_at = ? WHERE id = ?'),
      deleteApiToken: this.db.prepare<[number]>('DELETE FROM auth_api_tokens WHERE id = ?'),
      deleteApiTokensOf: this.db.prepare<[string]>('DELETE FROM auth_api_tokens WHERE username = ?'),
    };
  }

  /**
   * Adds a user with an already hashed password (credentials.ts hashPassword). `opd`:
   * the OPD code of a user of role `opd` (whether the registry knows it is the caller's
   * check); refused for the other roles.
   */
  addUser(username: string, role: Role, passwordHash: string, opd?: string): void {
    const name = checkUsername(username);
    const scope = checkScope(role, opd);
    if (this.stmts.user.get(name)) throw new UserError(`user "${name}" already exists; use "user passwd" to give it a new password`);
    const now = this.clock();
    this.stmts.insertUser.run(name, role, scope, passwordHash, now, now);
  }

  user(username: string): UserRecord | undefined {
    const row = this.stmts.user.get(username);
    return (
      row && { username: row.username, role: row.role, opd: row.opd, passwordHash: row.password_hash, disabled: row.disabled !== 0, createdAt: row.created_at, passwordChangedAt: row.password_changed_at }
    );
  }

  users(): UserSummary[] {
    return this.stmts.users.all().map((r) => ({ username: r.username, role: r.role, opd: r.opd, disabled: r.disabled !== 0, createdAt: r.created_at, sessions: r.sessions, apiTokens: r.api_tokens }));
  }

  /** A new password ends every session of the user: whoever knew the old one is logged out. */
  setPassword(username: string, passwordHash: string): void {
    this.db.transaction(() => {
      this.requireUser(username);
      this.stmts.setPassword.run(passwordHash, this.clock(), username);
      this.stmts.deleteSessionsOf.run(username);
    })();
  }

  /** Disabling ends the user's sessions; the API tokens stay but are refused while disabled. */
  setDisabled(username: string, disabled: boolean): void {
    this.db.transaction(() => {
      this.requireUser(username);
      this.stmts.setDisabled.run(disabled ? 1 : 0, username);
      if (disabled) this.stmts.deleteSessionsOf.run(username);
    })();
  }

  /**
   * Sessions carry the role they logged in with, so a new role ends them; so does a
   * new OPD (`opd`: required for role `opd`, refused for the others).
   */
  setRole(username: string, role: Role, opd?: string): void {
    const scope = checkScope(role, opd);
    this.db.transaction(() => {
      this.requireUser(username);
      this.stmts.setRole.run(role, scope, username);
      this.stmts.deleteSessionsOf.run(username);
    })();
  }

  removeUser(username: string): void {
    this.db.transaction(() => {
      this.requireUser(username);
      this.stmts.deleteSessionsOf.run(username);
      this.stmts.deleteApiTokensOf.run(username);
      this.stmts.deleteUser.run(username);
    })();
  }

  createSession(tokenHash: string, username: string, role: Role): void {
    const now = this.clock();
    this.stmts.insertSession.run(tokenHash, username, role, now, now);
  }

  session(tokenHash: string): SessionRecord | undefined {
    const row = this.stmts.session.get(tokenHash);
    // A session whose user is gone counts as disabled: it must not outlive the account.
    return row && { username: row.username, role: row.role, opd: row.opd, createdAt: row.created_at, lastSeenAt: row.last_seen_at, userDisabled: row.disabled !== 0 };
  }

  touchSession(tokenHash: string): void {
    this.stmts.touchSession.run(this.clock(), tokenHash);
  }

  deleteSession(tokenHash: string): void {
    this.stmts.deleteSession.run(tokenHash);
  }

  /** Deletes sessions idle since `idleBefore` or created before `createdBefore`; returns how many. */
  deleteExpiredSessions(idleBefore: number, createdBefore: number): number {
    return this.stmts.deleteExpiredSessions.run(idleBefore, createdBefore).changes;
  }

  /** Stores an API token's hash for `username`; returns its id (for listing and revoking). */
  addApiToken(username: string, tokenHash: string, label: string): number {
    this.requireUser(username);
    return Number(this.stmts.insertApiToken.run(tokenHash, username, label, this.clock()).lastInsertRowid);
  }

  apiToken(tokenHash: string): ApiTokenRecord | undefined {
    const row = this.stmts.apiToken.get(tokenHash);
    return row && toApiToken(row);
  }

  apiTokens(username?: string): ApiTokenRecord[] {
    return this.stmts.apiTokens.all(username ?? null, username ?? null).map(toApiToken);
  }

  touchApiToken(id: number): void {
    this.stmts.touchApiToken.run(this.clock(), id);
  }

  revokeApiToken(id: number): void {
    if (this.stmts.deleteApiToken.run(id).changes === 0) throw new UserError(`no API token with id ${id}; "user tokens" lists them`);
  }

  close(): void {
    this.db.close();
  }

  private requireUser(username: string): void {
    if (!this.stmts.user.get(username)) throw new UserError(`no user "${username}"; "user list" shows the users`);
  }
}

function checkUsername(username: string): string {
  const parsed = Username.safeParse(username);
  if (!parsed.success) throw new UserError(`bad username "${username}": ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  return parsed.data;
}

/** Role `opd` needs an OPD and no other role may have one; returns the column's value. */
function checkScope(role: Role, opd: string | undefined): string | null {
  if (!roleNeedsOpd(role)) {
    if (opd !== undefined) throw new UserError(`role ${role} belongs to the command room, not to one OPD: give --opd only with --role opd`);
    return null;
  }
  if (opd === undefined) throw new UserError(`role ${role} needs the user's OPD: --opd CODE`);
  const parsed = OpdCode.safeParse(opd);
  if (!parsed.success) throw new UserError(`bad OPD code "${opd}": ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  return parsed.data;
}

interface ApiTokenRow {
  id: number;
  username: string;
  role: Role;
  opd: string | null;
  label: string;
  created_at: number;
  last_used_at: number | null;
  disabled: number;
}

function toApiToken(row: ApiTokenRow): ApiTokenRecord {
  return { id: row.id, username: row.username, role: row.role, opd: row.opd, label: row.label, createdAt: row.created_at, lastUsedAt: row.last_used_at, userDisabled: row.disabled !== 0 };
}

/**
 * The users table as this code needs it. The CHECKs keep a hand-edited row from
 * granting a role nobody defined, or an OPD user without an OPD (who would see
 * every office's complaints).
 */
const USERS_COLUMNS = `
  username TEXT PRIMARY KEY, role TEXT NOT NULL CHECK (role IN (${ROLES.map((r) => `'${r}'`).join(', ')})), password_hash TEXT NOT NULL,
  disabled INTEGER NOT NULL DEFAULT 0, created_at INTEGER NOT NULL, password_changed_at INTEGER NOT NULL,
  opd TEXT CHECK ((role = 'opd') = (opd IS NOT NULL))`;

/**
 * Databases made before OPD users have no `opd` column, and a role CHECK without the
 * newer roles. SQLite cannot change a CHECK in place, so the table is copied into one
 * made as above (users, hashes and times kept; sessions and tokens are other tables).
 * Immediate: the CLI and a running central may open an old file at the same moment,
 * and only one of them must copy it.
 */
function migrateUsers(db: Database.Database): void {
  const outdated = () => {
    const columns = db.prepare<[], { name: string }>('PRAGMA table_info(auth_users)').all();
    const sql = db.prepare<[], { sql: string }>("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'auth_users'").get()?.sql ?? '';
    const hasOpd = columns.some((c) => c.name === 'opd');
    return { hasOpd, stale: !hasOpd || ROLES.some((r) => !sql.includes(`'${r}'`)) };
  };
  if (!outdated().stale) return;
  db.transaction(() => {
    const { hasOpd, stale } = outdated();
    if (!stale) return;
    db.exec(`
      DROP TABLE IF EXISTS auth_users_migrating;
      CREATE TABLE auth_users_migrating (${USERS_COLUMNS});
      INSERT INTO auth_users_migrating (username, role, password_hash, disabled, created_at, password_changed_at, opd)
        SELECT username, role, password_hash, disabled, created_at, password_changed_at, ${hasOpd ? 'opd' : 'NULL'} FROM auth_users;
      DROP TABLE auth_users;
      ALTER TABLE auth_users_migrating RENAME TO auth_users;
    `);
  }).immediate();
}
