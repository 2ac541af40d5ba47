import Database from 'better-sqlite3';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ComplaintTimes } from './complaint-stats.js';
import { advance, RECEIVED, routeFor, ruleActor, type ComplaintState, type HistoryAction, type HistoryEntry, type NewComplaint, type Progress, type RoutingRule, type Step } from './complaint.js';
import { PHOTO_EXTENSION, type PhotoType } from './photo.js';

/**
 * Complaints, their history and the routing rules, in SQLite; photos as files in a
 * folder of their own. The file may be the registry's: every table and index name
 * starts with "complaint". Like the alert store, one synchronous connection, WAL and a
 * busy timeout for other processes reading the same file.
 */

export interface StepRecord {
  at: string;
  by: string;
}

export interface Complaint {
  id: number;
  category: string;
  text: string;
  address: string | null;
  location: { lat: number; lon: number } | null;
  externalId: string | null;
  state: ComplaintState;
  opd: string | null;
  /** Where to fetch the photo, null when none came with the complaint. */
  photo: string | null;
  received: StepRecord;
  routed: StepRecord | null;
  acknowledged: (StepRecord & { note: string | null }) | null;
  closed: (StepRecord & { note: string }) | null;
}

export interface ComplaintHistoryEntry {
  action: HistoryAction;
  at: string;
  by: string;
  opd: string | null;
  note: string | null;
}

export type StateFilter = 'open' | 'all' | ComplaintState;

export interface ComplaintQuery {
  state: StateFilter;
  opd?: string | undefined;
  category?: string | undefined;
  /** Only complaints with a smaller id (the next page of a newest-first list). */
  before?: number | undefined;
  limit: number;
}

interface Row {
  id: number;
  category: string;
  text: string;
  address: string | null;
  lat: number | null;
  lon: number | null;
  external_id: string | null;
  photo_type: PhotoType | null;
  state: ComplaintState;
  opd: string | null;
  received_at: number;
  received_by: string;
  routed_at: number | null;
  routed_by: string | null;
  acknowledged_at: number | null;
  acknowledged_by: string | null;
  ack_note: string | null;
  closed_at: number | null;
  closed_by: string | null;
  close_note: string | null;
}

const iso = (ms: number): string => new Date(ms).toISOString();

function toComplaint(r: Row): Complaint {
  return {
    id: r.id,
    category: r.category,
    text: r.text,
    address: r.address,
    location: r.lat !== null && r.lon !== null ? { lat: r.lat, lon: r.lon } : null,
    externalId: r.external_id,
    state: r.state,
    opd: r.opd,
    photo: r.photo_type ? `/api/complaints/${r.id}/photo` : null,
    received: { at: iso(r.received_at), by: r.received_by },
    routed: r.routed_at !== null ? { at: iso(r.routed_at), by: r.routed_by ?? '?' } : null,
    acknowledged: r.acknowledged_at !== null ? { at: iso(r.acknowledged_at), by: r.acknowledged_by ?? '?', note: r.ack_note } : null,
    closed: r.closed_at !== null ? { at: iso(r.closed_at), by: r.closed_by ?? '?', note: r.close_note ?? '' } : null,
  };
}

function progressOf(r: Row): Progress {
  return {
    state: r.state,
    opd: r.opd,
    routedAt: r.routed_at,
    routedBy: r.routed_by,
    acknowledgedAt: r.acknowledged_at,
    acknowledgedBy: r.acknowledged_by,
    ackNote: r.ack_note,
    closedAt: r.closed_at,
    closedBy: r.closed_by,
    closeNote: r.close_note,
  };
}

export class ComplaintStore {
  private readonly db: Database.Database;
  private readonly stmts;

  constructor(
    file: string,
    private readonly photoDir: string,
  ) {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    mkdirSync(photoDir, { recursive: true });
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS complaints (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        category TEXT NOT NULL, text TEXT NOT NULL, address TEXT, lat REAL, lon REAL, external_id TEXT, photo_type TEXT,
        state TEXT NOT NULL, opd TEXT,
        received_at INTEGER NOT NULL, received_by TEXT NOT NULL, routed_at INTEGER, routed_by TEXT,
        acknowledged_at INTEGER, acknowledged_by TEXT, ack_note TEXT, closed_at INTEGER, closed_by TEXT, close_note TEXT
      );
      -- A complaint app retrying a post after a timeout must not file the complaint twice.
      CREATE UNIQUE INDEX IF NOT EXISTS complaints_external ON complaints (received_by, external_id) WHERE external_id IS NOT NULL;
      CREATE INDEX IF NOT EXISTS complaints_received ON complaints (received_at);
      CREATE INDEX IF NOT EXISTS complaints_opd_state ON complaints (opd, state);
      CREATE TABLE IF NOT EXISTS complaint_history (
        seq INTEGER PRIMARY KEY AUTOINCREMENT, complaint INTEGER NOT NULL REFERENCES complaints(id),
        action TEXT NOT NULL, at INTEGER NOT NULL, by TEXT NOT NULL, opd TEXT, note TEXT
      );
      CREATE INDEX IF NOT EXISTS complaint_history_complaint ON complaint_history (complaint, seq);
      CREATE TABLE IF NOT EXISTS complaint_routes (category TEXT PRIMARY KEY, opd TEXT NOT NULL, set_at INTEGER NOT NULL, set_by TEXT NOT NULL) WITHOUT ROWID;
    `);
    this.stmts = {
      insert: this.db.prepare<[string, string, string | null, number | null, number | null, string | null, string | null, number, string]>(
        `INSERT INTO complaints (category, text, address, lat, lon, external_id, photo_type, state, received_at, received_by)
         VALUES (?, ?, ?, ?, ?, ?, ?, 'received', ?, ?)`,
      ),
      byId: this.db.prepare<[number], Row>('SELECT * FROM complaints WHERE id = ?'),
      byExternal: this.db.prepare<[string, string], Row>('SELECT * FROM complaints WHERE received_by = ? AND external_id = ?'),
      update: this.db.prepare<[string, string | null, number | null, string | null, number | null, string | null, string | null, number | null, string | null, string | null, number]>(
        `UPDATE complaints SET state = ?, opd = ?, routed_at = ?, routed_by = ?, acknowledged_at = ?, acknowledged_by = ?, ack_note = ?,
         closed_at = ?, closed_by = ?, close_note = ? WHERE id = ?`,
      ),
      addHistory: this.db.prepare<[number, string, number, string, string | null, string | null]>('INSERT INTO complaint_history (complaint, action, at, by, opd, note) VALUES (?, ?, ?, ?, ?, ?)'),
      history: this.db.prepare<[number], { action: HistoryAction; at: number; by: string; opd: string | null; note: string | null }>(
        'SELECT action, at, by, opd, note FROM complaint_history WHERE complaint = ? ORDER BY seq',
      ),
      rules: this.db.prepare<[], RoutingRule>('SELECT category, opd FROM complaint_routes ORDER BY category'),
      clearRules: this.db.prepare('DELETE FROM complaint_routes'),
      addRule: this.db.prepare<[string, string, number, string]>('INSERT INTO complaint_routes (category, opd, set_at, set_by) VALUES (?, ?, ?, ?)'),
      times: this.db.prepare<[number, number], { opd: string | null; received_at: number; acknowledged_at: number | null; closed_at: number | null }>(
        'SELECT opd, received_at, acknowledged_at, closed_at FROM complaints WHERE received_at >= ? AND received_at < ?',
      ),
    };
  }

  get(id: number): Complaint | undefined {
    const r = this.stmts.byId.get(id);
    return r && toComplaint(r);
  }

  history(id: number): ComplaintHistoryEntry[] {
    return this.stmts.history.all(id).map((h) => ({ ...h, at: iso(h.at) }));
  }

  /**
   * Files a complaint and routes it by the rules, with its photo, all or nothing.
   * `created` is false when the sender had already filed one with this externalId.
   */
  receive(input: Omit<NewComplaint, 'photo'>, photo: { bytes: Buffer; type: PhotoType } | undefined, by: string, atMs: number): { complaint: Complaint; created: boolean } {
    return this.db
      .transaction(() => {
        if (input.externalId !== undefined) {
          const earlier = this.stmts.byExternal.get(by, input.externalId);
          if (earlier) return { complaint: toComplaint(earlier), created: false };
        }
        const { lastInsertRowid } = this.stmts.insert.run(
          input.category,
          input.text,
          input.address ?? null,
          input.location?.lat ?? null,
          input.location?.lon ?? null,
          input.externalId ?? null,
          photo?.type ?? null,
          atMs,
          by,
        );
        const id = Number(lastInsertRowid);
        this.record(id, [{ action: 'received', at: atMs, by, opd: null, note: null }]);
        const rule = routeFor(this.rules(), input.category);
        if (rule) {
          const { next, history } = advance({ ...RECEIVED, state: 'received' }, { action: 'assign', opd: rule.opd }, atMs, ruleActor(rule));
          this.save(id, next, history);
        }
        // Inside the transaction: a photo that cannot be written rolls the complaint back,
        // so the app gets an error and retries instead of a complaint without its picture.
        if (photo) this.writePhoto(id, photo);
        return { complaint: this.get(id)!, created: true };
      })
      .immediate();
  }

  /** Applies a step; undefined when there is no such complaint. Throws ComplaintStateError. */
  apply(id: number, step: Step, by: string, atMs: number): Complaint | undefined {
    return this.db
      .transaction(() => {
        const r = this.stmts.byId.get(id);
        if (!r) return undefined;
        const { next, history } = advance(progressOf(r), step, atMs, by);
        if (history.length > 0) this.save(id, next, history);
        return this.get(id);
      })
      .immediate();
  }

  list(q: ComplaintQuery): Complaint[] {
    const where: string[] = [];
    const params: (string | number)[] = [];
    if (q.state === 'open') where.push("state != 'closed'");
    else if (q.state !== 'all') {
      where.push('state = ?');
      params.push(q.state);
    }
    if (q.opd !== undefined) {
      where.push('opd = ?');
      params.push(q.opd);
    }
    if (q.category !== undefined) {
      where.push('category = ?');
      params.push(q.category);
    }
    if (q.before !== undefined) {
      where.push('id < ?');
      params.push(q.before);
    }
    const sql = `SELECT * FROM complaints ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`;
    return this.db
      .prepare<(string | number)[], Row>(sql)
      .all(...params, q.limit)
      .map(toComplaint);
  }

  rules(): RoutingRule[] {
    return this.stmts.rules.all();
  }

  /** Replaces every rule; complaints already filed keep their OPD. */
  setRules(rules: readonly RoutingRule[], by: string, atMs: number): void {
    this.db.transaction(() => {
      this.stmts.clearRules.run();
      for (const r of rules) this.stmts.addRule.run(r.category, r.opd, atMs, by);
    })();
  }

  /** Received, acknowledged and closed times of complaints received in [from, to). */
  times(fromMs: number, toMs: number): ComplaintTimes[] {
    return this.stmts.times.all(fromMs, toMs).map((r) => ({ opd: r.opd, receivedAt: r.received_at, acknowledgedAt: r.acknowledged_at, closedAt: r.closed_at }));
  }

  /** The photo file of a complaint, if it came with one. */
  photoFile(id: number): { path: string; type: PhotoType } | undefined {
    const r = this.stmts.byId.get(id);
    return r?.photo_type ? { path: this.photoPath(id, r.photo_type), type: r.photo_type } : undefined;
  }

  close(): void {
    this.db.close();
  }

  private photoPath(id: number, type: PhotoType): string {
    return join(this.photoDir, `complaint-${id}.${PHOTO_EXTENSION[type]}`);
  }

  private writePhoto(id: number, photo: { bytes: Buffer; type: PhotoType }): void {
    const path = this.photoPath(id, photo.type);
    // Written aside and renamed: a crash mid-write never leaves half a picture under the real name.
    writeFileSync(`${path}.tmp`, photo.bytes);
    renameSync(`${path}.tmp`, path);
  }

  private save(id: number, p: Progress, history: readonly HistoryEntry[]): void {
    this.stmts.update.run(p.state, p.opd, p.routedAt, p.routedBy, p.acknowledgedAt, p.acknowledgedBy, p.ackNote, p.closedAt, p.closedBy, p.closeNote, id);
    this.record(id, history);
  }

  private record(id: number, history: readonly HistoryEntry[]): void {
    for (const h of history) this.stmts.addHistory.run(id, h.action, h.at, h.by, h.opd, h.note);
  }
}
