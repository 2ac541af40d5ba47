import { EventEmitter } from 'node:events';
import { DateTime } from 'luxon';
import type { EventRecord, GatewayStatus, Health, PanicRecord } from '../protocols/mqtt/payloads.js';
import type { SnapshotHeader } from '../protocols/snapshot/frame.js';

export interface DeviceState {
  state: string;
  reason?: string;
  at: string;
}

export interface GatewayLive {
  gateway: string;
  opd: string;
  state: 'online' | 'offline' | 'unknown';
  since: string | null;
  version: string | null;
  lastSeenAt: string | null;
  health: Health | null;
  terminals: Record<string, DeviceState & { skewMs?: number; clockAlarm?: boolean; lastPunchAt?: string }>;
  cameras: Record<string, DeviceState & { capturedAt?: string; lastMotionAt?: string }>;
}

export interface RecentPunch {
  opd: string;
  gateway: string;
  terminal: string;
  employee: string;
  deviceTime: string;
  time: string;
  historical: boolean;
}

const RECENT_PUNCHES = 200;

/** A panic record as ingest hands it over, with the office the registry maps its gateway to. */
export interface PanicEvent {
  gateway: string;
  opd: string;
  record: PanicRecord;
}

/**
 * What the command room shows right now, kept in memory from what ingest stored:
 * gateway sessions, health, terminal and camera states, today's punch counts per
 * OPD and the latest punches. It emits 'change' so pages can update live. After a
 * restart it refills from retained status messages and the next reports.
 */
export class LiveState extends EventEmitter {
  private readonly gateways = new Map<string, GatewayLive>();
  private readonly recent: RecentPunch[] = [];
  /** opd -> local date (YYYY-MM-DD in the punch's zone) -> punches. */
  private readonly punchesByDay = new Map<string, Map<string, number>>();

  private gatewayEntry(gateway: string, opd: string): GatewayLive {
    let g = this.gateways.get(gateway);
    if (!g) {
      g = { gateway, opd, state: 'unknown', since: null, version: null, lastSeenAt: null, health: null, terminals: {}, cameras: {} };
      this.gateways.set(gateway, g);
    }
    g.opd = opd;
    return g;
  }

  private changed(type: string, gateway: string): void {
    this.emit('change', { type, gateway });
  }

  onStatus(gateway: string, opd: string, status: GatewayStatus): void {
    const g = this.gatewayEntry(gateway, opd);
    g.state = status.state;
    g.since = new Date().toISOString();
    if (status.state === 'online') g.version = status.version;
    this.changed('status', gateway);
  }

  onHealth(gateway: string, opd: string, health: Health): void {
    const g = this.gatewayEntry(gateway, opd);
    g.health = health;
    g.lastSeenAt = health.at;
    this.changed('health', gateway);
  }

  onRecords(gateway: string, opd: string, records: readonly EventRecord[]): void {
    const g = this.gatewayEntry(gateway, opd);
    g.lastSeenAt = new Date().toISOString();
    for (const r of records) {
      switch (r.kind) {
        case 'punch': {
          const day = r.deviceTime.slice(0, 10);
          const days = this.punchesByDay.get(opd) ?? new Map<string, number>();
          days.set(day, (days.get(day) ?? 0) + 1);
          this.punchesByDay.set(opd, days);
          this.recent.unshift({ opd, gateway, terminal: r.terminal, employee: r.employee, deviceTime: r.deviceTime, time: r.time, historical: r.historical ?? false });
          this.recent.length = Math.min(this.recent.length, RECENT_PUNCHES);
          const t = (g.terminals[r.terminal] ??= { state: 'online', at: r.receivedAt });
          t.lastPunchAt = r.time;
          break;
        }
        case 'terminal_status': {
          const next = newerStatus(g.terminals[r.terminal], r);
          if (next) g.terminals[r.terminal] = next;
          break;
        }
        case 'terminal_clock':
          g.terminals[r.terminal] = { ...(g.terminals[r.terminal] ?? { state: 'online', at: r.at }), skewMs: r.skewMs, clockAlarm: r.alarm };
          break;
        case 'camera_status': {
          const next = newerStatus(g.cameras[r.camera], r);
          if (next) g.cameras[r.camera] = next;
          break;
        }
        case 'camera_motion':
          if (r.state === 'start') g.cameras[r.camera] = { ...(g.cameras[r.camera] ?? { state: 'online', at: r.at }), lastMotionAt: r.at };
          break;
        case 'panic':
          break; // raised through onPanic, before the batch is acked
      }
    }
    this.changed('records', gateway);
  }

  /**
   * Hands a panic to whoever raises alerts, synchronously: ingest calls this before it
   * acks the batch, so a listener that throws (or no listener at all) leaves the record
   * at the gateway, which resends it. Returns whether anyone took it.
   */
  onPanic(gateway: string, opd: string, record: PanicRecord): boolean {
    const event: PanicEvent = { gateway, opd, record };
    return this.emit('panic', event);
  }

  onSnapshot(gateway: string, opd: string, header: SnapshotHeader): void {
    const g = this.gatewayEntry(gateway, opd);
    const c = (g.cameras[header.camera] ??= { state: 'online', at: header.capturedAt });
    c.capturedAt = header.capturedAt;
    this.changed('snapshot', gateway);
  }

  /** Today's punches of an OPD, "today" being the date in `zone`. */
  punchesToday(opd: string, zone: string, nowMs = Date.now()): number {
    const today = DateTime.fromMillis(nowMs, { zone }).toISODate() ?? '';
    return this.punchesByDay.get(opd)?.get(today) ?? 0;
  }

  snapshot(): { gateways: GatewayLive[]; recentPunches: RecentPunch[] } {
    return { gateways: [...this.gateways.values()], recentPunches: [...this.recent] };
  }
}

/**
 * A device's entry after a status record, or undefined when the record is older than the
 * state it would replace: a gateway sends live records before its backlog, so a
 * restart's "offline" can arrive after the reconnect's "online". Latest wins by time,
 * and a reason belongs to the status it came with.
 */
function newerStatus<T extends { state: string; at: string; reason?: string }>(current: T | undefined, r: { state: string; at: string; reason?: string | undefined }): T | undefined {
  if (current && Date.parse(r.at) < Date.parse(current.at)) return undefined;
  const next = { ...current, state: r.state, at: r.at } as T; // every other field of an entry is optional
  delete next.reason;
  if (r.reason !== undefined) next.reason = r.reason;
  return next;
}
