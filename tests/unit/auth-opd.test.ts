import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { pino } from 'pino';
import { hashPassword } from '../../central/credentials.js';
import { Registry } from '../../central/registry.js';
import { Auth, AuthConfig, userMain, UserError, UserStore, type AuthOptions, type AuthResponse } from '../../central/auth/index.js';
import { hashToken, newToken } from '../../central/auth/tokens.js';

/**
 * Users of one OPD (role `opd`): the store keeps their OPD and refuses it for the other
 * roles, old databases gain the column, sessions and API tokens carry the OPD, and the
 * CLI checks the code against the registry.
 */

const dir = mkdtempSync(join(tmpdir(), 'pemda-auth-opd-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const freshFile = () => join(dir, `central-${++files}.sqlite`);

const stores: UserStore[] = [];
afterEach(() => stores.splice(0).forEach((s) => s.close()));
function open(file: string, clock?: () => number): UserStore {
  const store = new UserStore(file, clock);
  stores.push(store);
  return store;
}

describe('UserStore with OPD users', () => {
  it('keeps the OPD of a user of role opd, and refuses one for every other role', () => {
    const store = open(':memory:', () => 7);
    store.addUser('staf.dlh', 'opd', 'h', 'dlh');
    store.addUser('budi', 'operator', 'h');
    expect(store.user('staf.dlh')).toMatchObject({ role: 'opd', opd: 'dlh' });
    expect(store.user('budi')?.opd).toBeNull();
    expect(store.users().map((u) => [u.username, u.role, u.opd])).toEqual([
      ['budi', 'operator', null],
      ['staf.dlh', 'opd', 'dlh'],
    ]);
    expect(() => store.addUser('staf.x', 'opd', 'h')).toThrow(/role opd needs the user's OPD: --opd CODE/);
    expect(() => store.addUser('siti', 'admin', 'h', 'dlh')).toThrow(/give --opd only with --role opd/);
    expect(() => store.addUser('staf.y', 'opd', 'h', 'Dinas LH')).toThrow(UserError);
    expect(store.user('staf.x')).toBeUndefined();
  });

  it('moves a user between OPDs and roles, ending their sessions each time', () => {
    const store = open(':memory:');
    store.addUser('staf', 'opd', 'h', 'dlh');
    store.createSession('s1', 'staf', 'opd');
    expect(store.session('s1')).toMatchObject({ role: 'opd', opd: 'dlh' });
    store.setRole('staf', 'opd', 'dpupr');
    expect(store.session('s1')).toBeUndefined();
    expect(store.user('staf')?.opd).toBe('dpupr');
    store.createSession('s2', 'staf', 'opd');
    store.setRole('staf', 'operator');
    expect(store.session('s2')).toBeUndefined();
    expect(store.user('staf')).toMatchObject({ role: 'operator', opd: null });
    expect(() => store.setRole('staf', 'opd')).toThrow(/needs the user's OPD/);
    expect(() => store.setRole('staf', 'technician', 'dlh')).toThrow(/only with --role opd/);
    expect(store.user('staf')).toMatchObject({ role: 'operator', opd: null });
  });

  it('gives API tokens the OPD of their user, as it is now', () => {
    const store = open(':memory:');
    store.addUser('app.dlh', 'opd', 'h', 'dlh');
    store.addApiToken('app.dlh', 'tok', 'sistem DLH');
    expect(store.apiToken('tok')).toMatchObject({ role: 'opd', opd: 'dlh' });
    expect(store.apiTokens('app.dlh')[0]).toMatchObject({ opd: 'dlh' });
    store.setRole('app.dlh', 'opd', 'dpupr');
    expect(store.apiToken('tok')?.opd).toBe('dpupr');
  });

  it('refuses, in the table itself, an OPD user without an OPD and an operator with one', () => {
    const file = freshFile();
    open(file).close();
    const db = new Database(file);
    const insert = db.prepare('INSERT INTO auth_users (username, role, opd, password_hash, created_at, password_changed_at) VALUES (?, ?, ?, ?, 0, 0)');
    expect(() => insert.run('a', 'opd', null, 'h')).toThrow(/CHECK constraint failed/);
    expect(() => insert.run('b', 'operator', 'dlh', 'h')).toThrow(/CHECK constraint failed/);
    expect(() => insert.run('c', 'superuser', null, 'h')).toThrow(/CHECK constraint failed/);
    insert.run('d', 'opd', 'dlh', 'h');
    db.close();
  });
});

/** The auth tables exactly as the central made them before OPD users existed. */
const OLD_SCHEMA = `
  CREATE TABLE IF NOT EXISTS auth_users (
    username TEXT PRIMARY KEY, role TEXT NOT NULL CHECK (role IN ('operator', 'technician', 'admin')), password_hash TEXT NOT NULL,
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
`;

describe('a database made before OPD users', () => {
  const NOW = Date.UTC(2026, 10, 26, 7, 30);

  async function oldDatabase(): Promise<{ file: string; sessionToken: string; apiToken: string }> {
    const file = freshFile();
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.exec(OLD_SCHEMA);
    // The registry shares the file; its tables must come through untouched.
    db.exec("CREATE TABLE opds (code TEXT PRIMARY KEY, name TEXT NOT NULL, zone TEXT NOT NULL); INSERT INTO opds VALUES ('dlh', 'Dinas Lingkungan Hidup', 'Asia/Makassar');");
    const hash = await hashPassword('admin password 1');
    db.prepare('INSERT INTO auth_users (username, role, password_hash, disabled, created_at, password_changed_at) VALUES (?, ?, ?, ?, ?, ?)').run('admin', 'admin', hash, 0, 1000, 2000);
    db.prepare('INSERT INTO auth_users (username, role, password_hash, disabled, created_at, password_changed_at) VALUES (?, ?, ?, ?, ?, ?)').run('lama', 'operator', hash, 1, 1500, 1500);
    const sessionToken = newToken();
    db.prepare('INSERT INTO auth_sessions VALUES (?, ?, ?, ?, ?)').run(hashToken(sessionToken), 'admin', 'admin', NOW - 60_000, NOW - 60_000);
    const apiToken = newToken();
    db.prepare('INSERT INTO auth_api_tokens (token_hash, username, label, created_at) VALUES (?, ?, ?, ?)').run(hashToken(apiToken), 'admin', 'bridge', 1200);
    db.close();
    return { file, sessionToken, apiToken };
  }

  it('opens with every user, session and token kept, and takes OPD users', async () => {
    const { file, sessionToken, apiToken } = await oldDatabase();
    const store = open(file, () => NOW);
    expect(store.user('admin')).toMatchObject({ role: 'admin', opd: null, disabled: false, createdAt: 1000, passwordChangedAt: 2000 });
    expect(store.user('lama')).toMatchObject({ role: 'operator', opd: null, disabled: true });
    const auth = new Auth(store, { ...AuthConfig.parse({}), https: false, clock: () => NOW }, pino({ level: 'silent' }));
    expect(auth.authenticate({ headers: { cookie: `pemda_session=${sessionToken}` } })).toEqual({ username: 'admin', role: 'admin', via: 'session' });
    expect(auth.authenticate({ headers: { authorization: `Bearer ${apiToken}` } })).toEqual({ username: 'admin', role: 'admin', via: 'token' });
    expect((await auth.login(JSON.stringify({ username: 'admin', password: 'admin password 1' }), 'a')).status).toBe(200);
    store.addUser('staf.dlh', 'opd', 'h', 'dlh');
    expect(store.user('staf.dlh')?.opd).toBe('dlh');

    const db = new Database(file, { readonly: true });
    const columns = db.prepare<[], { name: string }>('PRAGMA table_info(auth_users)').all().map((c) => c.name);
    const tables = db.prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all().map((t) => t.name);
    const opds = db.prepare('SELECT * FROM opds').all();
    db.close();
    expect(columns).toContain('opd');
    expect(tables.sort()).toEqual(['auth_api_tokens', 'auth_sessions', 'auth_users', 'opds']);
    expect(opds).toEqual([{ code: 'dlh', name: 'Dinas Lingkungan Hidup', zone: 'Asia/Makassar' }]);
  });

  it('is migrated once: reopening, or a second connection that opened it first, changes nothing more', async () => {
    const { file } = await oldDatabase();
    const first = open(file);
    const second = open(file);
    first.addUser('staf.dlh', 'opd', 'h', 'dlh');
    second.addUser('staf.dpupr', 'opd', 'h', 'dpupr');
    first.close();
    second.close();
    const sqlBefore = tableSql(file);
    const third = open(file);
    expect(third.users().map((u) => [u.username, u.opd])).toEqual([
      ['admin', null],
      ['lama', null],
      ['staf.dlh', 'dlh'],
      ['staf.dpupr', 'dpupr'],
    ]);
    expect(tableSql(file)).toBe(sqlBefore);
  });
});

function tableSql(file: string): string {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare<[], { sql: string }>("SELECT sql FROM sqlite_master WHERE name = 'auth_users'").get()?.sql ?? '';
  } finally {
    db.close();
  }
}

describe('login, sessions and API tokens of an OPD user', () => {
  const PASSWORD = 'staf dlh kata sandi';

  async function setup(options: Partial<AuthOptions> = {}) {
    const store = open(':memory:');
    const hash = await hashPassword(PASSWORD);
    store.addUser('staf.dlh', 'opd', hash, 'dlh');
    store.addUser('budi', 'operator', hash);
    const auth = new Auth(store, { ...AuthConfig.parse({}), https: false, ...options }, pino({ level: 'silent' }));
    return { auth, store };
  }
  const cookieOf = (r: AuthResponse) => ({ headers: { cookie: (r.headers['Set-Cookie'] ?? '').split(';')[0]! } });
  const login = (auth: Auth, username: string) => auth.login(JSON.stringify({ username, password: PASSWORD }), '10.0.0.9');

  it('logs in with the OPD, its name from the registry, and only complaints.handle', async () => {
    const { auth } = await setup({ opdName: (code) => (code === 'dlh' ? 'Dinas Lingkungan Hidup' : undefined) });
    const answer = await login(auth, 'staf.dlh');
    const who = { username: 'staf.dlh', role: 'opd', permissions: ['complaints.handle'], opd: { code: 'dlh', name: 'Dinas Lingkungan Hidup' } };
    expect(answer).toMatchObject({ status: 200, body: who });
    const session = cookieOf(answer);
    expect(auth.me(session)).toEqual({ status: 200, headers: {}, body: who });
    expect(auth.guard(session, 'complaints.handle')).toEqual({ ok: true, principal: { username: 'staf.dlh', role: 'opd', via: 'session', opd: 'dlh' } });
    for (const p of ['view', 'alerts.ack', 'complaints.submit', 'reports.read', 'registry.manage', 'devices.manage', 'users.manage', 'datasets.manage'] as const) {
      expect(auth.guard(session, p)).toMatchObject({ ok: false, response: { status: 403 } });
    }
    // The command room's own users have no OPD in their answer at all.
    expect((await login(auth, 'budi')).body).not.toHaveProperty('opd');
  });

  it('shows the code when the central cannot name the OPD', async () => {
    const { auth } = await setup();
    expect((await login(auth, 'staf.dlh')).body).toMatchObject({ opd: { code: 'dlh', name: 'dlh' } });
  });

  it('a moved user logs in again; an API token follows its user to the new OPD', async () => {
    const { auth, store } = await setup();
    const session = cookieOf(await login(auth, 'staf.dlh'));
    const token = newToken();
    store.addApiToken('staf.dlh', hashToken(token), 'sistem DLH');
    const bearer = { headers: { authorization: `Bearer ${token}` } };
    expect(auth.authenticate(bearer)).toEqual({ username: 'staf.dlh', role: 'opd', via: 'token', opd: 'dlh' });
    store.setRole('staf.dlh', 'opd', 'dpupr');
    expect(auth.authenticate(session)).toBeUndefined();
    expect(auth.authenticate(bearer)?.opd).toBe('dpupr');
    store.setRole('staf.dlh', 'operator');
    expect(auth.authenticate(bearer)).toEqual({ username: 'staf.dlh', role: 'operator', via: 'token' });
  });
});

describe('pemda-central user with --role opd', () => {
  async function user(dbFile: string, args: string[], stdin = ''): Promise<{ code: number; out: string; err: string }> {
    const out: string[] = [];
    const err: string[] = [];
    const code = await userMain(args, dbFile, { readStdin: async () => stdin, stdout: (l) => out.push(l), stderr: (l) => err.push(l) });
    return { code, out: out.join('\n'), err: err.join('\n') };
  }

  function withRegistry(codes: string[]): string {
    const file = freshFile();
    const registry = new Registry(file);
    registry.seed({ opds: codes.map((code) => ({ code, name: `Dinas ${code.toUpperCase()}`, zone: 'Asia/Makassar', gateways: [], employees: [] })) });
    registry.close();
    return file;
  }

  it('adds a user of a registered OPD, lists it, and issues tokens with the same scope', async () => {
    const db = withRegistry(['dlh', 'dpupr']);
    const added = await user(db, ['add', '--config', 'c.yaml', '--username', 'staf.dlh', '--role', 'opd', '--opd', 'dlh', '--password-stdin'], 'kata sandi staf dlh\n');
    expect(added).toMatchObject({ code: 0, out: 'added opd "staf.dlh" of OPD dlh', err: '' });
    expect((await user(db, ['add', '--username', 'budi', '--role', 'operator', '--password-stdin'], 'kata sandi operator\n')).code).toBe(0);
    const list = (await user(db, ['list'])).out.split('\n');
    expect(list[0]).toMatch(/^USERNAME\s+ROLE\s+OPD\s+STATUS/);
    expect(list[1]).toMatch(/^budi\s+operator\s+-\s+enabled/);
    expect(list[2]).toMatch(/^staf\.dlh\s+opd\s+dlh\s+enabled/);
    const token = await user(db, ['token', '--username', 'staf.dlh', '--label', 'sistem DLH']);
    expect(token.out).toMatch(/^API token 1 for "staf\.dlh" \(role opd, OPD dlh only; shown once/);
    expect((await user(db, ['tokens'])).out.split('\n')[1]).toMatch(/^1\s+staf\.dlh\s+opd\s+dlh\s+sistem DLH/);
    const moved = await user(db, ['role', '--username', 'staf.dlh', '--role', 'opd', '--opd', 'dpupr']);
    expect(moved).toMatchObject({ code: 0, out: '"staf.dlh" is now opd of OPD dpupr; its sessions are ended' });
  });

  it('refuses a missing, mistyped or unknown OPD, and an OPD for another role, before making a password', async () => {
    const db = withRegistry(['dlh', 'dpupr']);
    const cases: [string[], RegExp][] = [
      [['--role', 'opd'], /--role opd needs --opd CODE: the user's OPD, by its code in the registry/],
      [['--role', 'opd', '--opd', 'dinas-lh'], /--opd dinas-lh: no such OPD in the registry; known codes: dlh, dpupr/],
      [['--role', 'opd', '--opd', 'Dinas LH'], /--opd: an OPD code is lower-case letters/],
      [['--role', 'operator', '--opd', 'dlh'], /--opd is only for --role opd; role operator works for the whole command room/],
      [['--role', 'lurah', '--opd', 'dlh'], /--role: one of operator, technician, admin, opd/],
    ];
    for (const [args, message] of cases) {
      const r = await user(db, ['add', '--username', 'staf', ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err, args.join(' ')).toMatch(message);
      // No password was generated (and shown) for a user that was never made.
      expect(r.out).toBe('');
    }
    expect((await user(db, ['list'])).out).toMatch(/^no users yet/);
    expect((await user(db, ['add', '--username', 'staf', '--role', 'opd', '--opd', 'dlh'])).code).toBe(0);
    expect(await user(db, ['role', '--username', 'staf', '--role', 'opd', '--opd', 'bpbd'])).toMatchObject({ code: 2, err: expect.stringMatching(/no such OPD.*known codes: dlh, dpupr/) });
    expect(await user(db, ['role', '--username', 'staf', '--role', 'admin', '--opd', 'dlh'])).toMatchObject({ code: 2, err: expect.stringMatching(/only for --role opd/) });
  });

  it('says what to do when the registry has no OPDs yet', async () => {
    const db = freshFile();
    const r = await user(db, ['add', '--username', 'staf', '--role', 'opd', '--opd', 'dlh']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/the registry has no OPDs yet; start the central once \(it loads the registry seed\)/);
    // Without OPD users the listings keep the columns they always had.
    expect((await user(db, ['add', '--username', 'budi', '--role', 'operator'])).code).toBe(0);
    expect((await user(db, ['token', '--username', 'budi'])).code).toBe(0);
    expect((await user(db, ['list'])).out.split('\n')[0]).toMatch(/^USERNAME\s+ROLE\s+STATUS\s+CREATED\s+SESSIONS\s+API TOKENS$/);
    expect((await user(db, ['tokens'])).out.split('\n')[0]).toMatch(/^ID\s+USERNAME\s+ROLE\s+LABEL\s+CREATED\s+LAST USED$/);
  });

  it('names the new options in its help', async () => {
    const help = await user(freshFile(), ['--help']);
    expect(help.out).toContain('add --username U --role opd --opd CODE [--password-stdin]');
    expect(help.out).toContain('role --username U --role admin|technician|operator|opd [--opd CODE]');
  });
});
