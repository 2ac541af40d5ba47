import { afterEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { hashPassword } from '../../central/credentials.js';
import { Auth, type AuthOptions, type AuthResponse } from '../../central/auth/auth.js';
import { AuthConfig } from '../../central/auth/config.js';
import { UserStore } from '../../central/auth/store.js';
import { hashToken, newToken } from '../../central/auth/tokens.js';

const PASSWORD = 'correct horse battery';
const HOUR = 3_600_000;

/** An Auth over an in-memory store with a clock the test moves by hand. */
async function setup(options: Partial<AuthOptions> = {}) {
  const clock = { now: Date.UTC(2026, 10, 26, 7, 30) };
  const store = new UserStore(':memory:', () => clock.now);
  const hash = await hashPassword(PASSWORD);
  store.addUser('admin', 'admin', hash);
  store.addUser('budi', 'operator', hash);
  store.addUser('teknisi', 'technician', hash);
  const auth = new Auth(store, { ...AuthConfig.parse({}), https: false, clock: () => clock.now, ...options }, pino({ level: 'silent' }));
  stores.push(store);
  return { auth, store, clock };
}
const stores: UserStore[] = [];
afterEach(() => stores.splice(0).forEach((s) => s.close()));

function cookieOf(response: AuthResponse): string {
  const setCookie = response.headers['Set-Cookie'];
  if (setCookie === undefined) throw new Error(`no Set-Cookie in ${JSON.stringify(response)}`);
  return setCookie.split(';')[0]!;
}
const withCookie = (cookie: string) => ({ headers: { cookie } });
const withBearer = (token: string, cookie?: string) => ({ headers: { authorization: `Bearer ${token}`, ...(cookie !== undefined && { cookie }) } });
const body = (username: string, password = PASSWORD) => JSON.stringify({ username, password });

describe('login', () => {
  it('answers 200 with the role and its permissions and sets the session cookie', async () => {
    const { auth } = await setup();
    const res = await auth.login(body('admin'), '10.0.0.5');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ username: 'admin', role: 'admin' });
    expect(res.headers['Set-Cookie']).toMatch(/^pemda_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=604800$/);
    expect(auth.authenticate(withCookie(cookieOf(res)))).toEqual({ username: 'admin', role: 'admin', via: 'session' });
  });

  it('marks the cookie Secure when the central serves HTTPS, or when configured always', async () => {
    const https = await setup({ https: true });
    expect((await https.auth.login(body('budi'), 'a')).headers['Set-Cookie']).toMatch(/; Secure$/);
    expect(https.auth.logout(withCookie('x=1')).headers['Set-Cookie']).toMatch(/Max-Age=0; Secure$/);
    const proxied = await setup({ secureCookie: 'always' });
    expect((await proxied.auth.login(body('budi'), 'a')).headers['Set-Cookie']).toMatch(/; Secure$/);
  });

  it('accepts a parsed body and a username in any case', async () => {
    const { auth } = await setup();
    const res = await auth.login({ username: ' Budi ', password: PASSWORD }, 'a');
    expect(res.body).toMatchObject({ username: 'budi', role: 'operator', permissions: ['view', 'alerts.ack', 'complaints.submit', 'complaints.handle'] });
  });

  it('gives the same 401 for a wrong password and an unknown user', async () => {
    const { auth } = await setup();
    const wrong = await auth.login(body('admin', 'nope'), 'a');
    const unknown = await auth.login(body('nobody'), 'a');
    expect(wrong).toEqual({ status: 401, headers: {}, body: { error: 'wrong username or password' } });
    expect(unknown).toEqual(wrong);
  });

  it('spends about as long on an unknown user as on a wrong password (a dummy scrypt)', async () => {
    const { auth } = await setup({ loginMaxFailures: 100 });
    await auth.login(body('nobody'), 'warm-up');
    const time = async (username: string) => {
      const start = performance.now();
      for (let i = 0; i < 3; i++) await auth.login(body(username, 'wrong password'), 'a');
      return performance.now() - start;
    };
    const known = await time('admin');
    const unknown = await time('nobody');
    expect(unknown).toBeGreaterThan(known * 0.4);
  });

  it('answers 400 to a malformed body', async () => {
    const { auth } = await setup();
    for (const bad of ['not json', '[]', '{"username":"admin"}', JSON.stringify({ username: 'admin', password: 5 }), undefined, null, { username: '', password: 'x' }]) {
      const res = await auth.login(bad, 'a');
      expect(res.status, JSON.stringify(bad)).toBe(400);
      expect(res.body).toEqual({ error: 'send JSON {"username": "...", "password": "..."}' });
    }
  });
});

describe('sessions', () => {
  it('end after the idle timeout, and stay while in use', async () => {
    const { auth, clock } = await setup();
    const cookie = cookieOf(await auth.login(body('budi'), 'a'));
    for (let i = 0; i < 5; i++) {
      clock.now += 11 * HOUR;
      expect(auth.authenticate(withCookie(cookie)), `after ${(i + 1) * 11} h`).toBeDefined();
    }
    clock.now += 12 * HOUR;
    expect(auth.authenticate(withCookie(cookie))).toBeUndefined();
  });

  it('end after their lifetime even when in use', async () => {
    const { auth, clock, store } = await setup({ idleTimeoutMinutes: 60, sessionLifetimeHours: 24 });
    const cookie = cookieOf(await auth.login(body('budi'), 'a'));
    const until = clock.now + 24 * HOUR;
    while (clock.now + 30 * 60_000 < until) {
      clock.now += 30 * 60_000;
      expect(auth.authenticate(withCookie(cookie))).toBeDefined();
    }
    clock.now = until;
    expect(auth.authenticate(withCookie(cookie))).toBeUndefined();
    // The expired session is gone from the table, not just refused.
    expect(store.users().find((u) => u.username === 'budi')?.sessions).toBe(0);
  });

  it('end at logout, and the browser is told to drop the cookie', async () => {
    const { auth } = await setup();
    const cookie = cookieOf(await auth.login(body('admin'), 'a'));
    const res = auth.logout(withCookie(cookie));
    expect(res.status).toBe(200);
    expect(res.headers['Set-Cookie']).toBe('pemda_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0');
    expect(auth.authenticate(withCookie(cookie))).toBeUndefined();
  });

  it('end when the password changes or the user is disabled', async () => {
    const { auth, store } = await setup();
    const cookie = cookieOf(await auth.login(body('budi'), 'a'));
    store.setPassword('budi', await hashPassword('another password'));
    expect(auth.authenticate(withCookie(cookie))).toBeUndefined();
    expect((await auth.login(body('budi'), 'a')).status).toBe(401);
    const again = cookieOf(await auth.login(body('budi', 'another password'), 'a'));
    store.setDisabled('budi', true);
    expect(auth.authenticate(withCookie(again))).toBeUndefined();
  });

  it('ignore cookies that are not ours or not tokens', async () => {
    const { auth } = await setup();
    expect(auth.authenticate(withCookie('pemda_session=short'))).toBeUndefined();
    expect(auth.authenticate(withCookie(`pemda_session=${newToken()}`))).toBeUndefined();
    expect(auth.authenticate({ headers: {} })).toBeUndefined();
  });
});

describe('disabled users', () => {
  it('get 403 with the right password and the usual 401 with a wrong one', async () => {
    const { auth, store } = await setup();
    store.setDisabled('budi', true);
    expect(await auth.login(body('budi'), 'a')).toMatchObject({ status: 403, body: { error: 'this account is disabled; ask an administrator' } });
    expect((await auth.login(body('budi', 'wrong'), 'a')).status).toBe(401);
    store.setDisabled('budi', false);
    expect((await auth.login(body('budi'), 'a')).status).toBe(200);
  });
});

describe('login rate limit', () => {
  it('refuses a username after 10 failures in 15 minutes, from any address, with Retry-After', async () => {
    const { auth, clock } = await setup();
    for (let i = 0; i < 10; i++) {
      expect((await auth.login(body('admin', 'guess'), `10.0.0.${i}`)).status).toBe(401);
      clock.now += 10_000;
    }
    const refused = await auth.login(body('admin'), '10.0.1.1');
    expect(refused.status).toBe(429);
    // The first failure leaves the window 15 min after it: 100 s have passed since.
    expect(refused.headers['Retry-After']).toBe('800');
    expect(refused.body).toEqual({ error: 'too many failed logins; try again in 14 minute(s)' });
    clock.now += 800_000;
    expect((await auth.login(body('admin'), '10.0.1.1')).status).toBe(200);
  });

  it('refuses an address after 10 failures, whatever usernames it tries', async () => {
    const { auth } = await setup();
    for (let i = 0; i < 10; i++) await auth.login(body(`guess${i}`), '192.0.2.7');
    expect((await auth.login(body('budi'), '192.0.2.7')).status).toBe(429);
    expect((await auth.login(body('budi'), '192.0.2.8')).status).toBe(200);
  });

  it('forgets a username\'s failures once it logs in', async () => {
    const { auth } = await setup();
    for (let i = 0; i < 9; i++) await auth.login(body('budi', 'typo'), `10.1.0.${i}`);
    expect((await auth.login(body('budi'), '10.2.0.1')).status).toBe(200);
    for (let i = 0; i < 9; i++) expect((await auth.login(body('budi', 'typo'), `10.3.0.${i}`)).status).toBe(401);
  });

  it('cannot be outrun by parallel guesses', async () => {
    const { auth } = await setup();
    const results = await Promise.all(Array.from({ length: 25 }, () => auth.login(body('admin', 'guess'), '198.51.100.1')));
    expect(results.filter((r) => r.status === 401)).toHaveLength(10);
    expect(results.filter((r) => r.status === 429)).toHaveLength(15);
  });
});

describe('API tokens', () => {
  function addToken(store: UserStore, username: string): { token: string; id: number } {
    const token = newToken();
    return { token, id: store.addApiToken(username, hashToken(token), 'rest bridge') };
  }

  it('authenticate with the user\'s current role', async () => {
    const { auth, store } = await setup();
    const { token } = addToken(store, 'teknisi');
    expect(auth.authenticate(withBearer(token))).toEqual({ username: 'teknisi', role: 'technician', via: 'token' });
    store.setRole('teknisi', 'operator');
    expect(auth.authenticate(withBearer(token))?.role).toBe('operator');
  });

  it('outlive the session timeouts and password changes, record their last use', async () => {
    const { auth, store, clock } = await setup();
    const { token, id } = addToken(store, 'budi');
    clock.now += 400 * 24 * HOUR;
    store.setPassword('budi', await hashPassword('another password'));
    expect(auth.authenticate(withBearer(token))?.username).toBe('budi');
    expect(store.apiTokens('budi').find((t) => t.id === id)?.lastUsedAt).toBe(clock.now);
  });

  it('stop working when revoked or while the user is disabled', async () => {
    const { auth, store } = await setup();
    const { token, id } = addToken(store, 'budi');
    store.setDisabled('budi', true);
    expect(auth.authenticate(withBearer(token))).toBeUndefined();
    store.setDisabled('budi', false);
    expect(auth.authenticate(withBearer(token))).toBeDefined();
    store.revokeApiToken(id);
    expect(auth.authenticate(withBearer(token))).toBeUndefined();
  });

  it('a bad bearer token does not fall back to the session cookie', async () => {
    const { auth } = await setup();
    const cookie = cookieOf(await auth.login(body('admin'), 'a'));
    expect(auth.authenticate(withBearer(newToken(), cookie))).toBeUndefined();
    expect(auth.authenticate(withBearer('garbage', cookie))).toBeUndefined();
  });
});

describe('guard and me', () => {
  it('answers 401 without credentials, 403 without the permission, and passes the rest', async () => {
    const { auth } = await setup();
    const operator = withCookie(cookieOf(await auth.login(body('budi'), 'a')));
    const admin = withCookie(cookieOf(await auth.login(body('admin'), 'a')));
    const none = auth.guard({ headers: {} }, 'view');
    expect(none).toMatchObject({ ok: false, response: { status: 401, headers: { 'WWW-Authenticate': 'Bearer realm="pemda-central"' } } });
    expect(auth.guard(operator, 'devices.manage')).toMatchObject({ ok: false, response: { status: 403, body: { error: 'the operator role may not do this (needs "devices.manage")' } } });
    expect(auth.guard(operator, 'alerts.ack')).toEqual({ ok: true, principal: { username: 'budi', role: 'operator', via: 'session' } });
    expect(auth.guard(admin, 'users.manage').ok).toBe(true);
    expect(auth.me(operator)).toEqual({ status: 200, headers: {}, body: { username: 'budi', role: 'operator', permissions: ['view', 'alerts.ack', 'complaints.submit', 'complaints.handle'] } });
    expect(auth.me({ headers: {} }).status).toBe(401);
  });
});
