import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { AuthConfig } from '../../central/auth/config.js';
import { parseCookies, sessionCookie } from '../../central/auth/cookies.js';
import { FailureWindow } from '../../central/auth/rate-limit.js';
import { bearerTokenOf } from '../../central/auth/request.js';
import { can, PERMISSIONS, ROLE_PERMISSIONS, roleNeedsOpd, ROLES, type Permission, type Role } from '../../central/auth/roles.js';
import { UserError, UserStore } from '../../central/auth/store.js';
import { hashToken, newToken, TOKEN_PATTERN } from '../../central/auth/tokens.js';

describe('roles', () => {
  const who = (role: Role) => ({ role });
  const granted = (role: Role) => PERMISSIONS.filter((p) => can(who(role), p));

  it('operators watch, acknowledge alerts and handle complaints, nothing more', () => {
    expect(granted('operator')).toEqual(['view', 'alerts.ack', 'complaints.submit', 'complaints.handle']);
  });

  it('technicians add gateways and devices to the operator rights', () => {
    expect(granted('technician')).toEqual(['view', 'alerts.ack', 'devices.manage', 'complaints.submit', 'complaints.handle']);
    for (const p of ['registry.manage', 'reports.read', 'users.manage', 'datasets.manage'] as Permission[]) expect(can(who('technician'), p)).toBe(false);
  });

  it('admins may do everything; nobody may do anything without a principal', () => {
    expect(granted('admin')).toEqual([...PERMISSIONS]);
    for (const p of PERMISSIONS) expect(can(undefined, p)).toBe(false);
  });

  it('each command-room role holds every right of the role below it', () => {
    const ranks = ROLES.filter((r) => !roleNeedsOpd(r));
    expect(ranks).toEqual(['operator', 'technician', 'admin']);
    for (let i = 1; i < ranks.length; i++) {
      const lower = ROLE_PERMISSIONS[ranks[i - 1]!];
      for (const p of lower) expect(ROLE_PERMISSIONS[ranks[i]!]).toContain(p);
    }
  });

  it('OPD staff handle complaints and nothing else: no wall, alerts, filing, reports or admin', () => {
    expect(granted('opd')).toEqual(['complaints.handle']);
    expect(ROLES.filter(roleNeedsOpd)).toEqual(['opd']);
  });
});

describe('AuthConfig', () => {
  it('has documented defaults: 12 h idle, 7 days lifetime, 10 failures in 15 min, no anonymous wall', () => {
    expect(AuthConfig.parse({})).toEqual({ idleTimeoutMinutes: 720, sessionLifetimeHours: 168, loginMaxFailures: 10, loginWindowMinutes: 15, anonymousView: false, secureCookie: 'auto' });
  });

  it('rejects unknown keys and nonsense values', () => {
    expect(AuthConfig.safeParse({ idleTimeout: 5 }).success).toBe(false);
    expect(AuthConfig.safeParse({ loginMaxFailures: 0 }).success).toBe(false);
    expect(AuthConfig.safeParse({ secureCookie: 'never' }).success).toBe(false);
  });

  it('describes every setting (the config docs are generated from it)', () => {
    for (const [key, schema] of Object.entries(AuthConfig.shape)) expect(schema.description, key).toBeTruthy();
  });
});

describe('cookies and bearer tokens', () => {
  it('parses a Cookie header: first occurrence wins, quotes and percent-encoding removed', () => {
    const cookies = parseCookies(' a=1; pemda_session=abc; pemda_session=later; q="quoted"; pct=x%20y; bad=%E0%A4%A; noequals; =novalue');
    expect(cookies.get('a')).toBe('1');
    expect(cookies.get('pemda_session')).toBe('abc');
    expect(cookies.get('q')).toBe('quoted');
    expect(cookies.get('pct')).toBe('x y');
    expect(cookies.get('bad')).toBe('%E0%A4%A');
    expect(cookies.has('noequals')).toBe(false);
    expect(cookies.size).toBe(5);
    expect(parseCookies(undefined).size).toBe(0);
  });

  it('marks the session cookie HttpOnly, SameSite=Strict, Path=/, and Secure only when asked', () => {
    const plain = sessionCookie('tok', { secure: false, maxAgeS: 3600 });
    expect(plain).toBe('pemda_session=tok; Path=/; HttpOnly; SameSite=Strict; Max-Age=3600');
    expect(sessionCookie('tok', { secure: true, maxAgeS: 3600 })).toMatch(/; Secure$/);
    expect(sessionCookie('', { secure: false, maxAgeS: 0 })).toContain('Max-Age=0');
  });

  it('reads Authorization: Bearer, case-insensitively, and nothing else', () => {
    expect(bearerTokenOf({ headers: { authorization: 'Bearer abc' } })).toBe('abc');
    expect(bearerTokenOf({ headers: { authorization: 'bearer   abc ' } })).toBe('abc');
    expect(bearerTokenOf({ headers: { authorization: 'Basic YTpi' } })).toBeUndefined();
    expect(bearerTokenOf({ headers: {} })).toBeUndefined();
  });

  it('makes 32-byte base64url tokens and stores only their SHA-256', () => {
    const token = newToken();
    expect(token).toMatch(TOKEN_PATTERN);
    expect(Buffer.from(token, 'base64url')).toHaveLength(32);
    expect(newToken()).not.toBe(token);
    expect(hashToken(token)).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('FailureWindow', () => {
  it('refuses after maxFailures within the window and says when to retry', () => {
    let now = 0;
    const window = new FailureWindow({ maxFailures: 3, windowMs: 60_000 }, () => now);
    for (let i = 0; i < 3; i++) {
      expect(window.retryAfterS('k')).toBe(0);
      window.charge('k');
      now += 10_000;
    }
    // Failures at 0, 10 s, 20 s; now 30 s: the first one expires at 60 s.
    expect(window.retryAfterS('k')).toBe(30);
    expect(window.retryAfterS('other')).toBe(0);
    now = 60_001;
    expect(window.retryAfterS('k')).toBe(0);
  });

  it('refunds and resets', () => {
    const window = new FailureWindow({ maxFailures: 2, windowMs: 60_000 }, () => 0);
    window.charge('k');
    window.charge('k');
    expect(window.retryAfterS('k')).toBeGreaterThan(0);
    window.refund('k');
    expect(window.retryAfterS('k')).toBe(0);
    window.charge('k');
    window.reset('k');
    window.charge('k');
    expect(window.retryAfterS('k')).toBe(0);
  });

  it('keeps at most maxKeys keys, dropping the oldest', () => {
    const window = new FailureWindow({ maxFailures: 1, windowMs: 60_000, maxKeys: 100 }, () => 0);
    for (let i = 0; i < 1000; i++) window.charge(`user-${i}`);
    expect(window.retryAfterS('user-999')).toBeGreaterThan(0);
    expect(window.retryAfterS('user-0')).toBe(0);
  });
});

describe('UserStore', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pemda-auth-store-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('adds, lists and removes users; a username is taken once', () => {
    const store = new UserStore(':memory:', () => 1_000);
    store.addUser('budi', 'admin', 'hash-1');
    store.addUser('siti.r', 'operator', 'hash-2');
    expect(() => store.addUser('budi', 'operator', 'x')).toThrow(/user "budi" already exists/);
    expect(store.user('budi')).toEqual({ username: 'budi', role: 'admin', opd: null, passwordHash: 'hash-1', disabled: false, createdAt: 1_000, passwordChangedAt: 1_000 });
    expect(store.users().map((u) => u.username)).toEqual(['budi', 'siti.r']);
    store.removeUser('siti.r');
    expect(store.user('siti.r')).toBeUndefined();
    expect(() => store.removeUser('siti.r')).toThrow(UserError);
    store.close();
  });

  it('validates usernames', () => {
    const store = new UserStore(':memory:');
    for (const bad of ['', 'a', 'Budi', '1admin', 'has space', 'x'.repeat(33), "o'neil"]) expect(() => store.addUser(bad, 'operator', 'h'), bad).toThrow(UserError);
    store.close();
  });

  it('keeps its tables under auth_ in the shared file, and keeps users across reopening', () => {
    const file = join(dir, 'central.sqlite');
    const first = new UserStore(file);
    first.addUser('budi', 'technician', 'h');
    first.close();
    const second = new UserStore(file);
    expect(second.user('budi')?.role).toBe('technician');
    second.close();
    const db = new Database(file, { readonly: true });
    const tables = db.prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all();
    db.close();
    expect(tables.map((t) => t.name).sort()).toEqual(['auth_api_tokens', 'auth_sessions', 'auth_users']);
  });

  it('ends sessions on a new password, a new role, disabling and removal', () => {
    const store = new UserStore(':memory:');
    store.addUser('budi', 'operator', 'h');
    const sessions = () => store.users().find((u) => u.username === 'budi')?.sessions;
    store.createSession('s1', 'budi', 'operator');
    store.setPassword('budi', 'h2');
    expect(sessions()).toBe(0);
    store.createSession('s2', 'budi', 'operator');
    store.setRole('budi', 'technician');
    expect(sessions()).toBe(0);
    store.createSession('s3', 'budi', 'technician');
    store.setDisabled('budi', true);
    expect(sessions()).toBe(0);
    store.setDisabled('budi', false);
    store.createSession('s4', 'budi', 'technician');
    store.addApiToken('budi', 't1', 'bridge');
    store.removeUser('budi');
    expect(store.session('s4')).toBeUndefined();
    expect(store.apiToken('t1')).toBeUndefined();
    store.close();
  });

  it('deletes expired sessions by idle time or age', () => {
    let now = 0;
    const store = new UserStore(':memory:', () => now);
    store.addUser('budi', 'operator', 'h');
    store.createSession('old', 'budi', 'operator');
    now = 500;
    store.createSession('idle', 'budi', 'operator');
    now = 800;
    store.createSession('fresh', 'budi', 'operator');
    store.touchSession('old');
    expect(store.deleteExpiredSessions(600, 100)).toBe(2);
    expect(store.session('fresh')).toBeDefined();
    store.close();
  });

  it('keeps API tokens with ids, labels and the user\'s current role', () => {
    const store = new UserStore(':memory:', () => 42);
    store.addUser('bridge', 'operator', 'h');
    const id = store.addApiToken('bridge', 'hash-a', 'node-red');
    expect(store.apiToken('hash-a')).toMatchObject({ id, username: 'bridge', role: 'operator', label: 'node-red', lastUsedAt: null, userDisabled: false });
    store.setRole('bridge', 'technician');
    store.touchApiToken(id);
    expect(store.apiToken('hash-a')).toMatchObject({ role: 'technician', lastUsedAt: 42 });
    expect(() => store.addApiToken('nobody', 'hash-b', 'x')).toThrow(/no user "nobody"/);
    store.revokeApiToken(id);
    expect(store.apiTokens()).toEqual([]);
    expect(() => store.revokeApiToken(id)).toThrow(/no API token with id/);
    store.close();
  });
});
