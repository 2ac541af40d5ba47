import { execFileSync } from 'node:child_process';
import { cpSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { ROOT } from '../helpers/proc.js';

/** Debian's Chromium (apt-get install chromium); the browser tests skip without it. */
export const CHROMIUM = '/usr/bin/chromium';
export const HAVE_CHROMIUM = existsSync(CHROMIUM);
export const SKIP_REASON = `skipped: ${CHROMIUM} is missing (Debian: apt-get install chromium)`;
export const SHOTS = join(ROOT, 'reports', 'screenshots');

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/**
 * The web build, as `npm run build` does it: tsc -p tsconfig.web.json (central/web/src ->
 * dist/web), then central/web/static copied beside it. Tests run what the central
 * serves in production, like tests/global-setup.ts compiles the programs.
 */
export function buildWebApp(): void {
  execFileSync('npx', ['tsc', '-p', 'tsconfig.web.json'], { cwd: ROOT, stdio: 'inherit' });
  cpSync(join(ROOT, 'central/web/static'), join(ROOT, 'dist/web'), { recursive: true });
}
