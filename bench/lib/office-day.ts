import { Outbox, type NewRecord } from '../../edge/outbox.js';
import { collectHealth } from '../../edge/health.js';
import { encodeJson } from '../../protocols/mqtt/decode.js';
import { Health } from '../../protocols/mqtt/payloads.js';
import { encodeSnapshot } from '../../protocols/snapshot/frame.js';
import { prng } from '../../scripts/lib/prng.js';

/**
 * 24 hours of one office as its gateway's outbox holds them after the central was
 * unreachable for that long: every record class the gateway produces (punches,
 * terminal status and clock readings, camera status and motion), plus the
 * latest-wins classes (the newest health report, the newest thumbnail per camera).
 *
 * The clock shim: instead of running a gateway for a day, the records are generated
 * with their event times spread over the day and committed with the product's Outbox
 * class (edge/outbox.ts) before the gateway starts, each with a commit time
 * (`created_ms`) in the past. Commits are grouped per 10 minutes of event time (one
 * transaction each, as a gateway's bulk download does), so the commit time of a
 * record is at most 10 minutes after its event. To the gateway started afterwards the
 * whole day is backlog: older than its live window, replayed at its backlog rate and
 * marked historical.
 */
export interface OfficeDayOptions {
  /** Staff who punch on the office's terminal. */
  employees: number;
  /** Camera ids (motion and status records, one kept thumbnail each). */
  cameras: string[];
  terminal: string;
  zone: string;
  /** Employee ids start with this (so a benchmark can count them). */
  employeePrefix: string;
  /** The day ends here (ms); it began 24 h earlier. */
  endMs: number;
  seed: number;
  /** Punches only (the wire-bytes comparison); default false. */
  punchesOnly?: boolean;
}

export interface TimedRecord {
  record: NewRecord;
  /** When the gateway committed it (ms). */
  atMs: number;
}

export type RecordClass = NewRecord['kind'];

const DAY_MS = 24 * 3_600_000;
const ZONE_OFFSET_H: Record<string, number> = { 'Asia/Jakarta': 7, 'Asia/Makassar': 8, 'Asia/Jayapura': 9 };
const GROUP_MS = 10 * 60_000;
const MOTION_TOPIC = 'tns1:RuleEngine/CellMotionDetector/Motion';

const iso = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');

/** Roughly normal (sum of uniforms), mean 0, standard deviation `sd`. */
function gauss(rand: () => number, sd: number): number {
  return (rand() + rand() + rand() + rand() - 2) * sd * Math.sqrt(3);
}

/** The records of one office day, in commit order. */
export function officeDay(o: OfficeDayOptions): TimedRecord[] {
  const rand = prng(o.seed);
  const start = o.endMs - DAY_MS;
  const offsetMs = (ZONE_OFFSET_H[o.zone] ?? 7) * 3_600_000;
  const out: TimedRecord[] = [];
  // The working day starts 4 h into the window and ends about 9 h later: the
  // outage began the evening before and the office is closed again at its end.
  const dayStart = start + 4 * 3_600_000;
  const dayEnd = dayStart + 9 * 3_600_000;
  const skewAt = (ms: number) => 800 + Math.floor(((ms - start) / DAY_MS) * 1200); // ms, drifting

  const punch = (employee: string, ms: number, status: string) => {
    const at = Math.min(o.endMs - 60_000, Math.max(start, ms));
    const skewMs = skewAt(at);
    const deviceMs = at + skewMs;
    out.push({
      atMs: at + 1000 + Math.floor(rand() * 2000),
      record: {
        kind: 'punch',
        terminal: o.terminal,
        employee,
        time: iso(at),
        deviceTime: new Date(Math.floor(deviceMs / 1000) * 1000 + offsetMs).toISOString().slice(0, 19),
        zone: o.zone,
        skewMs,
        status,
        verify: '1',
        receivedAt: iso(at + 1000),
      },
    });
  };
  for (let e = 0; e < o.employees; e++) {
    const employee = `${o.employeePrefix}${e}`;
    const r = rand();
    if (r < 0.04) continue; // on leave
    const arrive = dayStart + gauss(rand, 20 * 60_000);
    punch(employee, arrive, '0');
    if (rand() < 0.15) {
      const out1 = dayStart + 4 * 3_600_000 + gauss(rand, 30 * 60_000);
      punch(employee, out1, '2');
      punch(employee, out1 + 30 * 60_000 + rand() * 30 * 60_000, '3');
    }
    if (r < 0.07) continue; // forgot to punch out
    punch(employee, dayEnd - 30 * 60_000 + gauss(rand, 30 * 60_000), '1');
  }

  if (!o.punchesOnly) {
    // The terminal: online when the gateway started, three outages of 2-20 minutes.
    out.push({ atMs: start + 60_000, record: { kind: 'terminal_status', terminal: o.terminal, state: 'online', at: iso(start + 60_000) } });
    for (let k = 0; k < 3; k++) {
      const down = start + (k + 1) * 6 * 3_600_000 + rand() * 3_600_000;
      const up = down + 120_000 + rand() * 18 * 60_000;
      out.push({ atMs: down, record: { kind: 'terminal_status', terminal: o.terminal, state: 'offline', reason: 'terminal did not answer on TCP 4370 (timeout)', at: iso(down) } });
      out.push({ atMs: up, record: { kind: 'terminal_status', terminal: o.terminal, state: 'online', at: iso(up) } });
    }
    // A clock reading every 30 minutes (the skew drifts, so each one is a change).
    for (let ms = start + 30 * 60_000; ms < o.endMs - 60_000; ms += 30 * 60_000) {
      out.push({ atMs: ms, record: { kind: 'terminal_clock', terminal: o.terminal, skewMs: skewAt(ms), alarm: false, at: iso(ms) } });
    }
    for (const camera of o.cameras) {
      out.push({ atMs: start + 90_000, record: { kind: 'camera_status', camera, state: 'online', at: iso(start + 90_000) } });
      for (let k = 0; k < 2; k++) {
        const down = start + (k + 1) * 8 * 3_600_000 + rand() * 3_600_000;
        const up = down + 60_000 + rand() * 10 * 60_000;
        out.push({ atMs: down, record: { kind: 'camera_status', camera, state: 'offline', reason: 'snapshot URI answered HTTP 503', at: iso(down) } });
        out.push({ atMs: up, record: { kind: 'camera_status', camera, state: 'online', at: iso(up) } });
      }
      // Motion in office hours: a start every ~10 minutes, lasting 5-60 s.
      for (let ms = dayStart - 30 * 60_000 + rand() * 600_000; ms < dayEnd + 30 * 60_000; ms += 120_000 + rand() * 960_000) {
        const end = ms + 5000 + rand() * 55_000;
        out.push({ atMs: ms, record: { kind: 'camera_motion', camera, state: 'start', at: iso(ms), topic: MOTION_TOPIC } });
        out.push({ atMs: end, record: { kind: 'camera_motion', camera, state: 'end', at: iso(end), topic: MOTION_TOPIC } });
      }
    }
  }
  return out.sort((a, b) => a.atMs - b.atMs);
}

/** Records per class. */
export function countByClass(records: readonly TimedRecord[]): Record<string, number> {
  const n: Record<string, number> = {};
  for (const { record } of records) n[record.kind] = (n[record.kind] ?? 0) + 1;
  return n;
}

export interface BacklogWritten {
  records: number;
  byClass: Record<string, number>;
  /** Latest-wins rows kept besides the records (health, a thumbnail per camera). */
  latest: number;
  outboxBytes: number;
  /** The newest event time in the backlog (ms). */
  lastAtMs: number;
}

/**
 * Commits an office day into the outbox in `dataDir` (created when missing), plus the
 * newest health report and, per camera, the newest thumbnail (`thumbnail`: a JPEG),
 * as a gateway that stayed up through the outage leaves them.
 */
export function writeBacklog(dataDir: string, day: readonly TimedRecord[], o: { cameras: string[]; thumbnail?: Buffer; endMs: number }): BacklogWritten {
  const outbox = new Outbox(dataDir);
  try {
    let group: NewRecord[] = [];
    let groupAt = -1;
    const commit = () => {
      if (group.length > 0) outbox.appendMany(group, groupAt);
      group = [];
    };
    for (const { record, atMs } of day) {
      const slot = Math.floor(atMs / GROUP_MS) * GROUP_MS + GROUP_MS - 1;
      if (slot !== groupAt) commit();
      groupAt = slot;
      group.push(record);
    }
    commit();
    let latest = 0;
    const healthAt = o.endMs - 30_000;
    const stats = outbox.stats(healthAt);
    const health = collectHealth(dataDir, { ...stats, budgetBytes: 512 * 1024 * 1024, budget: 'ok', droppedHealth: 1439 }, healthAt - 86_400_000, healthAt);
    outbox.putLatest('health', encodeJson(Health, health).toString(), healthAt);
    latest++;
    if (o.thumbnail) {
      for (const camera of o.cameras) {
        const capturedAt = new Date(o.endMs - 20_000 - Math.floor(Math.random() * 10_000)).toISOString();
        outbox.putLatest(`snapshot:${camera}`, encodeSnapshot({ camera, capturedAt, kind: 'thumb', width: 480, height: 270, source: 'snapshot-uri' }, o.thumbnail), o.endMs);
        latest++;
      }
    }
    return { records: day.length, byClass: countByClass(day), latest, outboxBytes: outbox.bytes(), lastAtMs: day.reduce((m, r) => Math.max(m, r.atMs), 0) };
  } finally {
    outbox.close();
  }
}
