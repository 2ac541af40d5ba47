import type { Browser, Page } from 'playwright-core';
import type { TestSystem } from '../helpers/system.js';
import { launchChromium } from './chromium.js';

export interface BrowserUser {
  username: string;
  password: string;
  role: 'admin' | 'technician' | 'operator' | 'opd';
  /** With role opd: the user's OPD. */
  opd?: string;
}

/**
 * Starts `system` as an installation behind a login (no kiosk view), Chromium beside
 * it, and makes its users the way an installer does: `pemda-central user add` (one
 * after the other: they share the registry's SQLite file).
 */
export async function startBehindLogin(system: TestSystem, users: readonly BrowserUser[]): Promise<Browser> {
  system.centralExtra.auth = { anonymousView: false };
  const [browser] = await Promise.all([launchChromium(), system.start()]);
  for (const u of users) system.addUser(u.username, u.role, u.password, u.opd);
  return browser;
}

/** A wall-sized page (1920x1080, Bahasa Indonesia) in its own browser context, in the viewer's zone. */
export function wallPage(browser: Browser, timezoneId: string): Promise<Page> {
  return browser.newPage({ viewport: { width: 1920, height: 1080 }, locale: 'id-ID', timezoneId });
}

/** A session cookie ("pemda_session=...") from the login route, for checking the API directly. */
export async function apiSession(base: string, username: string, password: string): Promise<string> {
  const res = await fetch(`${base}/api/auth/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username, password }) });
  if (res.status !== 200) throw new Error(`login ${username}: HTTP ${res.status} ${await res.text()}`);
  return (res.headers.get('set-cookie') ?? '').split(';')[0]!;
}

/** Logs in through the app's form (the page must show it). */
export async function logInThroughForm(page: Page, username: string, password: string): Promise<void> {
  await page.locator('.login-form').waitFor();
  await page.locator('#login-username').fill(username);
  await page.locator('#login-password').fill(password);
  await page.locator('.login-form button[type="submit"]').click();
  await page.locator('#user-name').waitFor();
}

/** The tabs the header shows, by view. */
export async function tabViews(page: Page): Promise<string[]> {
  return (await page.locator('#tabs a.tab').evaluateAll((els) => els.map((e) => e.getAttribute('data-view') ?? ''))) as string[];
}

/** The little of the page's DOM the in-page checks use (the tests compile without the DOM lib). */
interface PageDocument {
  querySelector(selector: string): { textContent: string | null } | null;
}

/**
 * Waits until each selector's text equals (or, with `includes`, contains) the given
 * text, checked inside the page every `pollMs`: for timing how fast something shows.
 * A function, not a string: the app's Content-Security-Policy forbids eval.
 */
export async function waitForTexts(page: Page, checks: { selector: string; text: string; includes?: boolean }[], timeoutMs: number, pollMs = 20): Promise<void> {
  await page.waitForFunction(
    (list) =>
      list.every(({ selector, text, includes }) => {
        const found = (globalThis as unknown as { document: PageDocument }).document.querySelector(selector)?.textContent ?? null;
        return found !== null && (includes ? found.includes(text) : found === text);
      }),
    checks,
    { timeout: timeoutMs, polling: pollMs },
  );
}
