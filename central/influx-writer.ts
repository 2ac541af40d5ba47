import type { InfluxDB, IPoint } from 'influx';
import type { Logger } from 'pino';
import { retentionPolicyFor } from './influx-schema.js';

interface Pending {
  points: IPoint[];
  resolve: () => void;
  reject: (err: Error) => void;
}

/**
 * Batches points from many gateways into few InfluxDB writes, bounded by size and by
 * time. `write()` resolves only when InfluxDB has accepted the points: that is the
 * moment the ingest may ack. One write is in flight at a time, so a slow or down
 * InfluxDB pushes back instead of piling up requests.
 */
export class InfluxWriter {
  private queue: Pending[] = [];
  private queuedPoints = 0;
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> | undefined;
  private failing = false;
  writtenPoints = 0;
  failedWrites = 0;

  constructor(
    private readonly influx: InfluxDB,
    private readonly options: { batchSize: number; flushIntervalMs: number },
    private readonly log: Logger,
  ) {}

  write(points: IPoint[]): Promise<void> {
    if (points.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ points, resolve, reject });
      this.queuedPoints += points.length;
      if (this.queuedPoints >= this.options.batchSize) void this.flush();
      else this.timer ??= setTimeout(() => void this.flush(), this.options.flushIntervalMs);
    });
  }

  /** Writes everything queued; resolves when the queue is empty or the write failed. */
  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    while (this.writing) await this.writing;
    if (this.queue.length === 0) return;
    const batch: Pending[] = [];
    let count = 0;
    while (this.queue.length > 0 && (count === 0 || count + this.queue[0]!.points.length <= this.options.batchSize)) {
      const next = this.queue.shift()!;
      batch.push(next);
      count += next.points.length;
    }
    this.queuedPoints -= count;
    this.writing = this.writeBatch(batch, count);
    await this.writing;
    this.writing = undefined;
    if (this.queue.length > 0) {
      if (this.queuedPoints >= this.options.batchSize) await this.flush();
      else this.timer ??= setTimeout(() => void this.flush(), this.options.flushIntervalMs);
    }
  }

  private async writeBatch(batch: Pending[], count: number): Promise<void> {
    try {
      // One write per retention policy: InfluxDB takes one per request.
      const byPolicy = new Map<string, IPoint[]>();
      for (const point of batch.flatMap((p) => p.points)) {
        const rp = retentionPolicyFor(point.measurement ?? '');
        const list = byPolicy.get(rp);
        if (list) list.push(point);
        else byPolicy.set(rp, [point]);
      }
      for (const [retentionPolicy, points] of byPolicy) await this.influx.writePoints(points, { precision: 'n', retentionPolicy });
      this.writtenPoints += count;
      if (this.failing) this.log.info({ points: count }, 'InfluxDB writes succeed again');
      this.failing = false;
      for (const p of batch) p.resolve();
    } catch (err) {
      this.failedWrites++;
      // Log the first failure of an outage loudly, then quietly: gateways keep the data.
      const message = (err as Error).message;
      if (!this.failing) this.log.error({ err: message, points: count }, 'InfluxDB write failed; not acking, gateways will resend');
      else this.log.debug({ err: message, points: count }, 'InfluxDB write failed again');
      this.failing = true;
      for (const p of batch) p.reject(err as Error);
    }
  }

  async close(): Promise<void> {
    while (this.queue.length > 0 || this.writing) await this.flush();
  }
}
