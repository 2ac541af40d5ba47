import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import { DateTime } from 'luxon';
import type { Logger } from 'pino';
import type { LiveState, PanicEvent } from '../live-state.js';
import type { Registry } from '../registry.js';
import { AckRequest, alertKey, EVENT_KINDS, type Alert, type AlertEvent, type ResponseTime } from './alert.js';
import type { AlertsConfig } from './config.js';
import * as msg from './messages.js';
import { evaluateRules, type Heard, type OpdInfo } from './rules.js';
import { AlertStore } from './store.js';
import { WebhookSender } from './webhook.js';

export interface AlertSources {
  live: LiveState;
  registry: Pick<Registry, 'opds'>;
  /** Days off (libur nasional, cuti bersama) on which an office is not expected to have punches. */
  isHoliday?: (opd: string, date: string) => boolean;
}

export interface AlertEngineOptions {
  /** The engine's clock: start-up grace, timers and acknowledgements. Tests fix it. */
  clock?: () => number;
  /** A burst of live changes is evaluated once, this long after its first change. */
  changeDelayMs?: number;
}

export interface AlertEvents {
  raised: [Alert];
  cleared: [Alert];
  acknowledged: [Alert];
}

/** A request the engine refuses, in words for the operator. */
export class AlertError extends Error {
  override readonly name = 'AlertError';
}

/** Counts are kept this long; the rule looks back a couple of weeks at most. */
const PUNCH_DAYS_KEPT = 60;

/**
 * The command room's alert engine: checks the rules (rules.ts) against the live state
 * and the registry, keeps one open alert per condition in SQLite (so open alerts stay
 * open across restarts), and emits 'raised', 'cleared' and 'acknowledged' for the wall.
 * With a webhook configured, each of those is queued in the same transaction and
 * delivered by WebhookSender.
 */
export class AlertEngine extends EventEmitter<AlertEvents> {
  private readonly store: AlertStore;
  private readonly sender: WebhookSender | undefined;
  private readonly clock: () => number;
  private readonly startedAtMs: number;
  private interval: NodeJS.Timeout | undefined;
  private changeTimer: NodeJS.Timeout | undefined;
  /** Today's punch counts already written, so a quiet evaluation writes nothing. */
  private readonly recorded = new Map<string, number>();
  private prunedOn = '';
  private closed = false;
  private readonly heard = new Map<string, Heard>();
  private readonly onHeard = (change: { type: string; gateway: string }): void => {
    // A status may be the Last Will (not a sign of life); the birth's time is in the live state anyway.
    if (change.type === 'status') return;
    const at = this.clock();
    const h = this.heard.get(change.gateway) ?? { anyMs: at };
    h.anyMs = at;
    if (change.type === 'health') h.healthMs = at;
    this.heard.set(change.gateway, h);
  };
  /** Synchronous on purpose: ingest acks the batch only after this returned (see LiveState.onPanic). */
  private readonly onPanic = (event: PanicEvent): void => {
    this.raisePanic(event);
  };
  private readonly onChange = (): void => {
    this.changeTimer ??= setTimeout(() => {
      this.changeTimer = undefined;
      this.evaluateSafely();
    }, this.options.changeDelayMs ?? 500);
  };

  constructor(
    dbFile: string,
    private readonly config: AlertsConfig,
    private readonly sources: AlertSources,
    private readonly log: Logger,
    private readonly options: AlertEngineOptions = {},
  ) {
    super();
    this.clock = options.clock ?? (() => Date.now());
    this.startedAtMs = this.clock();
    this.store = new AlertStore(dbFile);
    // Listening from construction on: receipt times must not depend on start() having run.
    sources.live.on('change', this.onHeard);
    sources.live.on('panic', this.onPanic);
    this.sender = config.webhook && new WebhookSender(this.store, config.webhook, log.child({ part: 'webhook' }));
  }

  /** Checks every rule now: raises what is newly wrong, clears what is right again. */
  evaluate(nowMs = this.clock()): { raised: Alert[]; cleared: Alert[] } {
    const opds: OpdInfo[] = this.sources.registry.opds();
    const gateways = new Map(this.sources.live.snapshot().gateways.map((g) => [g.gateway, g]));
    const raised: Alert[] = [];
    const cleared: Alert[] = [];
    this.store.transaction(() => {
      this.recordPunches(opds, nowMs);
      const open = this.store.open();
      const { findings, held } = evaluateRules({
        nowMs,
        startedAtMs: this.startedAtMs,
        config: this.config,
        opds,
        gateways,
        heard: this.heard,
        open,
        punchesOn: (opd, zone, day) => this.punchesOn(opd, zone, day),
        isHoliday: this.sources.isHoliday ?? (() => false),
      });
      const openKeys = new Set(open.map(alertKey));
      const found = new Set<string>();
      for (const f of findings) {
        const key = alertKey(f);
        if (found.has(key)) continue;
        found.add(key);
        if (openKeys.has(key)) continue;
        const alert = this.store.raise(f, nowMs);
        this.enqueue('raised', alert, nowMs);
        raised.push(alert);
      }
      for (const a of open) {
        const key = alertKey(a);
        if (found.has(key) || held.has(key)) continue;
        const alert = this.store.clear(a.id, nowMs);
        if (!alert) continue;
        this.enqueue('cleared', alert, nowMs);
        cleared.push(alert);
      }
    });
    for (const a of raised) {
      this.log.warn({ alert: a.id, kind: a.kind, opd: a.opd, gateway: a.gateway, device: a.device }, a.message.en);
      this.emit('raised', a);
    }
    for (const a of cleared) {
      this.log.info({ alert: a.id, kind: a.kind, opd: a.opd, gateway: a.gateway, device: a.device }, `cleared: ${a.message.en}`);
      this.emit('cleared', a);
    }
    if (raised.length + cleared.length > 0) this.sender?.kick();
    return { raised, cleared };
  }

  /**
   * Raises the alert for a panic press, once per (gateway, eventId): a record resent
   * after a lost ack finds its alert and raises nothing. Returns the new alert, or
   * undefined for a resend. Throws when the engine is stopped, so ingest does not ack
   * a panic nobody raised.
   */
  raisePanic({ gateway, opd, record }: PanicEvent, nowMs = this.clock()): Alert | undefined {
    if (this.closed) throw new AlertError('the alert engine is stopped');
    const office = this.sources.registry.opds().find((o) => o.code === opd);
    const pressedAtMs = Date.parse(record.at);
    const zone = office?.zone ?? 'Asia/Jakarta';
    const message = msg.panic({ ...record, gateway, office: office?.name ?? opd, zone, pressedAtMs });
    const press = { gateway, eventId: record.eventId, seq: record.seq, input: record.input, via: record.via, pressedAtMs, source: record.source, note: record.note, lat: record.lat, lon: record.lon, cameras: record.cameras };
    const alert = this.store.transaction(() => {
      if (this.store.panicAlert(gateway, record.eventId)) return undefined;
      const a = this.store.raisePanic({ kind: 'panic', opd, gateway, device: record.input, message }, press, nowMs);
      this.enqueue('raised', a, nowMs);
      return a;
    });
    const fields = { kind: 'panic', opd, gateway, device: record.input, eventId: record.eventId, seq: record.seq };
    if (!alert) {
      this.log.info(fields, 'panic resent by the gateway: its alert was raised already');
      return undefined;
    }
    this.log.error({ ...fields, alert: alert.id, delayMs: nowMs - pressedAtMs }, alert.message.en);
    this.emit('raised', alert);
    this.sender?.kick();
    return alert;
  }

  /**
   * Records who acknowledged an alert, once: a second acknowledgement returns the
   * first one unchanged. Undefined for an unknown id; cleared alerts can be
   * acknowledged too (the response time still counts). A panic is cleared by its
   * acknowledgement, in the same transaction: no rule can tell that it is over.
   */
  acknowledge(id: number, user: string, nowMs = this.clock()): Alert | undefined {
    const parsed = AckRequest.shape.user.safeParse(user);
    if (!parsed.success) throw new AlertError('acknowledging needs the operator\'s name (1 to 100 characters)');
    const result = this.store.transaction(() => {
      const r = this.store.acknowledge(id, parsed.data, nowMs);
      if (!r?.changed) return r && { ...r, cleared: undefined };
      this.enqueue('acknowledged', r.alert, nowMs);
      const cleared = EVENT_KINDS.has(r.alert.kind) ? this.store.clear(id, nowMs) : undefined;
      if (cleared) this.enqueue('cleared', cleared, nowMs);
      return { ...r, cleared };
    });
    if (!result) return undefined;
    if (result.changed) {
      const a = result.alert;
      this.log.info({ alert: a.id, kind: a.kind, opd: a.opd, gateway: a.gateway, device: a.device, user: a.acknowledgedBy }, 'alert acknowledged');
      this.emit('acknowledged', a);
      if (result.cleared) this.emit('cleared', result.cleared);
      this.sender?.kick();
    }
    return result.cleared ?? result.alert;
  }

  open(): Alert[] {
    return this.store.open();
  }

  /** The newest alerts first, open or cleared. */
  recent(limit = 100): Alert[] {
    return this.store.recent(Math.max(1, Math.min(10_000, Math.floor(limit))));
  }

  get(id: number): Alert | undefined {
    return this.store.get(id);
  }

  /** Alerts of an OPD raised in [fromMs, toMs) with their raised -> acknowledged seconds (null: never acknowledged). */
  responseTimes(opd: string, fromMs: number, toMs: number): ResponseTime[] {
    return this.store.responseTimes(opd, fromMs, toMs);
  }

  /** Webhook notifications not delivered yet. */
  pendingNotifications(): number {
    return this.store.pendingNotifications();
  }

  /** Evaluates every evaluateEveryS and soon after live changes; resumes webhook delivery. */
  start(): void {
    if (this.interval || this.closed) return;
    this.interval = setInterval(() => this.evaluateSafely(), this.config.evaluateEveryS * 1000);
    this.sources.live.on('change', this.onChange);
    this.evaluateSafely();
    const pending = this.store.pendingNotifications();
    if (pending > 0 && !this.sender) this.log.warn({ pending }, 'alert notifications are queued but no webhook is configured; they stay queued');
    this.sender?.start();
  }

  /** Stops the timers and the webhook (what is undelivered stays queued) and closes the database. */
  async stop(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.interval);
    clearTimeout(this.changeTimer);
    this.sources.live.off('change', this.onChange);
    this.sources.live.off('change', this.onHeard);
    this.sources.live.off('panic', this.onPanic);
    await this.sender?.stop();
    this.store.close();
  }

  private evaluateSafely(): void {
    if (this.closed) return;
    try {
      this.evaluate();
    } catch (err) {
      this.log.error({ err: (err as Error).message }, 'alert evaluation failed; next try at the next interval');
    }
  }

  private enqueue(event: AlertEvent, alert: Alert, nowMs: number): void {
    const hook = this.config.webhook;
    if (hook && (hook.kinds === undefined || hook.kinds.includes(alert.kind))) this.store.enqueue(randomUUID(), event, alert, nowMs);
  }

  /** Keeps today's count per office in SQLite, so "usually has punches" survives restarts. */
  private recordPunches(opds: readonly OpdInfo[], nowMs: number): void {
    const utcDay = DateTime.fromMillis(nowMs, { zone: 'utc' }).toISODate() ?? '';
    if (utcDay !== this.prunedOn) {
      this.prunedOn = utcDay;
      this.recorded.clear();
      this.store.prunePunchDays(DateTime.fromMillis(nowMs, { zone: 'utc' }).minus({ days: PUNCH_DAYS_KEPT }).toISODate() ?? '');
    }
    for (const o of opds) {
      const day = DateTime.fromMillis(nowMs, { zone: o.zone }).toISODate();
      if (day === null) continue;
      const n = this.sources.live.punchesToday(o.code, o.zone, nowMs);
      const key = `${o.code} ${day}`;
      if (n > (this.recorded.get(key) ?? 0)) {
        this.store.recordPunches(o.code, day, n);
        this.recorded.set(key, n);
      }
    }
  }

  /** Punches on an earlier day too: a backlog replayed after an outage counts for its own day. */
  private punchesOn(opd: string, zone: string, day: string): number {
    const stored = this.store.punchesOn(opd, day);
    const noon = DateTime.fromISO(day, { zone }).plus({ hours: 12 });
    const live = noon.isValid ? this.sources.live.punchesToday(opd, zone, noon.toMillis()) : 0;
    if (live > stored) this.store.recordPunches(opd, day, live);
    return Math.max(stored, live);
  }
}
