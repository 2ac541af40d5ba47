import { openDatabase } from '../sqlite.js';
import Database from 'better-sqlite3';
import type { Alert, AlertEvent, Finding, PanicDetails, ResponseTime } from './alert.js';
import { SEVERITY } from './alert.js';

/**
 * Alert history, the per-office daily punch counts and the webhook queue, in SQLite.
 * The file may be the registry's: every table and index name starts with "alert".
 * One connection of our own; better-sqlite3 is synchronous, so a write never
 * interleaves with the registry connection's writes in this process, and the busy
 * timeout covers other processes (the report CLI) reading the same file.
 */

interface AlertRow {
  id: number;
  kind: Alert['kind'];
  severity: Alert['severity'];
  opd: string;
  gateway: string | null;
  device: string | null;
  message_id: string;
  message_en: string;
  raised_at: number;
  acknowledged_at: number | null;
  acknowledged_by: string | null;
  cleared_at: number | null;
  /** From alert_panics (LEFT JOIN): null unless a panic alert. */
  panic_event_id: string | null;
  panic_gateway: string | null;
  panic_seq: number | null;
  panic_input: string | null;
  panic_via: PanicDetails['via'] | null;
  panic_pressed_at: number | null;
  panic_source: string | null;
  panic_note: string | null;
  panic_lat: number | null;
  panic_lon: number | null;
  panic_cameras: string | null;
}

/** The press behind a panic alert, as the engine stores it. */
export interface PanicPress {
  gateway: string;
  eventId: string;
  seq: number;
  input: string;
  via: PanicDetails['via'];
  pressedAtMs: number;
  source: string | undefined;
  note: string | undefined;
  lat: number | undefined;
  lon: number | undefined;
  cameras: readonly string[];
}

const SELECT_ALERTS = `SELECT a.*, p.event_id AS panic_event_id, p.gateway AS panic_gateway, p.seq AS panic_seq, p.input AS panic_input, p.via AS panic_via,
  p.pressed_at AS panic_pressed_at, p.source AS panic_source, p.note AS panic_note, p.lat AS panic_lat, p.lon AS panic_lon, p.cameras AS panic_cameras
  FROM alerts a LEFT JOIN alert_panics p ON p.alert_id = a.id`;

export interface QueuedNotification {
  seq: number;
  id: string;
  body: string;
  attempts: number;
  nextAt: number;
}

const iso = (ms: number): string => new Date(ms).toISOString();
const isoOrNull = (ms: number | null): string | null => (ms === null ? null : iso(ms));

function toAlert(r: AlertRow): Alert {
  const alert: Alert = {
    id: r.id,
    kind: r.kind,
    severity: r.severity,
    opd: r.opd,
    gateway: r.gateway,
    device: r.device,
    message: { id: r.message_id, en: r.message_en },
    raisedAt: iso(r.raised_at),
    acknowledgedAt: isoOrNull(r.acknowledged_at),
    acknowledgedBy: r.acknowledged_by,
    clearedAt: isoOrNull(r.cleared_at),
  };
  if (r.panic_event_id !== null) alert.panic = toPanicDetails(r);
  return alert;
}

function toPanicDetails(r: AlertRow): PanicDetails {
  const cameras = JSON.parse(r.panic_cameras ?? '[]') as string[];
  return {
    eventId: r.panic_event_id!,
    seq: r.panic_seq!,
    input: r.panic_input!,
    via: r.panic_via!,
    pressedAt: iso(r.panic_pressed_at!),
    source: r.panic_source,
    note: r.panic_note,
    location: r.panic_lat !== null && r.panic_lon !== null ? { lat: r.panic_lat, lon: r.panic_lon } : null,
    // The wall's image route (central/http.ts) serves the newest frame per camera.
    cameras: cameras.map((id) => ({ id, frameUrl: `/api/cameras/${encodeURIComponent(r.panic_gateway!)}/${encodeURIComponent(id)}/latest.jpg` })),
  };
}

export class AlertStore {
  private readonly db: Database.Database;
  private readonly stmts;

  constructor(file: string) {
    this.db = openDatabase(file);
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS alerts (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL, severity TEXT NOT NULL, opd TEXT NOT NULL, gateway TEXT, device TEXT,
        message_id TEXT NOT NULL, message_en TEXT NOT NULL,
        raised_at INTEGER NOT NULL, acknowledged_at INTEGER, acknowledged_by TEXT, cleared_at INTEGER
      );
      -- At most one open alert per condition, whatever the engine does. Panics are
      -- events, not conditions: two presses of one button are two open alerts.
      DROP INDEX IF EXISTS alerts_open_condition;
      CREATE UNIQUE INDEX IF NOT EXISTS alerts_open_condition_v2 ON alerts (kind, opd, ifnull(gateway, ''), ifnull(device, '')) WHERE cleared_at IS NULL AND kind <> 'panic';
      CREATE INDEX IF NOT EXISTS alerts_opd_raised ON alerts (opd, raised_at);
      CREATE TABLE IF NOT EXISTS alert_punch_days (opd TEXT NOT NULL, day TEXT NOT NULL, punches INTEGER NOT NULL, PRIMARY KEY (opd, day)) WITHOUT ROWID;
      -- The press behind each panic alert; (gateway, event_id) unique: a resent record raises nothing.
      CREATE TABLE IF NOT EXISTS alert_panics (
        alert_id INTEGER PRIMARY KEY REFERENCES alerts (id), gateway TEXT NOT NULL, event_id TEXT NOT NULL, seq INTEGER NOT NULL,
        input TEXT NOT NULL, via TEXT NOT NULL, pressed_at INTEGER NOT NULL, source TEXT, note TEXT, lat REAL, lon REAL, cameras TEXT NOT NULL,
        UNIQUE (gateway, event_id)
      );
      CREATE TABLE IF NOT EXISTS alert_notifications (
        seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, body TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0, next_at INTEGER NOT NULL, last_error TEXT
      );
    `);
    this.stmts = {
      insert: this.db.prepare<[string, string, string, string | null, string | null, string, string, number]>(
        'INSERT INTO alerts (kind, severity, opd, gateway, device, message_id, message_en, raised_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      byId: this.db.prepare<[number], AlertRow>(`${SELECT_ALERTS} WHERE a.id = ?`),
      // Panics first: the wall's top line is a person in danger before any device.
      open: this.db.prepare<[], AlertRow>(`${SELECT_ALERTS} WHERE a.cleared_at IS NULL ORDER BY a.kind = 'panic' DESC, a.id`),
      recent: this.db.prepare<[number], AlertRow>(`${SELECT_ALERTS} ORDER BY a.id DESC LIMIT ?`),
      panicByEvent: this.db.prepare<[string, string], { alert_id: number }>('SELECT alert_id FROM alert_panics WHERE gateway = ? AND event_id = ?'),
      insertPanic: this.db.prepare<[number, string, string, number, string, string, number, string | null, string | null, number | null, number | null, string]>(
        'INSERT INTO alert_panics (alert_id, gateway, event_id, seq, input, via, pressed_at, source, note, lat, lon, cameras) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      clear: this.db.prepare<[number, number]>('UPDATE alerts SET cleared_at = ? WHERE id = ? AND cleared_at IS NULL'),
      ack: this.db.prepare<[number, string, number]>('UPDATE alerts SET acknowledged_at = ?, acknowledged_by = ? WHERE id = ? AND acknowledged_at IS NULL'),
      raisedBetween: this.db.prepare<[string, number, number], AlertRow>('SELECT * FROM alerts WHERE opd = ? AND raised_at >= ? AND raised_at < ? ORDER BY raised_at, id'),
      punches: this.db.prepare<[string, string], { punches: number }>('SELECT punches FROM alert_punch_days WHERE opd = ? AND day = ?'),
      setPunches: this.db.prepare<[string, string, number]>(
        'INSERT INTO alert_punch_days (opd, day, punches) VALUES (?, ?, ?) ON CONFLICT(opd, day) DO UPDATE SET punches = MAX(punches, excluded.punches)',
      ),
      prunePunches: this.db.prepare<[string]>('DELETE FROM alert_punch_days WHERE day < ?'),
      enqueue: this.db.prepare<[string, string, number]>('INSERT INTO alert_notifications (id, body, next_at) VALUES (?, ?, ?)'),
      head: this.db.prepare<[], { seq: number; id: string; body: string; attempts: number; next_at: number }>(
        'SELECT seq, id, body, attempts, next_at FROM alert_notifications ORDER BY seq LIMIT 1',
      ),
      retryLater: this.db.prepare<[number, string, number]>('UPDATE alert_notifications SET attempts = attempts + 1, next_at = ?, last_error = ? WHERE seq = ?'),
      retryAllBy: this.db.prepare<[number]>('UPDATE alert_notifications SET next_at = MIN(next_at, ?)'),
      dequeue: this.db.prepare<[number]>('DELETE FROM alert_notifications WHERE seq = ?'),
      pending: this.db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM alert_notifications'),
    };
  }

  /**
   * Runs `fn` in one transaction: an alert change and its notification commit together
   * or not at all. Immediate, so another process on the same file cannot raise the
   * same alert between our read of the open alerts and our insert.
   */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  raise(f: Finding, atMs: number): Alert {
    const r = this.stmts.insert.run(f.kind, SEVERITY[f.kind], f.opd, f.gateway, f.device, f.message.id, f.message.en, atMs);
    return this.get(Number(r.lastInsertRowid))!;
  }

  /** The alert already raised for this press, if any (a resent panic record). */
  panicAlert(gateway: string, eventId: string): Alert | undefined {
    const r = this.stmts.panicByEvent.get(gateway, eventId);
    return r && this.get(r.alert_id);
  }

  /** Raises a panic alert with its press; the caller checked panicAlert() in the same transaction. */
  raisePanic(f: Finding, press: PanicPress, atMs: number): Alert {
    const r = this.stmts.insert.run(f.kind, SEVERITY[f.kind], f.opd, f.gateway, f.device, f.message.id, f.message.en, atMs);
    const id = Number(r.lastInsertRowid);
    const p = press;
    this.stmts.insertPanic.run(id, p.gateway, p.eventId, p.seq, p.input, p.via, p.pressedAtMs, p.source ?? null, p.note ?? null, p.lat ?? null, p.lon ?? null, JSON.stringify(p.cameras));
    return this.get(id)!;
  }

  /** Clears an open alert; undefined when it was not open. */
  clear(id: number, atMs: number): Alert | undefined {
    return this.stmts.clear.run(atMs, id).changes === 1 ? this.get(id) : undefined;
  }

  /** Records the first acknowledgement only; `changed` says whether this call made it. */
  acknowledge(id: number, user: string, atMs: number): { alert: Alert; changed: boolean } | undefined {
    const changed = this.stmts.ack.run(atMs, user, id).changes === 1;
    const alert = this.get(id);
    return alert && { alert, changed };
  }

  get(id: number): Alert | undefined {
    const r = this.stmts.byId.get(id);
    return r && toAlert(r);
  }

  open(): Alert[] {
    return this.stmts.open.all().map(toAlert);
  }

  recent(limit: number): Alert[] {
    return this.stmts.recent.all(limit).map(toAlert);
  }

  responseTimes(opd: string, fromMs: number, toMs: number): ResponseTime[] {
    return this.stmts.raisedBetween.all(opd, fromMs, toMs).map((r) => ({
      id: r.id,
      kind: r.kind,
      severity: r.severity,
      gateway: r.gateway,
      device: r.device,
      raisedAt: iso(r.raised_at),
      acknowledgedAt: isoOrNull(r.acknowledged_at),
      seconds: r.acknowledged_at === null ? null : Math.max(0, (r.acknowledged_at - r.raised_at) / 1000),
    }));
  }

  punchesOn(opd: string, day: string): number {
    return this.stmts.punches.get(opd, day)?.punches ?? 0;
  }

  /** Keeps the highest count seen for the day: the live count restarts at zero with the central. */
  recordPunches(opd: string, day: string, punches: number): void {
    this.stmts.setPunches.run(opd, day, punches);
  }

  prunePunchDays(beforeDay: string): void {
    this.stmts.prunePunches.run(beforeDay);
  }

  enqueue(id: string, event: AlertEvent, alert: Alert, atMs: number): void {
    this.stmts.enqueue.run(id, JSON.stringify({ id, event, at: iso(atMs), alert }), atMs);
  }

  /** The oldest undelivered notification: delivery is in order, so a "cleared" never overtakes its "raised". */
  nextNotification(): QueuedNotification | undefined {
    const r = this.stmts.head.get();
    return r && { seq: r.seq, id: r.id, body: r.body, attempts: r.attempts, nextAt: r.next_at };
  }

  retryLater(seq: number, nextAtMs: number, error: string): void {
    this.stmts.retryLater.run(nextAtMs, error.slice(0, 500), seq);
  }

  /** Makes every queued notification due by `atMs`. */
  retryAllBy(atMs: number): void {
    this.stmts.retryAllBy.run(atMs);
  }

  dequeue(seq: number): void {
    this.stmts.dequeue.run(seq);
  }

  pendingNotifications(): number {
    return this.stmts.pending.get()?.n ?? 0;
  }

  close(): void {
    this.db.close();
  }
}
