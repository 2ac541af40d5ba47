/**
 * The alerts the page knows: the open ones (GET /api/alerts) and recent history (GET
 * /api/alerts/recent), kept current by the stream's alert-raised, alert-acknowledged
 * and alert-cleared events in between fetches. No DOM here, so it is tested in Node.
 */
import type { ApiAlert } from './api-types.js';
import type { Language } from './i18n.js';

export type AlertEventName = 'alert-raised' | 'alert-acknowledged' | 'alert-cleared';

const RECENT_KEPT = 200;
const SEVERITY_RANK = { critical: 0, warning: 1 } as const;

/** A person in danger, not a device: shown apart, above everything else. */
export function isPanic(alert: ApiAlert): boolean {
  return alert.kind === 'panic';
}

/** Panics first, then unacknowledged, then critical before warning, then newest first. */
export function compareAlerts(a: ApiAlert, b: ApiAlert): number {
  return (
    Number(isPanic(b)) - Number(isPanic(a)) ||
    Number(a.acknowledgedAt !== null) - Number(b.acknowledgedAt !== null) ||
    SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] ||
    Date.parse(b.raisedAt) - Date.parse(a.raisedAt) ||
    b.id - a.id
  );
}

function newestFirst(a: ApiAlert, b: ApiAlert): number {
  return Date.parse(b.raisedAt) - Date.parse(a.raisedAt) || b.id - a.id;
}

export class AlertBook {
  /** undefined until the first answer; false when the central has no alert engine (404). */
  available: boolean | undefined;
  private readonly openById = new Map<number, ApiAlert>();
  private recentById = new Map<number, ApiAlert>();
  private recentLoaded = false;
  /** Bumped by every stream event, so a fetch that started earlier does not undo it. */
  private version = 0;

  /** Call when a fetch of the open alerts starts; hand the result to `setOpen` with it. */
  mark(): number {
    return this.version;
  }

  setOpen(alerts: readonly ApiAlert[], startedAt: number): void {
    this.available = true;
    if (startedAt !== this.version) {
      // An event arrived while the answer was on its way: both are partly news, merge.
      for (const a of alerts) if (!this.openById.has(a.id)) this.openById.set(a.id, a);
      return;
    }
    this.openById.clear();
    for (const a of alerts) this.openById.set(a.id, a);
  }

  setRecent(alerts: readonly ApiAlert[]): void {
    this.recentById = new Map(alerts.map((a) => [a.id, a]));
    this.recentLoaded = true;
  }

  get hasRecent(): boolean {
    return this.recentLoaded;
  }

  /** A stream event. Returns the alert when it is newly raised (the caller sounds the tone). */
  apply(event: AlertEventName, alert: ApiAlert): ApiAlert | undefined {
    this.version++;
    this.available = true;
    const known = this.openById.has(alert.id) || this.recentById.has(alert.id);
    if (event === 'alert-cleared' || alert.clearedAt !== null) this.openById.delete(alert.id);
    else this.openById.set(alert.id, alert);
    this.recentById.set(alert.id, alert);
    if (this.recentById.size > RECENT_KEPT) {
      const keep = [...this.recentById.values()].sort(newestFirst).slice(0, RECENT_KEPT);
      this.recentById = new Map(keep.map((a) => [a.id, a]));
    }
    return event === 'alert-raised' && !known ? alert : undefined;
  }

  open(opd?: string): ApiAlert[] {
    return [...this.openById.values()].filter((a) => opd === undefined || a.opd === opd).sort(compareAlerts);
  }

  recent(opd?: string, limit = 100): ApiAlert[] {
    return [...this.recentById.values()]
      .filter((a) => opd === undefined || a.opd === opd)
      .sort(newestFirst)
      .slice(0, limit);
  }

  unacknowledged(): ApiAlert[] {
    return this.open().filter((a) => a.acknowledgedAt === null);
  }

  /**
   * Panics nobody acknowledged, newest first. The central clears a panic when it is
   * acknowledged, so in practice these are all the open ones.
   */
  panics(): ApiAlert[] {
    return this.unacknowledged()
      .filter(isPanic)
      .sort((a, b) => Date.parse(b.raisedAt) - Date.parse(a.raisedAt) || b.id - a.id);
  }

  /** What the ordinary banner counts: the panic banner shows the rest. */
  unacknowledgedDeviceAlerts(): ApiAlert[] {
    return this.unacknowledged().filter((a) => !isPanic(a));
  }
}

export interface BannerSummary {
  /** Open alerts nobody acknowledged yet. */
  count: number;
  /** The newest critical one of them, else the newest of them. */
  top: ApiAlert;
  critical: boolean;
}

export function bannerSummary(unacknowledged: readonly ApiAlert[]): BannerSummary | undefined {
  if (unacknowledged.length === 0) return undefined;
  const sorted = [...unacknowledged].sort(newestFirst);
  const critical = sorted.find((a) => a.severity === 'critical');
  return { count: sorted.length, top: critical ?? sorted[0]!, critical: critical !== undefined };
}

/** The alert's text in the page's language (the central stores both when it raises one). */
export function alertText(alert: ApiAlert, lang: Language): string {
  return alert.message[lang] || alert.message.id;
}
