import { createHash } from 'node:crypto';
import type { IPoint } from 'influx';
import type { EventRecord, Health, PanicRecord, PunchRecord } from '../protocols/mqtt/payloads.js';

/**
 * Records to InfluxDB points. A point is keyed by measurement + tags + timestamp, so:
 * - the same punch sent twice must map to the same key (it overwrites itself: replays
 *   and two aggregators writing the same batch are harmless without shared state);
 * - two employees punching on one terminal in the same second need different keys.
 * The timestamp is therefore the punch second plus a nanosecond offset derived from
 * the punch's identity (terminal, employee, device time, status). Employee ids stay
 * fields: tags are only opd, gateway and terminal (low cardinality).
 */
export interface PointContext {
  opd: string;
  gateway: string;
  /** Roster lookup: the NIP of a terminal user id, null when on the roster without one, undefined when unknown. */
  nipOf?: (pin: string) => string | null | undefined;
}

const NS_PER_S = 1_000_000_000n;

function identityNanos(parts: readonly string[]): bigint {
  const digest = createHash('sha256').update(parts.join('\u0000')).digest();
  // 48 bits folded into [1, 1e9): never 0, so a discriminated point never sits on a whole second.
  return (BigInt(digest.readUIntBE(0, 6)) % (NS_PER_S - 1n)) + 1n;
}

export function punchTimestamp(punch: Pick<PunchRecord, 'terminal' | 'employee' | 'deviceTime' | 'status' | 'time'>): string {
  const seconds = BigInt(Math.floor(Date.parse(punch.time) / 1000));
  return (seconds * NS_PER_S + identityNanos([punch.terminal, punch.employee, punch.deviceTime, punch.status ?? ''])).toString();
}

/** Punches from user ids missing from the roster are kept and flagged, never dropped. */
function rosterFields(ctx: PointContext, pin: string): { known: boolean; nip?: string } {
  const nip = ctx.nipOf?.(pin);
  if (nip === undefined) return { known: false };
  return nip === null ? { known: true } : { known: true, nip };
}

/** Status and clock records of one terminal are seconds apart; seq keeps replays idempotent. */
function eventTimestamp(at: string, seq: number): string {
  return (BigInt(Date.parse(at)) * 1_000_000n + BigInt(seq % 1_000_000)).toString();
}

export function recordToPoint(record: EventRecord, ctx: PointContext): IPoint {
  if (record.kind === 'punch') return punchToPoint(record, ctx);
  if (record.kind === 'panic') return panicToPoint(record, ctx);
  // Status-like records: a measurement named after the kind, tagged by their device, at `at`.
  const device: Record<string, string> = record.kind === 'camera_status' || record.kind === 'camera_motion' ? { camera: record.camera } : { terminal: record.terminal };
  return {
    measurement: record.kind,
    tags: { opd: ctx.opd, gateway: ctx.gateway, ...device },
    fields: { ...statusFields(record), seq: record.seq },
    timestamp: eventTimestamp(record.at, record.seq),
  };
}

function statusFields(record: Exclude<EventRecord, PunchRecord | PanicRecord>): IPoint['fields'] {
  switch (record.kind) {
    case 'terminal_status':
    case 'camera_status':
      return { state: record.state, reason: record.reason ?? '' };
    case 'terminal_clock':
      return { skew_ms: record.skewMs, alarm: record.alarm, synced: record.synced ?? false };
    case 'camera_motion':
      return { state: record.state, topic: record.topic ?? '' };
  }
}

/**
 * A panic press: tagged by its input (a handful per office), keyed like a status record
 * so a resent record overwrites itself. The event id, source and note are fields: the
 * audit trail of who pressed what, never tags.
 */
function panicToPoint(record: PanicRecord, ctx: PointContext): IPoint {
  return {
    measurement: 'panic',
    tags: { opd: ctx.opd, gateway: ctx.gateway, input: record.input },
    fields: {
      event_id: record.eventId,
      via: record.via,
      cameras: record.cameras.join(','),
      source: record.source ?? '',
      note: record.note ?? '',
      ...(record.lat !== undefined && { lat: record.lat }),
      ...(record.lon !== undefined && { lon: record.lon }),
      seq: record.seq,
    },
    timestamp: eventTimestamp(record.at, record.seq),
  };
}

function punchToPoint(record: PunchRecord, ctx: PointContext): IPoint {
  return {
    measurement: 'punch',
    tags: { opd: ctx.opd, gateway: ctx.gateway, terminal: record.terminal },
    fields: {
      employee: record.employee,
      ...rosterFields(ctx, record.employee),
      device_time: record.deviceTime,
      zone: record.zone,
      status: record.status ?? '',
      verify: record.verify ?? '',
      workcode: record.workcode ?? '',
      ...(record.skewMs !== null && { skew_ms: record.skewMs }),
      seq: record.seq,
      received_at: record.receivedAt,
      historical: record.historical ?? false,
    },
    timestamp: punchTimestamp(record),
  };
}

export function healthToPoint(health: Health, ctx: PointContext): IPoint {
  return {
    measurement: 'gateway_health',
    tags: { opd: ctx.opd, gateway: ctx.gateway },
    fields: {
      uptime_s: health.uptimeS,
      load1: health.cpu.load1,
      rss_bytes: health.memory.rssBytes,
      mem_free_bytes: health.memory.freeBytes,
      outbox_depth: health.outbox.depth,
      outbox_oldest_age_s: health.outbox.oldestAgeS ?? 0,
      outbox_acked_seq: health.outbox.lastAckedSeq,
      outbox_bytes: health.outbox.bytes,
      outbox_budget_bytes: health.outbox.budgetBytes,
      outbox_budget: health.outbox.budget,
      dropped_health: health.outbox.droppedHealth,
      ...(health.disk && { disk_free_bytes: health.disk.freeBytes, disk_total_bytes: health.disk.totalBytes }),
      ...(health.snapshots && {
        snapshots_budget_kbps: health.snapshots.budgetKbps,
        snapshots_sent_kbps: health.snapshots.sentKbps,
        snapshots_stretch: health.snapshots.stretch,
        snapshots_quality: health.snapshots.quality,
        snapshots_dropped: health.snapshots.dropped,
      }),
    },
    timestamp: (BigInt(Date.parse(health.at)) * 1_000_000n).toString(),
  };
}
