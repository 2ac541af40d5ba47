import { openDatabase } from './sqlite.js';
import Database from 'better-sqlite3';
import type { RegistrySeed } from './config.js';

export interface Employee {
  pin: string;
  nip: string | null;
  name: string;
}

export interface GatewayEntry {
  id: string;
  opd: string;
}

/**
 * The central registry (SQLite): OPDs, which gateway belongs to which OPD (the wire
 * never says), and each gateway's ingest progress: the highest sequence up to which
 * every record is durably in InfluxDB. Progress survives restarts, so an ack never
 * goes backwards after the central was down.
 */
export interface OpdEntry {
  code: string;
  name: string;
  zone: string;
  location: { lat: number; lon: number } | null;
  gateways: string[];
  employees: number;
}

export interface EnrollToken {
  opd: string;
  /** The id the box will get; null: the box proposes one. */
  gateway: string | null;
  expiresAt: string;
  usedAt: string | null;
  usedBy: string | null;
}

export class Registry {
  private readonly db: Database.Database;
  private readonly stmts;
  /** opd -> pin -> entry; this object is the only writer of rosters in its process. */
  private readonly rosters = new Map<string, Map<string, Employee>>();

  constructor(file: string) {
    this.db = openDatabase(file);
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS opds (code TEXT PRIMARY KEY, name TEXT NOT NULL, zone TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS gateways (id TEXT PRIMARY KEY, opd TEXT NOT NULL REFERENCES opds(code));
      CREATE TABLE IF NOT EXISTS employees (
        opd TEXT NOT NULL REFERENCES opds(code), pin TEXT NOT NULL, nip TEXT, name TEXT NOT NULL,
        PRIMARY KEY (opd, pin)
      );
      CREATE TABLE IF NOT EXISTS gateway_credentials (
        gateway TEXT PRIMARY KEY, password_hash TEXT NOT NULL, mosquitto_hash TEXT, set_at TEXT NOT NULL
      );
      CREATE TABLE IF NOT EXISTS ingest_progress (gateway TEXT PRIMARY KEY, acked_seq INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS enroll_tokens (
        token_hash TEXT PRIMARY KEY, opd TEXT NOT NULL REFERENCES opds(code), gateway TEXT,
        created_at TEXT NOT NULL, expires_at TEXT NOT NULL, used_at TEXT, used_by TEXT
      );
    `);
    // Registries made before mosquitto hashes existed get the column (a one-way migration).
    const columns = this.db.prepare<[], { name: string }>('PRAGMA table_info(gateway_credentials)').all();
    if (!columns.some((c) => c.name === 'mosquitto_hash')) this.db.exec('ALTER TABLE gateway_credentials ADD COLUMN mosquitto_hash TEXT');
    // Office coordinates for the map came later too.
    const opdColumns = this.db.prepare<[], { name: string }>('PRAGMA table_info(opds)').all();
    if (!opdColumns.some((c) => c.name === 'lat')) this.db.exec('ALTER TABLE opds ADD COLUMN lat REAL; ALTER TABLE opds ADD COLUMN lon REAL;');
    this.stmts = {
      // Coordinates the seed leaves out keep what an admin set on the map page.
      upsertOpd: this.db.prepare<[string, string, string, number | null, number | null]>(
        `INSERT INTO opds (code, name, zone, lat, lon) VALUES (?, ?, ?, ?, ?) ON CONFLICT(code) DO UPDATE SET name = excluded.name, zone = excluded.zone,
         lat = COALESCE(excluded.lat, lat), lon = COALESCE(excluded.lon, lon)`,
      ),
      upsertGateway: this.db.prepare<[string, string]>('INSERT INTO gateways (id, opd) VALUES (?, ?) ON CONFLICT(id) DO UPDATE SET opd = excluded.opd'),
      upsertEmployee: this.db.prepare<[string, string, string | null, string]>(
        'INSERT INTO employees (opd, pin, nip, name) VALUES (?, ?, ?, ?) ON CONFLICT(opd, pin) DO UPDATE SET nip = excluded.nip, name = excluded.name',
      ),
      passwordHash: this.db.prepare<[string], { password_hash: string }>('SELECT password_hash FROM gateway_credentials WHERE gateway = ?'),
      setPasswordHash: this.db.prepare<[string, string, string | null, string]>(
        `INSERT INTO gateway_credentials (gateway, password_hash, mosquitto_hash, set_at) VALUES (?, ?, ?, ?)
         ON CONFLICT(gateway) DO UPDATE SET password_hash = excluded.password_hash, mosquitto_hash = excluded.mosquitto_hash, set_at = excluded.set_at`,
      ),
      mosquittoHashes: this.db.prepare<[], { gateway: string; mosquitto_hash: string }>(
        'SELECT gateway, mosquitto_hash FROM gateway_credentials WHERE mosquitto_hash IS NOT NULL ORDER BY gateway',
      ),
      opds: this.db.prepare<[], { code: string; name: string; zone: string; lat: number | null; lon: number | null; gateways: string | null; employees: number }>(
        `SELECT o.code, o.name, o.zone, o.lat, o.lon, (SELECT group_concat(id) FROM gateways g WHERE g.opd = o.code) AS gateways,
                (SELECT COUNT(*) FROM employees e WHERE e.opd = o.code) AS employees FROM opds o ORDER BY o.code`,
      ),
      gateway: this.db.prepare<[string], GatewayEntry>('SELECT id, opd FROM gateways WHERE id = ?'),
      progress: this.db.prepare<[string], { acked_seq: number }>('SELECT acked_seq FROM ingest_progress WHERE gateway = ?'),
      setProgress: this.db.prepare<[string, number]>(
        'INSERT INTO ingest_progress (gateway, acked_seq) VALUES (?, ?) ON CONFLICT(gateway) DO UPDATE SET acked_seq = MAX(acked_seq, excluded.acked_seq)',
      ),
    };
  }

  /** Applies the seed file: adds and updates, never deletes (history stays attributable). */
  seed(seed: RegistrySeed): void {
    this.rosters.clear();
    this.db.transaction(() => {
      for (const opd of seed.opds) {
        this.stmts.upsertOpd.run(opd.code, opd.name, opd.zone, opd.location?.lat ?? null, opd.location?.lon ?? null);
        for (const gw of opd.gateways) this.stmts.upsertGateway.run(gw, opd.code);
        for (const e of opd.employees) this.stmts.upsertEmployee.run(opd.code, e.pin, e.nip ?? null, e.name);
      }
    })();
  }

  opds(): OpdEntry[] {
    return this.stmts.opds.all().map(({ lat, lon, ...o }) => ({ ...o, location: lat !== null && lon !== null ? { lat, lon } : null, gateways: o.gateways ? o.gateways.split(',') : [] }));
  }

  /** Adds or changes an OPD from the admin pages (coordinates null: none). */
  saveOpd(opd: { code: string; name: string; zone: string; location: { lat: number; lon: number } | null }): void {
    this.db
      .prepare('INSERT INTO opds (code, name, zone, lat, lon) VALUES (?, ?, ?, ?, ?) ON CONFLICT(code) DO UPDATE SET name = excluded.name, zone = excluded.zone, lat = excluded.lat, lon = excluded.lon')
      .run(opd.code, opd.name, opd.zone, opd.location?.lat ?? null, opd.location?.lon ?? null);
  }

  employees(opd: string): Employee[] {
    return this.db.prepare<[string], Employee>('SELECT pin, nip, name FROM employees WHERE opd = ? ORDER BY pin').all(opd);
  }

  /** Adds or updates roster entries in one transaction (a roster import). */
  saveEmployees(opd: string, employees: readonly Employee[]): void {
    this.rosters.delete(opd);
    this.db.transaction(() => {
      for (const e of employees) this.stmts.upsertEmployee.run(opd, e.pin, e.nip ?? null, e.name);
    })();
  }

  /** Gateways with whether they have a password (never the hash). */
  gatewayList(): { id: string; opd: string; hasPassword: boolean; passwordSetAt: string | null }[] {
    return this.db
      .prepare<[], { id: string; opd: string; set_at: string | null }>('SELECT g.id, g.opd, c.set_at FROM gateways g LEFT JOIN gateway_credentials c ON c.gateway = g.id ORDER BY g.opd, g.id')
      .all()
      .map((g) => ({ id: g.id, opd: g.opd, hasPassword: g.set_at !== null, passwordSetAt: g.set_at }));
  }

  gateway(id: string): GatewayEntry | undefined {
    return this.stmts.gateway.get(id);
  }

  /**
   * The roster entry of a terminal user id in an OPD, if the roster has it. Ingest asks
   * once per punch: a profile of the ingest bench put a fifth of the central's main
   * thread in this lookup, so each OPD's roster is read once and kept (bench/README.md).
   */
  employee(opd: string, pin: string): Employee | undefined {
    let roster = this.rosters.get(opd);
    if (!roster) {
      roster = new Map(this.employees(opd).map((e) => [e.pin, e]));
      this.rosters.set(opd, roster);
    }
    return roster.get(pin);
  }

  /** The stored password hash of a gateway (never the password). */
  passwordHash(gateway: string): string | undefined {
    return this.stmts.passwordHash.get(gateway)?.password_hash;
  }

  setPasswordHash(gateway: string, hash: string, mosquittoHash: string | null = null): void {
    this.stmts.setPasswordHash.run(gateway, hash, mosquittoHash, new Date().toISOString());
  }

  /** Gateway password hashes in Mosquitto's password-file form. */
  mosquittoHashes(): { gateway: string; hash: string }[] {
    return this.stmts.mosquittoHashes.all().map((r) => ({ gateway: r.gateway, hash: r.mosquitto_hash }));
  }

  ackedSeq(gateway: string): number {
    return this.stmts.progress.get(gateway)?.acked_seq ?? 0;
  }

  setAckedSeq(gateway: string, seq: number): void {
    this.stmts.setProgress.run(gateway, seq);
  }

  addEnrollToken(tokenHash: string, opd: string, gateway: string | null, expiresAt: Date): void {
    this.db
      .prepare('INSERT INTO enroll_tokens (token_hash, opd, gateway, created_at, expires_at) VALUES (?, ?, ?, ?, ?)')
      .run(tokenHash, opd, gateway, new Date().toISOString(), expiresAt.toISOString());
  }

  enrollToken(tokenHash: string): EnrollToken | undefined {
    return this.db
      .prepare<[string], EnrollToken>('SELECT opd, gateway, expires_at AS expiresAt, used_at AS usedAt, used_by AS usedBy FROM enroll_tokens WHERE token_hash = ?')
      .get(tokenHash);
  }

  /**
   * Spends a token and registers the gateway with its password, all or nothing:
   * two boxes racing with one token get one success and one "already used".
   */
  enrollGateway(tokenHash: string, gateway: string, hashes: { scrypt: string; mosquitto: string }, now: Date): 'ok' | 'used' | 'expired' | 'unknown' {
    return this.db.transaction(() => {
      const token = this.enrollToken(tokenHash);
      if (!token) return 'unknown';
      if (token.usedAt !== null) return 'used';
      if (Date.parse(token.expiresAt) <= now.getTime()) return 'expired';
      this.db.prepare('UPDATE enroll_tokens SET used_at = ?, used_by = ? WHERE token_hash = ?').run(now.toISOString(), gateway, tokenHash);
      this.stmts.upsertGateway.run(gateway, token.opd);
      this.stmts.setPasswordHash.run(gateway, hashes.scrypt, hashes.mosquitto, now.toISOString());
      return 'ok';
    })();
  }

  close(): void {
    this.db.close();
  }
}
