/** A token bucket: `ratePerS` tokens a second, at most `capacity` saved up. */
export class TokenBucket {
  private tokens: number;
  private updatedMs: number;

  constructor(
    private readonly ratePerS: number,
    private readonly capacity: number,
    nowMs = Date.now(),
  ) {
    this.tokens = capacity;
    this.updatedMs = nowMs;
  }

  available(nowMs = Date.now()): number {
    this.tokens = Math.min(this.capacity, this.tokens + ((nowMs - this.updatedMs) * this.ratePerS) / 1000);
    this.updatedMs = nowMs;
    return Math.floor(this.tokens);
  }

  take(n: number, nowMs = Date.now()): void {
    this.available(nowMs);
    this.tokens -= n;
  }

  /** Milliseconds until `n` tokens are available. */
  msUntil(n: number, nowMs = Date.now()): number {
    this.available(nowMs);
    const missing = n - this.tokens;
    return missing <= 0 ? 0 : Math.ceil((missing * 1000) / this.ratePerS);
  }
}
