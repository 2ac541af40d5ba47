import type { IncomingMessage } from 'node:http';
import type { Logger } from 'pino';
import { z } from 'zod';
import { generatePassword, hashPassword, verifyPassword } from '../credentials.js';
import type { AuthConfig } from './config.js';
import { sessionCookie, sessionTokenOf } from './cookies.js';
import { FailureWindow } from './rate-limit.js';
import { bearerTokenOf } from './request.js';
import { can, ROLE_PERMISSIONS, roleNeedsOpd, type Permission, type Principal, type Role } from './roles.js';
import type { UserStore } from './store.js';
import { hashToken, newToken, TOKEN_PATTERN } from './tokens.js';

export interface AuthOptions extends AuthConfig {
  /** The central serves HTTPS itself: the cookie gets Secure. */
  https: boolean;
  /** Milliseconds since the epoch; tests pass their own. Must be the store's clock too. */
  clock?: () => number;
  /** The registry's name of an OPD, for the header of an OPD user; without it the code is shown. */
  opdName?: (code: string) => string | undefined;
}

/** Who is logged in, as login and `GET /api/auth/me` answer. */
export interface WhoAmI {
  username: string;
  role: Role;
  permissions: readonly Permission[];
  /** Only for a user of one OPD: the page shows its name and nothing of other OPDs. */
  opd?: { code: string; name: string };
}

/** What a route answers: the caller writes `status`, `headers` and `JSON.stringify(body)`. */
export interface AuthResponse {
  status: number;
  headers: Record<string, string>;
  body: { error: string } | WhoAmI | { ok: true };
}

export type AuthDecision = { ok: true; principal: Principal } | { ok: false; response: AuthResponse };

/** Loose on purpose: a malformed username is just a wrong one (401), not a hint (400). */
const LoginBody = z.object({
  username: z.string().min(1).max(256).describe('login name; case does not matter'),
  password: z.string().min(1).max(1024),
});

/** Sessions and tokens seen within this long are not written again: no write per request. */
const TOUCH_EVERY_MS = 60_000;

const WRONG = 'wrong username or password';

/**
 * Login, logout and "who is this request" for the command room, free of any HTTP
 * framework: the server hands in what it read and writes out what it gets back.
 */
export class Auth {
  private readonly clock: () => number;
  private readonly byAddress: FailureWindow;
  private readonly byUsername: FailureWindow;
  private dummyHash: Promise<string> | undefined;

  constructor(
    private readonly store: UserStore,
    private readonly options: AuthOptions,
    private readonly log: Logger,
  ) {
    this.clock = options.clock ?? Date.now;
    const window = { maxFailures: options.loginMaxFailures, windowMs: options.loginWindowMinutes * 60_000 };
    this.byAddress = new FailureWindow(window, this.clock);
    this.byUsername = new FailureWindow(window, this.clock);
  }

  /** `body`: the request body as text (JSON), or already parsed. `remote`: the client address. */
  async login(body: unknown, remote: string): Promise<AuthResponse> {
    const parsed = LoginBody.safeParse(typeof body === 'string' || Buffer.isBuffer(body) ? parseJson(body.toString()) : body);
    if (!parsed.success) return error(400, 'send JSON {"username": "...", "password": "..."}');
    const username = parsed.data.username.trim().toLowerCase();

    const retryAfterS = Math.max(this.byAddress.retryAfterS(remote), this.byUsername.retryAfterS(username));
    if (retryAfterS > 0) {
      this.log.warn({ remote, retryAfterS }, 'login refused: too many failed attempts');
      return error(429, `too many failed logins; try again in ${Math.ceil(retryAfterS / 60)} minute(s)`, { 'Retry-After': String(retryAfterS) });
    }
    this.byAddress.charge(remote);
    this.byUsername.charge(username);

    const user = this.store.user(username);
    // An unknown user costs a full scrypt too, so the answer's timing does not say who exists.
    const ok = await verifyPassword(parsed.data.password, user?.passwordHash ?? (await this.dummy()));
    if (!user || !ok) {
      // An unknown name is not logged: it is often a password typed into the wrong field.
      this.log.info(user ? { remote, username } : { remote, unknownUser: true }, 'login failed');
      return error(401, WRONG);
    }
    this.byAddress.refund(remote);
    this.byUsername.reset(username);
    // Only someone who knows the password learns that the account is disabled.
    if (user.disabled) {
      this.log.info({ remote, username }, 'login refused: user disabled');
      return error(403, 'this account is disabled; ask an administrator');
    }

    const principal = scoped({ username: user.username, role: user.role, via: 'session' }, user.opd);
    if (!principal) {
      this.log.error({ username }, 'login refused: an OPD user without an OPD in the user table');
      return error(403, 'this account belongs to no OPD; ask an administrator (pemda-central user role)');
    }
    const now = this.clock();
    this.store.deleteExpiredSessions(now - this.idleMs, now - this.lifetimeMs);
    const token = newToken();
    this.store.createSession(hashToken(token), user.username, user.role);
    this.log.info({ remote, username, role: user.role, ...(principal.opd !== undefined && { opd: principal.opd }) }, 'logged in');
    return {
      status: 200,
      headers: { 'Set-Cookie': sessionCookie(token, { secure: this.secure, maxAgeS: this.lifetimeMs / 1000 }) },
      body: this.whoAmI(principal),
    };
  }

  /** Ends the request's session (if any) and tells the browser to drop the cookie. */
  logout(req: Pick<IncomingMessage, 'headers'>): AuthResponse {
    const token = sessionTokenOf(req);
    if (token !== undefined && TOKEN_PATTERN.test(token)) {
      const hash = hashToken(token);
      const session = this.store.session(hash);
      this.store.deleteSession(hash);
      if (session) this.log.info({ username: session.username }, 'logged out');
    }
    return { status: 200, headers: { 'Set-Cookie': sessionCookie('', { secure: this.secure, maxAgeS: 0 }) }, body: { ok: true } };
  }

  /**
   * Who sent the request: an API token (`Authorization: Bearer`) or else the session
   * cookie. A request with a bearer token is judged by that token alone, so a bad
   * token never falls back to a browser session that happens to be present.
   */
  authenticate(req: Pick<IncomingMessage, 'headers'>): Principal | undefined {
    const bearer = bearerTokenOf(req);
    if (bearer !== undefined) return this.byApiToken(bearer);
    const token = sessionTokenOf(req);
    return token === undefined ? undefined : this.bySession(token);
  }

  /** For a route: the principal if it holds `permission`, else the 401 or 403 to send. */
  guard(req: Pick<IncomingMessage, 'headers'>, permission: Permission): AuthDecision {
    const principal = this.authenticate(req);
    if (!principal) return { ok: false, response: error(401, 'log in first', { 'WWW-Authenticate': 'Bearer realm="pemda-central"' }) };
    if (!can(principal, permission)) return { ok: false, response: error(403, `the ${principal.role} role may not do this (needs "${permission}")`) };
    return { ok: true, principal };
  }

  /** `GET /api/auth/me`: who is logged in and what they may do, so the app shows only that. */
  me(req: Pick<IncomingMessage, 'headers'>): AuthResponse {
    const principal = this.authenticate(req);
    if (!principal) return error(401, 'log in first', { 'WWW-Authenticate': 'Bearer realm="pemda-central"' });
    return { status: 200, headers: {}, body: this.whoAmI(principal) };
  }

  private whoAmI(p: Principal): WhoAmI {
    const who: WhoAmI = { username: p.username, role: p.role, permissions: ROLE_PERMISSIONS[p.role] };
    if (p.opd !== undefined) who.opd = { code: p.opd, name: this.options.opdName?.(p.opd) ?? p.opd };
    return who;
  }

  private bySession(token: string): Principal | undefined {
    if (!TOKEN_PATTERN.test(token)) return undefined;
    const hash = hashToken(token);
    const session = this.store.session(hash);
    if (!session) return undefined;
    const now = this.clock();
    const principal = scoped({ username: session.username, role: session.role, via: 'session' }, session.opd);
    if (!principal || session.userDisabled || now - session.lastSeenAt >= this.idleMs || now - session.createdAt >= this.lifetimeMs) {
      this.store.deleteSession(hash);
      return undefined;
    }
    if (now - session.lastSeenAt >= TOUCH_EVERY_MS) this.store.touchSession(hash);
    return principal;
  }

  private byApiToken(token: string): Principal | undefined {
    if (!TOKEN_PATTERN.test(token)) return undefined;
    const record = this.store.apiToken(hashToken(token));
    if (!record || record.userDisabled) return undefined;
    // A token acts with its user's current role and OPD, like a new login would.
    const principal = scoped({ username: record.username, role: record.role, via: 'token' }, record.opd);
    if (!principal) return undefined;
    if (record.lastUsedAt === null || this.clock() - record.lastUsedAt >= TOUCH_EVERY_MS) this.store.touchApiToken(record.id);
    return principal;
  }

  private dummy(): Promise<string> {
    this.dummyHash ??= hashPassword(generatePassword());
    return this.dummyHash;
  }

  private get secure(): boolean {
    return this.options.https || this.options.secureCookie === 'always';
  }

  private get idleMs(): number {
    return this.options.idleTimeoutMinutes * 60_000;
  }

  private get lifetimeMs(): number {
    return this.options.sessionLifetimeHours * 3_600_000;
  }
}

/**
 * The principal with its OPD, or undefined for a role that needs one and has none: such
 * a user must see nothing rather than, unscoped, every OPD's complaints.
 */
function scoped(p: Omit<Principal, 'opd'>, opd: string | null): Principal | undefined {
  if (!roleNeedsOpd(p.role)) return p;
  return opd === null ? undefined : { ...p, opd };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function error(status: number, message: string, headers: Record<string, string> = {}): AuthResponse {
  return { status, headers, body: { error: message } };
}
