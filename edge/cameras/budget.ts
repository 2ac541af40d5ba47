/**
 * The office's snapshot bandwidth budget. Each camera sends one thumbnail per
 * interval; when what they would send together exceeds the budget, every interval
 * is stretched by the same factor, and far over budget the JPEG quality drops too.
 */
export class SnapshotBudget {
  private readonly demand = new Map<string, { bits: number; intervalS: number }>();
  private readonly sent: { atMs: number; bytes: number }[] = [];
  dropped = 0;

  constructor(
    readonly budgetKbps: number,
    private readonly windowMs = 5 * 60_000,
  ) {}

  /** What one camera's last thumbnail costs at its configured interval. */
  report(camera: string, bytes: number, intervalS: number): void {
    this.demand.set(camera, { bits: bytes * 8, intervalS });
  }

  recordSent(bytes: number, nowMs = Date.now()): void {
    this.sent.push({ atMs: nowMs, bytes });
    while (this.sent.length > 0 && this.sent[0]!.atMs < nowMs - this.windowMs) this.sent.shift();
  }

  demandKbps(): number {
    let bps = 0;
    for (const d of this.demand.values()) bps += d.bits / d.intervalS;
    return bps / 1000;
  }

  stretch(): number {
    return Math.max(1, this.demandKbps() / this.budgetKbps);
  }

  quality(configured: number): number {
    const s = this.stretch();
    return s > 4 ? Math.min(configured, 40) : s > 2 ? Math.min(configured, 50) : configured;
  }

  sentKbps(nowMs = Date.now()): number {
    const inWindow = this.sent.filter((s) => s.atMs >= nowMs - this.windowMs);
    if (inWindow.length === 0) return 0;
    const spanMs = Math.max(1000, nowMs - inWindow[0]!.atMs);
    return (inWindow.reduce((sum, s) => sum + s.bytes, 0) * 8) / spanMs;
  }
}
