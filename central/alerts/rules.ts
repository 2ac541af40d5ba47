import { DateTime } from 'luxon';
import type { GatewayLive } from '../live-state.js';
import { alertKey, EVENT_KINDS, type Alert, type AlertKind, type Finding } from './alert.js';
import type { AlertsConfig } from './config.js';
import * as msg from './messages.js';

/**
 * The alert rules as one pure function of the live state, the registry, the open
 * alerts and the clock: no I/O and no timers, so every rule is tested with a fixed
 * clock. Besides what is wrong now (findings) it says which open alerts it cannot
 * judge (held): "unknown" must not clear an alert. A central that just restarted has
 * not heard from gateways and terminals yet, and an offline gateway's devices are
 * last known, not current.
 */

export interface OpdInfo {
  code: string;
  name: string;
  zone: string;
  gateways: readonly string[];
}

/** When this central received something from a gateway, by its own clock. */
export interface Heard {
  anyMs: number;
  healthMs?: number;
}

export interface RuleInput {
  nowMs: number;
  /** When this central started: the grace period for gateways not heard of yet. */
  startedAtMs: number;
  config: AlertsConfig;
  opds: readonly OpdInfo[];
  gateways: ReadonlyMap<string, GatewayLive>;
  /**
   * Receipt times. Health carries the gateway's own clock, which may be off by
   * minutes; what the central saw arrive is what proves the gateway alive.
   */
  heard: ReadonlyMap<string, Heard>;
  open: readonly Alert[];
  /** Punches of an OPD on a local date (YYYY-MM-DD in its zone), including days before a restart. */
  punchesOn: (opd: string, zone: string, date: string) => number;
  isHoliday: (opd: string, date: string) => boolean;
}

export interface RuleOutcome {
  findings: Finding[];
  /** Keys of open alerts that stay open although nothing found them: their subject is unknown right now. */
  held: Set<string>;
}

/** reachable: heard from recently; offline: gateway-offline is found; unknown: not heard since start, in grace. */
type Reach = 'reachable' | 'offline' | 'unknown';

const CAMERA_DOWN = new Set(['offline', 'auth-failed', 'stale']);
const TERMINAL_DOWN = new Set(['offline', 'error']);

const ms = (iso: string | null | undefined): number | undefined => {
  if (iso === null || iso === undefined) return undefined;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? undefined : t;
};

export function evaluateRules(input: RuleInput): RuleOutcome {
  const findings: Finding[] = [];
  const reach = new Map<string, Reach>();
  const owner = new Map<string, string>();
  const unjudgedOpds = new Set<string>();
  for (const opd of input.opds) {
    for (const gw of opd.gateways) {
      owner.set(gw, opd.code);
      const live = input.gateways.get(gw);
      const r = gatewayRule(gw, opd, live, input, findings);
      reach.set(gw, r);
      if (r === 'reachable' && live) deviceRules(live, opd, input, findings);
    }
    if (!noPunchesRule(opd, reach, input, findings)) unjudgedOpds.add(opd.code);
  }

  const found = new Set(findings.map(alertKey));
  const held = new Set<string>();
  for (const a of input.open) {
    const key = alertKey(a);
    if (found.has(key)) continue;
    // No rule can see a panic end: it stays open until an operator acknowledges it.
    if (EVENT_KINDS.has(a.kind)) {
      held.add(key);
      continue;
    }
    if (a.kind === 'no-punches') {
      if (unjudgedOpds.has(a.opd)) held.add(key);
      continue;
    }
    // An alert of a gateway that left the OPD (or the registry) is cleared: nobody can judge it any more.
    if (a.gateway === null || owner.get(a.gateway) !== a.opd) continue;
    const r = reach.get(a.gateway);
    if (a.kind === 'gateway-offline') {
      if (r === 'unknown') held.add(key);
    } else if (r !== 'reachable' || deviceUnknown(a.kind, a.device, input.gateways.get(a.gateway))) {
      held.add(key);
    }
  }
  return { findings, held };
}

function gatewayRule(gw: string, opd: OpdInfo, live: GatewayLive | undefined, input: RuleInput, findings: Finding[]): Reach {
  const { nowMs, config } = input;
  const limitMs = config.gatewayOfflineAfterS * 1000;
  const raise = (message: Finding['message']): Reach => {
    findings.push({ kind: 'gateway-offline', opd: opd.code, gateway: gw, device: null, message });
    return 'offline';
  };
  if (live?.state === 'offline') return raise(msg.gatewayReportedOffline(gw, opd.name, ms(live.since) ?? nowMs, opd.zone));
  // Health, records, frames and the birth all prove the gateway alive; whichever came last counts.
  // The gateway-stamped lastSeenAt only stands in when this engine saw nothing arrive itself.
  const received = input.heard.get(gw)?.anyMs;
  const heard = [received ?? ms(live?.lastSeenAt), ms(live?.since)].filter((t): t is number => t !== undefined);
  if (heard.length > 0) {
    const silentMs = nowMs - Math.max(...heard);
    return silentMs > limitMs ? raise(msg.gatewaySilent(gw, opd.name, silentMs)) : 'reachable';
  }
  const sinceStartMs = nowMs - input.startedAtMs;
  return sinceStartMs > limitMs ? raise(msg.gatewayNeverHeard(gw, opd.name, sinceStartMs)) : 'unknown';
}

/** Rules about a gateway's health and devices; only for a reachable gateway, whose state is current. */
function deviceRules(g: GatewayLive, opd: OpdInfo, input: RuleInput, findings: Finding[]): void {
  const { nowMs, config } = input;
  const add = (kind: AlertKind, device: string | null, message: Finding['message']) => findings.push({ kind, opd: opd.code, gateway: g.gateway, device, message });

  const healthAt = g.health ? (input.heard.get(g.gateway)?.healthMs ?? ms(g.health.at)) : undefined;
  if (healthAt !== undefined) {
    const ageMs = nowMs - healthAt;
    if (ageMs > config.healthStaleAfterS * 1000) add('data-stale', null, msg.healthStale(g.gateway, opd.name, ageMs, false));
  } else {
    // No health yet: count from the birth, but never from before this central started.
    const ageMs = nowMs - Math.max(ms(g.since) ?? input.startedAtMs, input.startedAtMs);
    if (ageMs > config.healthStaleAfterS * 1000) add('data-stale', null, msg.healthStale(g.gateway, opd.name, ageMs, true));
  }

  const disk = g.health?.disk;
  const freePercent = disk && disk.totalBytes > 0 ? (disk.freeBytes / disk.totalBytes) * 100 : null;
  const budget = g.health?.outbox.budget ?? 'ok';
  const lowDisk = freePercent !== null && freePercent < config.diskFreeMinPercent;
  if (lowDisk || budget !== 'ok') add('disk-full', null, msg.diskFull(g.gateway, opd.name, lowDisk ? freePercent : null, budget));

  for (const [id, t] of Object.entries(g.terminals)) {
    if (TERMINAL_DOWN.has(t.state)) add('terminal-offline', id, msg.terminalDown(id, g.gateway, opd.name, t.state, t.reason));
    if (t.clockAlarm === true) add('clock-skew', id, msg.clockSkew(id, g.gateway, opd.name, t.skewMs));
  }

  for (const id of cameraIds(g)) {
    const cam = cameraView(g, id);
    if (cam.removed) continue;
    const capturedAt = ms(cam.capturedAt);
    if (cam.state !== undefined && CAMERA_DOWN.has(cam.state)) add('camera-offline', id, msg.cameraState(id, g.gateway, opd.name, cam.state, cam.reason));
    else if (capturedAt !== undefined && nowMs - capturedAt > config.cameraStaleAfterS * 1000) {
      add('camera-offline', id, msg.cameraFrameOld(id, g.gateway, opd.name, nowMs - capturedAt));
    }
  }
}

function cameraIds(g: GatewayLive): Set<string> {
  return new Set([...Object.keys(g.cameras), ...(g.health?.cameras ?? []).map((c) => c.id)]);
}

/**
 * A camera's state from whichever says it last: a status record (sent on change) or
 * the periodic health report. The health's "unknown" says nothing; a health report
 * newer than the camera's record that no longer lists it means it was removed.
 */
interface CameraView {
  removed: boolean;
  state?: string;
  reason?: string;
  capturedAt?: string;
}

function cameraView(g: GatewayLive, id: string): CameraView {
  const rec = g.cameras[id];
  const healthAt = ms(g.health?.at) ?? 0;
  const listed = g.health?.cameras;
  const inHealth = listed?.find((c) => c.id === id);
  if (listed && !inHealth && (ms(rec?.at) ?? 0) < healthAt && (ms(rec?.capturedAt) ?? 0) < healthAt) return { removed: true };
  const healthState = inHealth && inHealth.state !== 'unknown' ? inHealth.state : undefined;
  const recordNewer = rec !== undefined && (healthState === undefined || (ms(rec.at) ?? 0) >= healthAt);
  const view: CameraView = { removed: false };
  if (recordNewer) {
    view.state = rec.state;
    if (rec.reason !== undefined) view.reason = rec.reason;
  } else if (healthState !== undefined) view.state = healthState;
  if (rec?.capturedAt !== undefined) view.capturedAt = rec.capturedAt;
  return view;
}

function deviceUnknown(kind: AlertKind, device: string | null, g: GatewayLive | undefined): boolean {
  if (!g) return true;
  switch (kind) {
    case 'terminal-offline':
      return device === null || g.terminals[device] === undefined;
    case 'clock-skew':
      return device === null || g.terminals[device]?.clockAlarm === undefined;
    case 'camera-offline': {
      if (device === null) return true;
      const cam = cameraView(g, device);
      return !cam.removed && cam.state === undefined && cam.capturedAt === undefined;
    }
    case 'disk-full':
      return g.health === null;
    default:
      return false;
  }
}

/**
 * No punches by the check time on a working day at an office that usually has them.
 * Returns false when it cannot judge: none of the office's gateways is reachable, so
 * punches may be waiting in an outbox (gateway-offline says so already).
 */
function noPunchesRule(opd: OpdInfo, reach: ReadonlyMap<string, Reach>, input: RuleInput, findings: Finding[]): boolean {
  const { config } = input;
  const local = DateTime.fromMillis(input.nowMs, { zone: opd.zone });
  const today = local.toISODate() ?? '';
  const [h = 0, m = 0] = config.noPunchesCheckAt.split(':').map(Number);
  if (!isWorkingDay(local, opd.code, input) || local.hour * 60 + local.minute < h * 60 + m) return true;
  if (opd.gateways.length === 0) return true;
  if (!opd.gateways.some((gw) => reach.get(gw) === 'reachable')) return false;
  if (input.punchesOn(opd.code, opd.zone, today) > 0) return true;

  let usual = 0;
  let counted = 0;
  // Bounded so a long holiday list cannot loop for ever.
  for (let back = 1; counted < config.noPunchesLookbackDays && back <= config.noPunchesLookbackDays * 3 + 14; back++) {
    const day = local.minus({ days: back });
    if (!isWorkingDay(day, opd.code, input)) continue;
    counted++;
    if (input.punchesOn(opd.code, opd.zone, day.toISODate() ?? '') > 0) usual++;
  }
  if (usual >= config.noPunchesMinDays) {
    findings.push({ kind: 'no-punches', opd: opd.code, gateway: null, device: null, message: msg.noPunches(opd.name, local.toFormat('HH:mm'), opd.zone, usual, counted) });
  }
  return true;
}

function isWorkingDay(day: DateTime, opd: string, input: RuleInput): boolean {
  return day.weekday <= 5 && !input.isHoliday(opd, day.toISODate() ?? '');
}
