import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { ROOT } from '../helpers/proc.js';

/**
 * Command-room users for the browser tests, made the way an installer makes them:
 * `pemda-central user add ... --password-stdin` against the central's config.
 */
export async function addUser(configFile: string, username: string, role: 'admin' | 'technician' | 'operator', password: string): Promise<void> {
  const child = spawn(process.execPath, [join(ROOT, 'dist/central/main.js'), 'user', 'add', '--config', configFile, '--username', username, '--role', role, '--password-stdin'], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  child.stdin.end(`${password}\n`);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`user add ${username} exited ${code}: ${output}`);
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
