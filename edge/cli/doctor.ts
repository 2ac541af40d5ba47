import type { GatewayConfig } from '../config.js';
import { brokerCheck, cameraCheck, clockCheck, dataDirCheck, terminalCheck, type Check, type CheckResult } from './doctor-checks.js';
import { panicChecks } from './doctor-panic.js';
import { sayer, type Lang } from './doctor-text.js';

const MARK = { ok: '[ OK ]', warn: '[WARN]', fail: '[FAIL]' } as const;
const COLOR = { ok: '\x1b[32m', warn: '\x1b[33m', fail: '\x1b[31m' } as const;

/**
 * `pemda-edge doctor`: checks the config's data folder, the broker and the central,
 * every terminal, camera and panic input, and the clock, one line each, with what to
 * do for every line that is not green. Returns the exit code: 1 when anything failed.
 */
export async function runDoctor(config: GatewayConfig, lang: Lang, out: (line: string) => void, color: boolean): Promise<number> {
  const checks = [
    dataDirCheck(config),
    brokerCheck(config),
    ...config.terminals.map(terminalCheck),
    ...config.cameras.map(cameraCheck),
    ...panicChecks(config.panic),
    clockCheck(),
  ];
  return runChecks(checks, lang, out, color);
}

/** Prints each check's line as it finishes, then the summary; returns the exit code. */
export async function runChecks(checks: readonly Check[], lang: Lang, out: (line: string) => void, color: boolean): Promise<number> {
  const say = sayer(lang);
  const results: CheckResult[] = [];
  for (const check of checks) {
    const r = await check(say);
    results.push(r);
    const mark = color ? `${COLOR[r.verdict]}${MARK[r.verdict]}\x1b[0m` : MARK[r.verdict];
    out(`${mark} ${r.what}: ${r.detail}`);
    if (r.advice) out(`       -> ${r.advice}`);
  }
  const fails = results.filter((r) => r.verdict === 'fail').length;
  const warns = results.filter((r) => r.verdict === 'warn').length;
  out(fails > 0 ? say('summary.fail', { fails, warns }) : warns > 0 ? say('summary.warn', { warns }) : say('summary.ok'));
  return fails > 0 ? 1 : 0;
}
