import { Cam } from 'onvif';
import type { Logger } from 'pino';
import type { NewRecord } from '../outbox.js';
import type { CameraConfig } from './config.js';

/** What a motion watcher needs from its camera's poller. */
export interface MotionContext {
  record(record: NewRecord): void;
  /** An extra thumbnail now; the watcher rate-limits its own calls. */
  snapshotNow(reason: string): Promise<unknown>;
}

export interface MotionEvent {
  /** The topic as the camera wrote it, e.g. tns1:RuleEngine/CellMotionDetector/Motion. */
  topic: string;
  /** Motion on (true) or over (false). */
  state: boolean;
  /** PropertyOperation "Initialized": the state when the subscription began, not a change. */
  initialized: boolean;
}

/** Topics (without their namespace prefix) whose boolean data item is motion. */
const MOTION_TOPICS = new Map<string, readonly string[]>([
  ['RuleEngine/CellMotionDetector/Motion', ['IsMotion']],
  ['VideoSource/MotionAlarm', ['State']],
]);

const asArray = (v: unknown): unknown[] => (v === undefined || v === null ? [] : Array.isArray(v) ? v : [v]);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !(v instanceof Date);

function asBoolean(v: unknown): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (v === 1 || v === 0) return v === 1;
  if (typeof v === 'string' && /^(true|false|1|0)$/i.test(v.trim())) return /^(true|1)$/i.test(v.trim());
  return undefined;
}

/**
 * The motion events in a PullMessages response as the onvif library hands it over
 * (xml2js, prefixes stripped, first letters lower-cased, "true" already a boolean):
 * notificationMessage[].topic (text, or {_: text, $: {Dialect}}) and
 * .message.message.{$: {UtcTime, PropertyOperation}, data: {simpleItem: {$: {Name, Value}}}}.
 * `messages` counts every notification, motion or not.
 */
export function motionEvents(response: unknown): { messages: number; events: MotionEvent[] } {
  const notifications = isObject(response) ? asArray(response.notificationMessage) : [];
  const events: MotionEvent[] = [];
  for (const n of notifications) {
    if (!isObject(n)) continue;
    const topicNode = n.topic;
    const topic = typeof topicNode === 'string' ? topicNode : isObject(topicNode) && typeof topicNode._ === 'string' ? topicNode._ : '';
    const items = MOTION_TOPICS.get(topic.trim().replace(/^[^:/]*:/, ''));
    if (!items) continue;
    const outer = isObject(n.message) ? n.message : undefined;
    const message = outer && isObject(outer.message) ? outer.message : outer;
    if (!message) continue;
    const attrs = isObject(message.$) ? message.$ : {};
    const data = isObject(message.data) ? message.data : {};
    for (const item of asArray(data.simpleItem)) {
      const a = isObject(item) && isObject(item.$) ? item.$ : undefined;
      if (!a || typeof a.Name !== 'string' || !items.includes(a.Name)) continue;
      const state = asBoolean(a.Value);
      if (state === undefined) continue;
      events.push({ topic: topic.trim(), state, initialized: attrs.PropertyOperation === 'Initialized' });
    }
  }
  return { messages: notifications.length, events };
}

/** Termination time minus current time of a Create/Renew/PullMessages response, ms; undefined when not given. */
function remainingMs(response: unknown): number | undefined {
  if (!isObject(response)) return undefined;
  const termination = response.terminationTime;
  if (!(termination instanceof Date)) return undefined;
  // Both times are the camera's clock, so their difference holds whatever its offset.
  const current = response.currentTime instanceof Date ? response.currentTime.getTime() : Date.now();
  return termination.getTime() - current;
}

function call<T>(fn: (cb: (err: Error | null, value?: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => fn((err, value) => (err ? reject(err) : resolve(value as T))));
}

export interface MotionTiming {
  /** First retry delay after an error; doubles up to maxBackoffMs. */
  minBackoffMs: number;
  maxBackoffMs: number;
  /** A pull that came back empty sooner than this waits out the rest before the next. */
  minPullMs: number;
}

const DEFAULT_TIMING: MotionTiming = { minBackoffMs: 1000, maxBackoffMs: 60_000, minPullMs: 1000 };

/**
 * Keeps one ONVIF PullPoint subscription on a camera (ONVIF Core "Real-time Pull-Point
 * Notification Interface", through the `onvif` client): create it, pull in a loop
 * (the library long-polls up to a minute), renew it on its own timer halfway to the
 * termination time the camera granted (renewals run beside a waiting pull, so a short
 * lifetime never lapses under a long poll), and on any error drop it, connect afresh
 * (which measures the camera clock again for WS-Security) and subscribe again after a
 * backoff of 1 s doubling to 60 s. A motion start or end becomes a durable
 * camera_motion record; a start also asks for a thumbnail now, at most one per
 * minIntervalS. "Initialized" messages (the state when a subscription begins) are
 * news only when they differ from the state last known for that topic.
 */
export class MotionWatcher {
  /** Whether a subscription is up now. */
  subscribed = false;
  /** Subscriptions created, renewals done, thumbnails asked for and suppressed by the rate limit. */
  readonly counts = { subscriptions: 0, renewals: 0, thumbnails: 0, rateLimited: 0, errors: 0 };
  private stopped = true;
  /** Bumped whenever a subscription is dropped: callbacks of an older one are ignored. */
  private generation = 0;
  private cam: Cam | undefined;
  private renewTimer: NodeJS.Timeout | undefined;
  private pullTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private backoffMs: number;
  private lastThumbnailMs = Number.NEGATIVE_INFINITY;
  private readonly known = new Map<string, boolean>();
  private readonly timing: MotionTiming;

  constructor(
    private readonly config: CameraConfig,
    private readonly ctx: MotionContext,
    private readonly log: Logger,
    timing: Partial<MotionTiming> = {},
  ) {
    this.timing = { ...DEFAULT_TIMING, ...timing };
    this.backoffMs = this.timing.minBackoffMs;
  }

  get id(): string {
    return this.config.id;
  }

  start(): void {
    if (!this.stopped) return;
    if (!this.config.onvif) throw new Error(`camera ${this.id}: motion events need onvif`);
    this.stopped = false;
    this.begin();
  }

  /** Stops pulling and renewing, and unsubscribes (waiting a few seconds at most). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.generation++;
    this.clearTimers();
    const cam = this.cam;
    const wasSubscribed = this.subscribed;
    this.cam = undefined;
    this.subscribed = false;
    if (cam && wasSubscribed) await this.unsubscribe(cam, Math.min(this.config.timeoutMs, 3000));
  }

  private clearTimers(): void {
    clearTimeout(this.renewTimer);
    clearTimeout(this.pullTimer);
    clearTimeout(this.retryTimer);
  }

  private begin(): void {
    if (this.stopped) return;
    const gen = ++this.generation;
    this.open(gen).catch((err: unknown) => this.fail(gen, err, 'subscribing'));
  }

  private async open(gen: number): Promise<void> {
    const o = this.config.onvif!;
    const cam = await new Promise<Cam>((resolve, reject) => {
      const c: Cam = new Cam(
        {
          hostname: o.host,
          port: o.port,
          path: o.path,
          timeout: this.config.timeoutMs,
          ...(this.config.username !== undefined && { username: this.config.username, password: this.config.password ?? '' }),
        },
        (err) => (err ? reject(err) : resolve(c)),
      );
    });
    if (gen !== this.generation) return;
    if (!cam.uri?.events) throw new Error('the camera advertises no ONVIF event service');
    const created = await call<unknown>((cb) => cam.createPullPointSubscription(cb));
    if (gen !== this.generation) {
      // Stopped (or failed) while subscribing: do not leave the subscription behind.
      void this.unsubscribe(cam, 3000);
      return;
    }
    this.cam = cam;
    this.subscribed = true;
    this.counts.subscriptions++;
    const lifetime = remainingMs(created);
    this.log.info({ camera: this.id, terminationS: lifetime === undefined ? null : Math.round(lifetime / 1000) }, 'motion events: subscribed (ONVIF pull point)');
    this.scheduleRenew(gen, lifetime);
    this.pull(gen);
  }

  /** Renews halfway to the granted termination time (at least 2 s before it, at most every 250 ms). */
  private scheduleRenew(gen: number, lifetimeMs: number | undefined): void {
    const life = lifetimeMs ?? 10_000;
    const delay = Math.max(250, Math.min(life / 2, life - 2000));
    clearTimeout(this.renewTimer);
    this.renewTimer = setTimeout(() => {
      const cam = this.cam;
      if (!cam || gen !== this.generation) return;
      cam.renew({}, (err, data: unknown) => {
        if (gen !== this.generation) return;
        if (err) return this.fail(gen, err, 'renewing');
        this.counts.renewals++;
        const next = remainingMs(data);
        this.log.debug({ camera: this.id, terminationS: next === undefined ? null : Math.round(next / 1000) }, 'motion events: subscription renewed');
        this.scheduleRenew(gen, next);
      });
    }, delay);
  }

  private pull(gen: number): void {
    const cam = this.cam;
    if (!cam || gen !== this.generation) return;
    const started = Date.now();
    cam.pullMessages({ messageLimit: 10 }, (err, data: unknown) => {
      if (gen !== this.generation) return;
      if (err) return this.fail(gen, err, 'pulling messages');
      this.backoffMs = this.timing.minBackoffMs; // a working subscription
      const { messages, events } = motionEvents(data);
      for (const e of events) this.onEvent(e);
      // A camera that answers an empty pull at once (ignoring Timeout) is not polled in a tight loop.
      const wait = messages === 0 ? Math.max(0, this.timing.minPullMs - (Date.now() - started)) : 0;
      this.pullTimer = setTimeout(() => this.pull(gen), wait);
    });
  }

  private onEvent(e: MotionEvent): void {
    const before = this.known.get(e.topic);
    this.known.set(e.topic, e.state);
    if (e.initialized && (before === e.state || (before === undefined && !e.state))) return;
    const state = e.state ? 'start' : 'end';
    this.log.info({ camera: this.id, topic: e.topic, state }, `motion ${state}`);
    this.ctx.record({ kind: 'camera_motion', camera: this.id, state, at: new Date().toISOString(), topic: e.topic.slice(0, 200) });
    if (e.state) this.thumbnail();
  }

  private thumbnail(): void {
    const now = performance.now();
    if (now - this.lastThumbnailMs < this.config.motion.minIntervalS * 1000) {
      this.counts.rateLimited++;
      this.log.debug({ camera: this.id }, 'motion thumbnail skipped: one was taken less than minIntervalS ago');
      return;
    }
    this.lastThumbnailMs = now;
    this.counts.thumbnails++;
    this.ctx.snapshotNow('motion').catch((err: unknown) => this.log.warn({ camera: this.id, err: (err as Error).message }, 'motion thumbnail failed'));
  }

  private fail(gen: number, err: unknown, during: string): void {
    if (gen !== this.generation || this.stopped) return;
    this.generation++;
    this.clearTimers();
    const cam = this.cam;
    if (cam && this.subscribed) void this.unsubscribe(cam, 3000);
    this.cam = undefined;
    this.subscribed = false;
    this.counts.errors++;
    const delay = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, this.timing.maxBackoffMs);
    const reason = (err instanceof Error ? err.message : String(err)).split('\n')[0]?.slice(0, 300) ?? '';
    this.log.warn({ camera: this.id, retryInMs: delay }, `motion events: ${during} failed: ${reason}; subscribing again`);
    this.retryTimer = setTimeout(() => this.begin(), delay);
  }

  /** Best effort: a camera that is gone or has already dropped the subscription is not waited for. */
  private async unsubscribe(cam: Cam, capMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      new Promise<void>((resolve) => cam.unsubscribe(() => resolve(), true)),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, capMs);
      }),
    ]);
    clearTimeout(timer);
  }
}
