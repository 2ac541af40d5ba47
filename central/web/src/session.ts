/// <reference lib="dom" />
/**
 * Who uses the page: a logged-in user with the permissions the central sent, or
 * nobody. "Nobody" may still view when the central runs as a kiosk wall
 * (auth.anonymousView): then `anonymousView` is true and only viewing is allowed.
 * The central decides every request itself; this only chooses what to show.
 */
import { request, isStatus } from './api.js';
import type { ApiMe, ApiPermission } from './api-types.js';

let user: ApiMe | null = null;
let anonymousView = false;

export function currentUser(): ApiMe | null {
  return user;
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
export async function loadUser(): Promise<ApiMe | null> {
  try {
    user = await request<ApiMe>('/api/auth/me', { quiet401: true });
  } catch (err) {
    if (!isStatus(err, 401)) throw err;
    user = null;
  }
  return user;
}

export async function logIn(username: string, password: string): Promise<ApiMe> {
  user = await request<ApiMe>('/api/auth/login', { method: 'POST', json: { username, password }, quiet401: true });
  return user;
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
