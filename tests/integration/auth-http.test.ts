import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { Auth, AuthConfig, BodyTooLargeError, readBody, userMain, UserStore, type AuthResponse } from '../../central/auth/index.js';

/** userMain in-process, with its output captured and standard input given. */
async function user(dbFile: string, args: string[], stdin = ''): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await userMain(args, dbFile, { readStdin: async () => stdin, stdout: (l) => out.push(l), stderr: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('command-room login over HTTP', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pemda-auth-http-'));
  const dbFile = join(dir, 'central.sqlite');
  let store: UserStore;
  let server: Server;
  let base: string;

  /**
   * The shape http.ts is expected to take: the login route hands the body and the
   * remote address to Auth; a protected route asks for a permission.
   */
  async function route(req: IncomingMessage, auth: Auth): Promise<AuthResponse | { status: number; headers: Record<string, string>; body: unknown }> {
    const path = new URL(req.url ?? '/', 'http://central').pathname;
    if (req.method === 'POST' && path === '/api/auth/login') {
      try {
        return await auth.login(await readBody(req, 4096), req.socket.remoteAddress ?? 'unknown');
      } catch (e) {
        if (e instanceof BodyTooLargeError) return { status: 413, headers: {}, body: { error: e.message } };
        throw e;
      }
    }
    if (req.method === 'POST' && path === '/api/auth/logout') return auth.logout(req);
    if (req.method === 'GET' && path === '/api/auth/me') return auth.me(req);
    if (req.method === 'GET' && path === '/api/registry') {
      const decision = auth.guard(req, 'registry.manage');
      if (!decision.ok) return decision.response;
      return { status: 200, headers: {}, body: { opds: [], by: decision.principal.username } };
    }
    return { status: 404, headers: {}, body: { error: 'no route' } };
  }

  beforeAll(async () => {
    // The first admin and an operator come from the CLI, as in production.
    expect((await user(dbFile, ['add', '--username', 'admin', '--role', 'admin', '--password-stdin'], 'admin password 1\n')).code).toBe(0);
    expect((await user(dbFile, ['add', '--username', 'budi', '--role', 'operator', '--password-stdin'], 'operator password\n')).code).toBe(0);
    store = new UserStore(dbFile);
    const auth = new Auth(store, { ...AuthConfig.parse({}), https: false }, pino({ level: 'silent' }));
    server = createServer((req, res) => {
      route(req, auth).then(
        ({ status, headers, body }) => res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', ...headers }).end(JSON.stringify(body)),
        () => res.writeHead(500).end(),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function login(username: string, password: string): Promise<Response> {
    return fetch(`${base}/api/auth/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username, password }) });
  }
  async function sessionOf(username: string, password: string): Promise<string> {
    const res = await login(username, password);
    expect(res.status).toBe(200);
    return (res.headers.get('set-cookie') ?? '').split(';')[0]!;
  }

  it('lets an admin reach a route that needs registry.manage', async () => {
    const cookie = await sessionOf('admin', 'admin password 1');
    const res = await fetch(`${base}/api/registry`, { headers: { cookie } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ opds: [], by: 'admin' });
  });

  it('answers 403 to an operator and 401 without a cookie', async () => {
    const cookie = await sessionOf('budi', 'operator password');
    const operator = await fetch(`${base}/api/registry`, { headers: { cookie } });
    expect(operator.status).toBe(403);
    expect(await operator.json()).toEqual({ error: 'the operator role may not do this (needs "registry.manage")' });
    const anonymous = await fetch(`${base}/api/registry`);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toEqual({ error: 'log in first' });
  });

  it('ends the session at logout', async () => {
    const cookie = await sessionOf('admin', 'admin password 1');
    expect((await fetch(`${base}/api/auth/me`, { headers: { cookie } })).status).toBe(200);
    const out = await fetch(`${base}/api/auth/logout`, { method: 'POST', headers: { cookie } });
    expect(out.headers.get('set-cookie')).toMatch(/^pemda_session=; .*Max-Age=0/);
    expect((await fetch(`${base}/api/registry`, { headers: { cookie } })).status).toBe(401);
  });

  it('refuses bad credentials with 401, bad bodies with 400 and huge bodies with 413', async () => {
    expect((await login('admin', 'wrong')).status).toBe(401);
    expect((await fetch(`${base}/api/auth/login`, { method: 'POST', body: 'username=admin' })).status).toBe(400);
    expect((await fetch(`${base}/api/auth/login`, { method: 'POST', body: 'x'.repeat(100_000) })).status).toBe(413);
  });

  it('accepts an API token from "user token" as a bearer token', async () => {
    const made = await user(dbFile, ['token', '--username', 'admin', '--label', 'node-red bridge']);
    expect(made.code).toBe(0);
    const token = made.out.split('\n').at(-1)!;
    const res = await fetch(`${base}/api/registry`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    expect((await user(dbFile, ['tokens'])).out).toMatch(/^1\s+admin\s+admin\s+node-red bridge\s+\S+\s+\S+Z$/m);
  });

  it('ends a running session when the CLI disables the user (another connection to the same file)', async () => {
    const cookie = await sessionOf('budi', 'operator password');
    expect((await fetch(`${base}/api/auth/me`, { headers: { cookie } })).status).toBe(200);
    expect((await user(dbFile, ['disable', '--username', 'budi'])).code).toBe(0);
    expect((await fetch(`${base}/api/auth/me`, { headers: { cookie } })).status).toBe(401);
    expect((await login('budi', 'operator password')).status).toBe(403);
    expect((await user(dbFile, ['enable', '--username', 'budi'])).code).toBe(0);
    expect((await login('budi', 'operator password')).status).toBe(200);
  });
});

describe('pemda-central user (CLI)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pemda-auth-cli-'));
  const dbFile = join(dir, 'data', 'central.sqlite');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('adds the first admin with a generated password printed once, then lists, changes and removes users', async () => {
    const added = await user(dbFile, ['add', '--username', 'kominfo.admin', '--role', 'admin']);
    expect(added).toMatchObject({ code: 0, err: '' });
    const lines = added.out.split('\n');
    expect(lines[0]).toBe('added admin "kominfo.admin"');
    const password = lines.at(-1)!;
    expect(password).toMatch(/^[A-Za-z0-9]{20}$/);

    const store = new UserStore(dbFile);
    try {
      const auth = new Auth(store, { ...AuthConfig.parse({}), https: false }, pino({ level: 'silent' }));
      expect((await auth.login({ username: 'kominfo.admin', password }, 'cli-test')).status).toBe(200);

      const list = await user(dbFile, ['list']);
      expect(list.code).toBe(0);
      expect(list.out).toMatch(/^USERNAME\s+ROLE\s+STATUS\s+CREATED\s+SESSIONS\s+API TOKENS$/m);
      expect(list.out).toMatch(/^kominfo\.admin\s+admin\s+enabled\s+\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\s+1\s+0$/m);

      expect((await user(dbFile, ['passwd', '--username', 'kominfo.admin', '--password-stdin'], 'a new long password\nignored line')).code).toBe(0);
      expect((await auth.login({ username: 'kominfo.admin', password }, 'cli-test')).status).toBe(401);
      expect((await auth.login({ username: 'kominfo.admin', password: 'a new long password' }, 'cli-test')).status).toBe(200);
      expect((await user(dbFile, ['list'])).out).toMatch(/^kominfo\.admin\s+admin\s+enabled\s+\S+\s+1\s+0$/m);

      expect((await user(dbFile, ['remove', '--username', 'kominfo.admin'])).out).toBe('removed "kominfo.admin" with its sessions and API tokens');
      expect((await user(dbFile, ['list'])).out).toMatch(/^no users yet/);
    } finally {
      store.close();
    }
  });

  it('exits 2 with a one-line reason for bad usage', async () => {
    const cases: [string[], RegExp, string?][] = [
      [['add', '--username', 'budi', '--role', 'superuser'], /--role: one of operator, technician, admin, opd$/],
      [['add', '--username', 'Budi!', '--role', 'admin'], /--username: a username is 2 to 32 characters/],
      [['add', '--role', 'admin'], /"user add" needs --username U$/],
      [['add', '--username', 'budi', '--role', 'admin', '--password-stdin'], /the password on standard input: a password needs at least 10 characters$/, 'short\n'],
      [['passwd', '--username', 'nobody'], /no user "nobody"; "user list" shows the users$/],
      [['remove', '--username', 'nobody'], /no user "nobody"/],
      [['disable'], /"user disable" needs --username U$/],
      [['revoke-token', '--id', 'abc'], /--id: /],
      [['frobnicate'], /unknown command "frobnicate"; one of add, list, passwd/],
      [['list', '--colour'], /Unknown option '--colour'/],
      [[], /missing command/],
    ];
    for (const [args, reason, stdin] of cases) {
      const r = await user(dbFile, args, stdin);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err, args.join(' ')).toMatch(/^pemda-central user: [^\n]+$/);
      expect(r.err, args.join(' ')).toMatch(reason);
    }
    expect((await user(dbFile, ['add', '--username', 'budi', '--role', 'operator'])).code).toBe(0);
    const twice = await user(dbFile, ['add', '--username', 'budi', '--role', 'operator']);
    expect(twice).toMatchObject({ code: 2, err: 'pemda-central user: user "budi" already exists; use "user passwd" to give it a new password' });
  });

  it('accepts --config (main.ts reads it) and prints help with exit 0', async () => {
    expect((await user(dbFile, ['list', '--config', 'central.yaml'])).code).toBe(0);
    const help = await user(dbFile, ['--help']);
    expect(help.code).toBe(0);
    expect(help.out).toMatch(/^usage: pemda-central user COMMAND/);
  });

  it('exits 1 when the database cannot be opened', async () => {
    const r = await user('/proc/version/x.sqlite', ['list']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^pemda-central user: cannot use \/proc\/version\/x\.sqlite: /);
  });
});
