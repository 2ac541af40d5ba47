import type { Influxd } from '../../scripts/lib/influxd.js';
import { DATABASE } from './services.js';
import { sleep } from './proc.js';

/**
 * When each expected punch becomes queryable in InfluxDB. Polls every `everyMs` for
 * the employees (unique per punch) matching `prefix`, only over punch times from the
 * oldest one still missing (minus a margin), so a poll stays small. A punch first
 * seen by poll k was stored between polls k-1 and k: its arrival is taken as the
 * midpoint of the two responses (or of the punch and poll k, if it came later), so
 * the resolution is about half the poll period.
 */
export class ArrivalWatcher {
  private readonly pending = new Map<string, { at: number; second: number }>();
  readonly latencies = new Map<string, number>();
  readonly pollMs: number[] = [];
  private lastResponse = Date.now();
  private running = false;
  private loop: Promise<void> | undefined;
  /** Called after each poll with the response time (ms since epoch). */
  onPoll: ((at: number) => Promise<void> | void) | undefined;

  constructor(
    private readonly influx: Influxd,
    private readonly prefix: string,
    private readonly everyMs = 200,
  ) {
    if (!/^[A-Za-z0-9]+$/.test(prefix)) throw new Error('prefix: letters and digits only');
  }

  /** A punch made now (wall clock `at`, ms) by `employee`. */
  expect(employee: string, at = Date.now()): void {
    this.pending.set(employee, { at, second: Math.floor(at / 1000) });
  }

  get missing(): number {
    return this.pending.size;
  }

  start(): void {
    this.running = true;
    this.lastResponse = Date.now();
    this.loop = (async () => {
      while (this.running) {
        const began = Date.now();
        await this.poll().catch((err: unknown) => console.error(`[bench] poll failed: ${(err as Error).message}`));
        await this.onPoll?.(this.lastResponse);
        await sleep(Math.max(0, this.everyMs - (Date.now() - began)));
      }
    })();
  }

  private async poll(): Promise<void> {
    let oldest = Infinity;
    for (const p of this.pending.values()) oldest = Math.min(oldest, p.second);
    if (oldest === Infinity) {
      this.lastResponse = Date.now();
      return;
    }
    // The stored time is the terminal's second corrected by the measured skew: a margin covers both.
    const fromNs = BigInt(oldest - 10) * 1_000_000_000n;
    const issued = Date.now();
    const rows = await this.influx.query(DATABASE, `SELECT employee FROM punch WHERE time >= ${fromNs} AND employee =~ /^${this.prefix}/`);
    const response = Date.now();
    this.pollMs.push(response - issued);
    for (const row of rows) {
      const employee = String(row.employee);
      const p = this.pending.get(employee);
      if (!p) continue;
      this.pending.delete(employee);
      this.latencies.set(employee, (Math.max(p.at, this.lastResponse) + response) / 2 - p.at);
    }
    this.lastResponse = response;
  }

  /** Waits until nothing is missing or `timeoutMs` passed, then stops polling. */
  async settle(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.pending.size > 0 && Date.now() < deadline && this.running) await sleep(100);
    this.running = false;
    await this.loop;
  }
}
