import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import type { Logger } from 'pino';
import { encodeSnapshot, sha256Hex } from '../../protocols/snapshot/frame.js';
import type { NewRecord } from '../outbox.js';
import type { SnapshotBudget } from './budget.js';
import type { CameraConfig } from './config.js';
import { CameraAuthError, grabFrame, resolveOnvif, type GrabbedFrame, type OnvifUris } from './grab.js';
import { MotionWatcher } from './motion.js';

const FIRST_GRAB_SPREAD_MS = 30_000;

export type CameraState = 'online' | 'offline' | 'auth-failed' | 'stale';

export interface CameraContext {
  record(record: NewRecord): void;
  publishSnapshot(camera: string, message: Buffer, kind: 'thumb' | 'full'): void;
  framesDir: string;
  staleAfterSameFrames: number;
}

/**
 * Polls one camera on its interval (jittered, stretched by the office budget), one
 * grab at a time: the ONVIF snapshot URI (or a configured one) with Digest auth, and
 * RTSP through ffmpeg when that fails. Each frame becomes a wall thumbnail; the full
 * frame is kept on disk for on-demand requests. State changes are durable records.
 */
export class CameraPoller {
  state: CameraState | 'unknown' = 'unknown';
  latencyMs: number | null = null;
  thumbBytes: number | null = null;
  source: 'snapshot-uri' | 'rtsp' | null = null;
  private onvif: OnvifUris | undefined;
  private timer: NodeJS.Timeout | undefined;
  private busy: Promise<unknown> | undefined;
  private stopped = true;
  private lastSha: string | undefined;
  private sameFrames = 0;
  /** ONVIF motion events, when `motion.enabled`. */
  private motion: MotionWatcher | undefined;

  constructor(
    readonly config: CameraConfig,
    private readonly ctx: CameraContext,
    private readonly budget: SnapshotBudget,
    private readonly log: Logger,
  ) {}

  get id(): string {
    return this.config.id;
  }

  start(): void {
    this.stopped = false;
    mkdirSync(this.ctx.framesDir, { recursive: true });
    // Spread over up to 30 s: after a power cut every office boots together, and first
    // grabs bunched into a few seconds reach the central as one burst of thousands of
    // thumbnails (the morning-rush benchmark at 2,500 cameras showed it).
    this.schedule(Math.random() * Math.min(FIRST_GRAB_SPREAD_MS, this.config.intervalS * 1000));
    if (this.config.motion.enabled && this.config.onvif) {
      this.motion ??= new MotionWatcher(this.config, { record: (r) => this.ctx.record(r), snapshotNow: (reason) => this.snapshotNow(reason) }, this.log);
      this.motion.start();
    }
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.tick(), ms);
  }

  private async tick(): Promise<void> {
    await this.exclusive(() => this.snapshot('thumb'));
    const jitter = 0.9 + Math.random() * 0.2;
    this.schedule(this.config.intervalS * 1000 * this.budget.stretch() * jitter);
  }

  /** Per-camera concurrency of 1: a slow camera is never asked twice at once. */
  private exclusive<T>(job: () => Promise<T>): Promise<T> {
    const run = (this.busy ?? Promise.resolve()).then(job, job);
    this.busy = run.catch(() => undefined);
    return run;
  }

  /**
   * A thumbnail now, besides the interval's (e.g. on motion): it waits its turn in the
   * same one-at-a-time queue. Resolves with the bytes sent, or undefined when the camera
   * failed or the poller is stopped; the caller does its own rate limiting.
   */
  snapshotNow(reason: string): Promise<number | undefined> {
    if (this.stopped) return Promise.resolve(undefined);
    this.log.debug({ camera: this.id, reason }, 'thumbnail now');
    return this.exclusive(() => (this.stopped ? Promise.resolve(undefined) : this.snapshot('thumb'))).catch((err: unknown) => {
      this.log.warn({ camera: this.id, reason }, `thumbnail now failed: ${(err as Error).message}`);
      return undefined;
    });
  }

  /** For the "full frame now" command, and at a panic press. */
  grabFull(): Promise<string> {
    return this.exclusive(async () => {
      const bytes = await this.snapshot('full');
      if (bytes === undefined) throw new Error(`camera ${this.id} is ${this.state}`);
      return `${this.id}: full frame sent (${bytes} bytes)`;
    });
  }

  /** Grabs, publishes and returns the bytes sent, or undefined when the camera failed. */
  private async snapshot(kind: 'thumb' | 'full'): Promise<number | undefined> {
    const started = Date.now();
    let frame: GrabbedFrame;
    try {
      frame = await this.grab();
    } catch (err) {
      this.onvif = undefined; // ask the camera for its URIs again next time
      const reason = (err as Error).message.slice(0, 300);
      this.setState(err instanceof CameraAuthError ? 'auth-failed' : 'offline', reason);
      this.log.warn({ camera: this.id, state: this.state }, `snapshot failed: ${reason}`);
      return undefined;
    }
    const capturedAt = new Date().toISOString();
    const sha = sha256Hex(frame.jpeg);
    this.sameFrames = sha === this.lastSha ? this.sameFrames + 1 : 1;
    this.lastSha = sha;
    this.keepFullFrame(frame.jpeg);
    const thumb = this.config.thumbnail;
    const image =
      kind === 'full'
        ? await sharp(frame.jpeg).jpeg({ quality: 85 }).toBuffer({ resolveWithObject: true })
        : await sharp(frame.jpeg).resize(thumb.width, thumb.height, { fit: 'inside' }).jpeg({ quality: this.budget.quality(thumb.quality) }).toBuffer({ resolveWithObject: true });
    const message = encodeSnapshot({ camera: this.id, capturedAt, kind, width: image.info.width, height: image.info.height, source: frame.source }, image.data);
    this.ctx.publishSnapshot(this.id, message, kind);
    this.latencyMs = Date.now() - started;
    this.source = frame.source;
    if (kind === 'thumb') {
      this.thumbBytes = image.data.length;
      this.budget.report(this.id, message.length, this.config.intervalS);
    }
    if (this.sameFrames >= this.ctx.staleAfterSameFrames) this.setState('stale', `picture unchanged for ${this.sameFrames} grabs`);
    else this.setState('online');
    return message.length;
  }

  private async grab(): Promise<GrabbedFrame> {
    const c = this.config;
    if (c.onvif && !this.onvif) this.onvif = await resolveOnvif({ ...c.onvif, username: c.username, password: c.password, timeoutMs: c.timeoutMs });
    return grabFrame(c, this.onvif);
  }

  private keepFullFrame(jpeg: Buffer): void {
    const file = join(this.ctx.framesDir, `${this.id}.jpg`);
    writeFileSync(`${file}.tmp`, jpeg);
    renameSync(`${file}.tmp`, file);
  }

  private setState(state: CameraState, reason?: string): void {
    if (state === this.state) return;
    this.state = state;
    this.ctx.record({ kind: 'camera_status', camera: this.id, state, at: new Date().toISOString(), ...(reason !== undefined && state !== 'online' && { reason }) });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await Promise.all([this.motion?.stop(), this.busy]);
  }
}
