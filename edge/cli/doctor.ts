import type { GatewayConfig } from '../config.js';
import { brokerCheck, cameraCheck, clockCheck, dataDirCheck, terminalCheck, type CheckResult } from './doctor-checks.js';
import { sayer, type Lang } from './doctor-text.js';

const MARK = { ok: '[ OK ]', warn: '[WARN]', fail: '[FAIL]' } as const;
const COLOR = { ok: '\x1b[32m', warn: '\x1b[33m', fail: '\x1b[31m' } as const;

/**
 * `pemda-edge doctor`: checks the config's data folder, the broker and the central,
 * every terminal and the clock, one line each, with what to do for every line that
 * is not green. Returns the exit code: 1 when anything failed.
 */
export async function runDoctor(config: GatewayConfig, lang: Lang, out: (line: string) => void, color: boolean): Promise<number> {
  const say = sayer(lang);
  const checks = [dataDirCheck(config), brokerCheck(config), ...config.terminals.map(terminalCheck), ...config.cameras.map(cameraCheck), clockCheck()];
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
