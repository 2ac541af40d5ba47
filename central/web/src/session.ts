/// <reference lib="dom" />
/**
 * Who uses the page: a logged-in user with the permissions the central sent, or
 * nobody. "Nobody" may still view when the central runs as a kiosk wall
 * (auth.anonymousView): then `anonymousView` is true and only viewing is allowed.
 * A user of one OPD (role `opd`) comes with that OPD and sees only its complaints.
 * The central decides every request itself; this only chooses what to show.
 */
import { request, isStatus } from './api.js';
import type { ApiMe, ApiPermission, ApiState } from './api-types.js';
import { viewerZone } from './model.js';

/** The OPD of a user of role `opd`, as login and GET /api/auth/me send it. */
export interface UserOpd {
  code: string;
  /** The registry's name; the code when the central could not say. */
  name: string;
}

/** ApiMe with the OPD a central sends for its OPD users. */
export type SessionUser = ApiMe & { opd?: UserOpd | undefined };

let user: SessionUser | null = null;
let anonymousView = false;

export function currentUser(): SessionUser | null {
  return user;
}

/** The user's OPD when they belong to one: every page then shows that OPD only. */
export function userOpd(): UserOpd | undefined {
  return user?.opd ?? undefined;
}

export function setAnonymousView(allowed: boolean): void {
  anonymousView = allowed;
}

export function isAnonymousView(): boolean {
  return user === null && anonymousView;
}

export function can(permission: ApiPermission): boolean {
  if (user) return user.permissions.includes(permission);
  return permission === 'view' && anonymousView;
}

/** GET /api/auth/me: the session's user, or null without one. */
export async function loadUser(): Promise<SessionUser | null> {
  try {
    user = await request<SessionUser>('/api/auth/me', { quiet401: true });
  } catch (err) {
    if (!isStatus(err, 401)) throw err;
    user = null;
  }
  return user;
}

/**
 * What a user who may not view gets instead of GET /api/state, which the central
 * refuses them (403): their own OPD as the only office, no gateways and no punches.
 * Staff of one OPD are such users; the pages they may open (Pengaduan) need no more.
 * Asking /api/auth/me again keeps the session checked as /api/state would: a 401
 * shows the login form. Undefined for everyone who may view: fetch /api/state.
 */
export async function stateWithoutView(): Promise<ApiState | undefined> {
  if (!user || can('view')) return undefined;
  user = await request<SessionUser>('/api/auth/me');
  const opd = user.opd;
  return {
    at: new Date().toISOString(),
    // The zone only matters to the attendance and report pages, which such a user cannot open.
    opds: opd ? [{ code: opd.code, name: opd.name, zone: viewerZone(), location: null, gateways: [], employees: 0, punchesToday: 0 }] : [],
    gateways: [],
    recentPunches: [],
  };
}

export async function logIn(username: string, password: string): Promise<SessionUser> {
  const me = await request<SessionUser>('/api/auth/login', { method: 'POST', json: { username, password }, quiet401: true });
  user = me;
  return me;
}

export async function logOut(): Promise<void> {
  try {
    await request<unknown>('/api/auth/logout', { method: 'POST', quiet401: true });
  } finally {
    user = null;
  }
}

/** The session ended under us (a 401): forget the user, keep whether viewing is open. */
export function forgetUser(): void {
  user = null;
}
