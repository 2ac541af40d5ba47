/**
 * Failed logins per key (a remote address, a username) in a sliding window. An
 * attempt is charged before its password is checked and refunded when it succeeds,
 * so a burst of parallel guesses cannot slip through while scrypt is still running.
 */
export class FailureWindow {
  private readonly attempts = new Map<string, number[]>();

  constructor(
    private readonly options: { maxFailures: number; windowMs: number; maxKeys?: number },
    private readonly clock: () => number = Date.now,
  ) {}

  /** Seconds until `key` may try again, or 0 if it may try now. */
  retryAfterS(key: string): number {
    const recent = this.recent(key);
    if (recent.length < this.options.maxFailures) return 0;
    const freeAt = recent[recent.length - this.options.maxFailures]! + this.options.windowMs;
    return Math.max(1, Math.ceil((freeAt - this.clock()) / 1000));
  }

  charge(key: string): void {
    const recent = this.recent(key);
    recent.push(this.clock());
    this.attempts.delete(key);
    this.attempts.set(key, recent);
    this.bound();
  }

  /** Takes back the latest charge of `key` (that attempt succeeded). */
  refund(key: string): void {
    const recent = this.attempts.get(key);
    recent?.pop();
    if (recent?.length === 0) this.attempts.delete(key);
  }

  /** Forgets every failure of `key` (a username that just logged in). */
  reset(key: string): void {
    this.attempts.delete(key);
  }

  private recent(key: string): number[] {
    const since = this.clock() - this.options.windowMs;
    const recent = (this.attempts.get(key) ?? []).filter((t) => t > since);
    if (recent.length === 0) this.attempts.delete(key);
    else this.attempts.set(key, recent);
    return recent;
  }

  /**
   * Guessing random usernames must not grow memory without end: past the cap, expired
   * keys go first, then the least recently charged ones (Map order is charge order).
   */
  private bound(): void {
    const maxKeys = this.options.maxKeys ?? 10_000;
    if (this.attempts.size <= maxKeys) return;
    for (const key of [...this.attempts.keys()]) this.recent(key);
    for (const key of this.attempts.keys()) {
      if (this.attempts.size <= maxKeys) break;
      this.attempts.delete(key);
    }
  }
}
