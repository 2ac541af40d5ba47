import { openDatabase } from '../sqlite.js';
import Database from 'better-sqlite3';
import { z } from 'zod';
import { ROLES, type Role } from './roles.js';

/** Login names: lower case so "Admin" and "admin" cannot be two people. */
export const Username = z
  .string()
  .regex(/^[a-z][a-z0-9._-]{1,31}$/, 'a username is 2 to 32 characters: lower-case letters, digits, ".", "_" or "-", starting with a letter');

/** What a user was given to type: long enough to resist guessing, short enough for a form. */
export const NewPassword = z.string().min(10, 'a password needs at least 10 characters').max(256, 'a password may have at most 256 characters');

/** A mistake the caller can fix (an unknown user, a taken name): its message says how. */
export class UserError extends Error {}

export interface UserRecord {
  username: string;
  role: Role;
  passwordHash: string;
  disabled: boolean;
  createdAt: number;
  passwordChangedAt: number;
}

export interface UserSummary {
  username: string;
  role: Role;
  disabled: boolean;
  createdAt: number;
  sessions: number;
  apiTokens: number;
}

export interface SessionRecord {
  username: string;
  role: Role;
  createdAt: number;
  lastSeenAt: number;
  userDisabled: boolean;
}

export interface ApiTokenRecord {
  id: number;
  username: string;
  role: Role;
  label: string;
  createdAt: number;
  lastUsedAt: number | null;
  userDisabled: boolean;
}

interface UserRow {
  username: string;
  role: Role;
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
    const roles = ROLES.map((r) => `'${r}'`).join(', ');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS auth_users (
        username TEXT PRIMARY KEY, role TEXT NOT NULL CHECK (role IN (${roles})), password_hash TEXT NOT NULL,
        disabled INTEGER NOT NULL DEFAULT 0, created_at INTEGER NOT NULL, password_changed_at INTEGER NOT NULL
      );
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
    this.stmts = {
      insertUser: this.db.prepare<[string, string, string, number, number]>(
        'INSERT INTO auth_users (username, role, password_hash, created_at, password_changed_at) VALUES (?, ?, ?, ?, ?)',
      ),
      user: this.db.prepare<[string], UserRow>('SELECT * FROM auth_users WHERE username = ?'),
      users: this.db.prepare<[], UserRow & { sessions: number; api_tokens: number }>(
        `SELECT u.*, (SELECT COUNT(*) FROM auth_sessions s WHERE s.username = u.username) AS sessions,
                (SELECT COUNT(*) FROM auth_api_tokens t WHERE t.username = u.username) AS api_tokens
         FROM auth_users u ORDER BY u.username`,
      ),
      setPassword: this.db.prepare<[string, number, string]>('UPDATE auth_users SET password_hash = ?, password_changed_at = ? WHERE username = ?'),
      setDisabled: this.db.prepare<[number, string]>('UPDATE auth_users SET disabled = ? WHERE username = ?'),
      setRole: this.db.prepare<[string, string]>('UPDATE auth_users SET role = ? WHERE username = ?'),
      deleteUser: this.db.prepare<[string]>('DELETE FROM auth_users WHERE username = ?'),
      insertSession: this.db.prepare<[string, string, string, number, number]>(
        'INSERT INTO auth_sessions (token_hash, username, role, created_at, last_seen_at) VALUES (?, ?, ?, ?, ?)',
      ),
      session: this.db.prepare<[string], { username: string; role: Role; created_at: number; last_seen_at: number; disabled: number | null }>(
        `SELECT s.username, s.role, s.created_at, s.last_seen_at, u.disabled
         FROM auth_sessions s LEFT JOIN auth_users u ON u.username = s.username WHERE s.token_hash = ?`,
      ),
      touchSession: this.db.prepare<[number, string]>('UPDATE auth_sessions SET last_seen_at = ? WHERE token_hash = ?'),
      deleteSession: this.db.prepare<[string]>('DELETE FROM auth_sessions WHERE token_hash = ?'),
      deleteSessionsOf: this.db.prepare<[string]>('DELETE FROM auth_sessions WHERE username = ?'),
      deleteExpiredSessions: this.db.prepare<[number, number]>('DELETE FROM auth_sessions WHERE last_seen_at <= ? OR created_at <= ?'),
      insertApiToken: this.db.prepare<[string, string, string, number]>(
        'INSERT INTO auth_api_tokens (token_hash, username, label, created_at) VALUES (?, ?, ?, ?)',
      ),
      apiToken: this.db.prepare<[string], { id: number; username: string; role: Role; label: string; created_at: number; last_used_at: number | null; disabled: number }>(
        `SELECT t.id, t.username, u.role, t.label, t.created_at, t.last_used_at, u.disabled
         FROM auth_api_tokens t JOIN auth_users u ON u.username = t.username WHERE t.token_hash = ?`,
      ),
      apiTokens: this.db.prepare<[string | null, string | null], { id: number; username: string; role: Role; label: string; created_at: number; last_used_at: number | null; disabled: number }>(
        `SELECT t.id, t.username, u.role, t.label, t.created_at, t.last_used_at, u.disabled
         FROM auth_api_tokens t JOIN auth_users u ON u.username = t.username WHERE ? IS NULL OR t.username = ? ORDER BY t.id`,
      ),
      touchApiToken: this.db.prepare<[number, number]>('UPDATE auth_api_tokens SET last_used_at = ? WHERE id = ?'),
      deleteApiToken: this.db.prepare<[number]>('DELETE FROM auth_api_tokens WHERE id = ?'),
      deleteApiTokensOf: this.db.prepare<[string]>('DELETE FROM auth_api_tokens WHERE username = ?'),
    };
  }

  /** Adds a user with an already hashed password (credentials.ts hashPassword). */
  addUser(username: string, role: Role, passwordHash: string): void {
    const name = checkUsername(username);
    if (this.stmts.user.get(name)) throw new UserError(`user "${name}" already exists; use "user passwd" to give it a new password`);
    const now = this.clock();
    this.stmts.insertUser.run(name, role, passwordHash, now, now);
  }

  user(username: string): UserRecord | undefined {
    const row = this.stmts.user.get(username);
    return row && { username: row.username, role: row.role, passwordHash: row.password_hash, disabled: row.disabled !== 0, createdAt: row.created_at, passwordChangedAt: row.password_changed_at };
  }

  users(): UserSummary[] {
    return this.stmts.users.all().map((r) => ({ username: r.username, role: r.role, disabled: r.disabled !== 0, createdAt: r.created_at, sessions: r.sessions, apiTokens: r.api_tokens }));
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

  /** Sessions carry the role they logged in with, so a new role ends them. */
  setRole(username: string, role: Role): void {
    this.db.transaction(() => {
      this.requireUser(username);
      this.stmts.setRole.run(role, username);
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
    return row && { username: row.username, role: row.role, createdAt: row.created_at, lastSeenAt: row.last_seen_at, userDisabled: row.disabled !== 0 };
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

function toApiToken(row: { id: number; username: string; role: Role; label: string; created_at: number; last_used_at: number | null; disabled: number }): ApiTokenRecord {
  return { id: row.id, username: row.username, role: row.role, label: row.label, createdAt: row.created_at, lastUsedAt: row.last_used_at, userDisabled: row.disabled !== 0 };
}
