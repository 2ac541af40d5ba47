/// <reference lib="dom" />
import { AlertBook, type AlertEventName } from './alerts-model.js';
import { isStatus, request } from './api.js';
import type { ApiAlert, ApiCamera, ApiOpenAlerts, ApiRecentAlerts, ApiState } from './api-types.js';
import { stateWithoutView } from './session.js';

/**
 * The command room's data, kept live without reloading:
 *  - an EventSource on /api/events; every `change` refetches /api/state, /api/cameras
 *    and the open alerts (one fetch at a time, a change during a fetch causes one
 *    more); `alert-raised|acknowledged|cleared` update the alerts at once;
 *  - a refetch every 15 s whatever happens (the fallback when the stream is down);
 *  - the stream counts as down on an error, or when no event (the central sends a
 *    `ping` every 15 s) arrived for 40 s; then it is reopened;
 *  - `complaint` and `dataset` only say that something changed (ids and counts: the
 *    stream reaches anonymous walls too): they go to the hooks, and the pages that fetch
 *    their own data (Pengaduan, Data OPD, the wall's tiles) refetch with a Refetch.
 * It only fetches: what the page shows of it is the page's business (LiveHooks).
 */

const REFETCH_MS = 15_000;
const STREAM_SILENT_MS = 40_000;
const RECENT_REFETCH_MS = 10_000;
/** The alerts page opened without the recent alerts: asked for at most this often. */
const RECENT_FIRST_MS = 2000;

/** The `complaint` event (central/bridges/events.ts): the page fetches the rest itself. */
export interface ComplaintEvent {
  id: number;
  state: string;
  opd: string | null;
}

/** The `dataset` event, at most one per dataset every 0.5 s: rows accepted since the last one. */
export interface DatasetEvent {
  slug: string;
  rows: number;
  latestAt: string | null;
}

export interface LiveData {
  state: ApiState;
  cameras: ApiCamera[];
}

export interface Connection {
  stream: 'connecting' | 'open' | 'down';
  /** When the last fetch succeeded (this browser's clock). */
  lastOkAt: number | undefined;
  /** The last fetch failed for another reason than a login: the central is out of reach. */
  fetchFailed: boolean;
}

export interface LiveHooks {
  /** Whether the views are shown (not the login form): nothing is fetched otherwise. */
  active(): boolean;
  /** Whether the alerts page is open: it lists the recent alerts too. */
  onAlertsPage(): boolean;
  /** The data or the alerts changed. */
  changed(): void;
  /** The connection's state changed. */
  connectionChanged(): void;
  /** An alert event was applied; `raised` is the alert it raised, if it raised one. */
  alertEvent(raised: ApiAlert | undefined): void;
  /** A complaint was filed or changed; undefined: the stream came back, anything may have. */
  complaintEvent(event: ComplaintEvent | undefined): void;
  /** A dataset took rows or was registered; undefined: the stream came back, anything may have. */
  datasetEvent(event: DatasetEvent | undefined): void;
}

/**
 * The stream's state for pages that fetch their own data (there is one Live a page):
 * they poll only while it is not open.
 */
let sharedStream: Connection['stream'] = 'connecting';
export const streamState = (): Connection['stream'] => sharedStream;

/**
 * When a page's own data (complaints, datasets) is due again: after events about it,
 * once per burst (`burstMs` after the first), and only while the stream is not open
 * also when older than `fallbackMs`. An open stream tells of every change, and of
 * changes missed while it was away when it comes back (the hooks' undefined event).
 */
export class Refetch {
  private changed = false;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly burstMs: number,
    private readonly fallbackMs: number,
  ) {}

  /** Something changed: due after the burst, and then `due` is called (e.g. to render). */
  event(due: () => void = () => undefined): void {
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.changed = true;
      due();
    }, this.burstMs);
  }

  /** Whether data fetched at `fetchedAt` (0: never; `failed`: it did not come) should be fetched now. */
  due(fetchedAt: number, failed = false): boolean {
    if (fetchedAt === 0 || this.changed) return true;
    return (failed || streamState() !== 'open') && Date.now() - fetchedAt > this.fallbackMs;
  }

  /** A fetch starts now: it sees every change told of so far. */
  fetching(): void {
    this.changed = false;
  }

  /** Whether events asked for a fetch; the caller fetches now (a superseding fetch, not one a fetch in flight swallows). */
  take(): boolean {
    const changed = this.changed;
    this.changed = false;
    return changed;
  }

  /**
   * For refresh functions that take the age after which data is due: `fallbackMs` while
   * the stream is not open; else an age only data never fetched (at time 0) reaches.
   */
  maxAgeMs(): number {
    return streamState() === 'open' ? Date.now() - 1 : this.fallbackMs;
  }

  reset(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.changed = false;
  }
}

export class Live {
  /** The last /api/state and /api/cameras; undefined before the first (or for a new user). */
  data: LiveData | undefined;
  readonly alerts = new AlertBook();
  private everOpen = false;
  private lastOkAt: number | undefined;
  private fetchFailed = false;
  /** Server clock minus this browser's clock, from the last /api/state (ms). */
  private clockOffsetMs = 0;
  private lastEventAt = Date.now();
  private source: EventSource | undefined;
  private inFlight = false;
  private again = false;
  private recentFetchedAt = 0;

  constructor(private readonly hooks: LiveHooks) {}

  private get stream(): Connection['stream'] {
    return sharedStream;
  }

  private set stream(value: Connection['stream']) {
    sharedStream = value;
  }

  start(): void {
    setInterval(() => void this.refresh(), REFETCH_MS);
  }

  connection(): Connection {
    return { stream: this.stream, lastOkAt: this.lastOkAt, fetchFailed: this.fetchFailed };
  }

  serverNow(): number {
    return Date.now() + this.clockOffsetMs;
  }

  /** Opens the stream unless it is open (or opening) already. */
  open(): void {
    if (!this.source) this.connect();
  }

  stop(): void {
    this.source?.close();
    this.source = undefined;
    this.stream = 'connecting';
  }

  /** Every second: a silently dead connection (NAT, proxy) is replaced by a new one. */
  watchdog(): void {
    if (this.stream === 'open' && Date.now() - this.lastEventAt > STREAM_SILENT_MS) {
      this.stream = 'down';
      this.connect();
    }
  }

  /** The alerts page is shown: the recent alerts are fetched unless they are here or were just asked for. */
  wantRecent(): void {
    if (this.alerts.available !== false && !this.alerts.hasRecent && Date.now() - this.recentFetchedAt > RECENT_FIRST_MS) this.loadRecent();
  }

  /** Acknowledges an alert as the logged-in user; rejects with the central's reason. */
  readonly acknowledge = async (id: number): Promise<void> => {
    const alert = await request<ApiAlert>(`/api/alerts/${id}/ack`, { method: 'POST' });
    // A panic comes back cleared by its acknowledgement: apply() takes it off the open list.
    this.alerts.apply('alert-acknowledged', alert);
    this.hooks.changed();
  };

  async refresh(): Promise<void> {
    if (!this.hooks.active()) return;
    if (this.inFlight) {
      this.again = true;
      return;
    }
    this.inFlight = true;
    try {
      const mark = this.alerts.mark();
      // Staff of one OPD may not read the wall's data (403): they get their OPD only, and no alerts.
      const scoped = await stateWithoutView();
      const [state, cameras, open] = scoped
        ? [scoped, [], undefined]
        : await Promise.all([request<ApiState>('/api/state'), request<ApiCamera[]>('/api/cameras'), this.openAlerts()]);
      const at = Date.parse(state.at);
      if (Number.isFinite(at)) this.clockOffsetMs = at - Date.now();
      this.data = { state, cameras };
      if (open) this.alerts.setOpen(open, mark);
      this.lastOkAt = Date.now();
      this.fetchFailed = false;
      if (this.hooks.onAlertsPage() && this.alerts.available !== false && Date.now() - this.recentFetchedAt > RECENT_REFETCH_MS) this.loadRecent();
      this.hooks.changed();
    } catch (err) {
      // A 401 has shown the login form already; anything else means the central is out of reach.
      if (!isStatus(err, 401)) {
        this.fetchFailed = true;
        this.hooks.connectionChanged();
      }
    } finally {
      this.inFlight = false;
      if (this.again) {
        this.again = false;
        void this.refresh();
      }
    }
  }

  private async openAlerts(): Promise<ApiAlert[] | undefined> {
    try {
      return (await request<ApiOpenAlerts>('/api/alerts')).open;
    } catch (err) {
      // A central without the alert engine (or an older one): the rest of the page works.
      if (isStatus(err, 404)) {
        this.alerts.available = false;
        return undefined;
      }
      throw err;
    }
  }

  private loadRecent(): void {
    this.recentFetchedAt = Date.now();
    request<ApiRecentAlerts>('/api/alerts/recent?limit=100').then(
      (r) => {
        this.alerts.setRecent(r.alerts);
        if (this.hooks.onAlertsPage()) this.hooks.changed();
      },
      () => undefined, // shown as loading; the next refresh tries again
    );
  }

  private onAlertEvent(name: AlertEventName, event: MessageEvent<string>): void {
    this.lastEventAt = Date.now();
    let alert: ApiAlert;
    try {
      alert = JSON.parse(event.data) as ApiAlert;
    } catch {
      return;
    }
    this.hooks.alertEvent(this.alerts.apply(name, alert));
  }

  private connect(): void {
    this.source?.close();
    this.stream = 'connecting';
    this.lastEventAt = Date.now();
    const es = new EventSource('/api/events');
    this.source = es;
    es.onopen = () => {
      this.stream = 'open';
      this.lastEventAt = Date.now();
      this.hooks.connectionChanged();
      void this.refresh(); // whatever changed while the stream was away
      // Pages with their own data fetched it when they were first shown; after a gap they catch up.
      if (this.everOpen) {
        this.hooks.complaintEvent(undefined);
        this.hooks.datasetEvent(undefined);
      }
      this.everOpen = true;
    };
    es.addEventListener('change', () => {
      this.lastEventAt = Date.now();
      void this.refresh();
    });
    es.addEventListener('ping', () => {
      this.lastEventAt = Date.now();
      if (this.stream !== 'open') this.stream = 'open';
    });
    for (const name of ['alert-raised', 'alert-acknowledged', 'alert-cleared'] as const) es.addEventListener(name, (e) => this.onAlertEvent(name, e));
    es.addEventListener('complaint', (e) => {
      this.lastEventAt = Date.now();
      this.hooks.complaintEvent(parseEvent<ComplaintEvent>(e));
    });
    es.addEventListener('dataset', (e) => {
      this.lastEventAt = Date.now();
      this.hooks.datasetEvent(parseEvent<DatasetEvent>(e));
    });
    es.onerror = () => {
      this.stream = 'down';
      this.hooks.connectionChanged();
      // An EventSource does not tell a 401 from a dead server: a fetch does.
      void this.refresh();
      // The browser retries by itself unless the stream is closed for good.
      if (es.readyState === EventSource.CLOSED && this.source === es) setTimeout(() => this.source === es && this.hooks.active() && this.connect(), 5000);
    };
  }
}

/** An event's body; undefined when it is not JSON (then the page refetches everything). */
function parseEvent<T>(event: MessageEvent<string>): T | undefined {
  try {
    return JSON.parse(event.data) as T;
  } catch {
    return undefined;
  }
}
