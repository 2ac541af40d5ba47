import { EventEmitter } from 'node:events';
import type { ComplaintState } from './complaint.js';

/**
 * What the bridges tell the command room's event stream (central/http.ts forwards it as
 * SSE to every viewer, an anonymous wall included): that something changed, never what a
 * citizen wrote. Pages fetch the details again through the permission-checked routes.
 *   complaint  {id, state, opd}           filed, routed, reassigned, acknowledged, closed
 *   dataset    {slug, rows, latestAt}     rows accepted (HTTP, CSV or MQTT) or registered;
 *                                         `rows` sums the pushes of one coalescing window
 */

export interface ComplaintEvent {
  id: number;
  state: ComplaintState;
  opd: string | null;
}

export interface DatasetEvent {
  slug: string;
  /** Rows accepted since the previous event of this dataset (0: registered). */
  rows: number;
  /** The dataset's newest row time (ISO), null before its first row. */
  latestAt: string | null;
}

export interface BridgeEventMap {
  complaint: [ComplaintEvent];
  dataset: [DatasetEvent];
}

export type BridgeEventName = keyof BridgeEventMap;

/** A sender pushing small batches many times a second must not make every wall refetch as often. */
export const DATASET_COALESCE_MS = 500;

export class BridgeEvents extends EventEmitter<BridgeEventMap> {
  private readonly pending = new Map<string, { event: DatasetEvent; timer: NodeJS.Timeout }>();

  constructor(private readonly coalesceMs = DATASET_COALESCE_MS) {
    super();
  }

  complaintChanged(c: { id: number; state: ComplaintState; opd: string | null }): void {
    // Copied field by field: a whole Complaint passed here must not leak its text, reporter or photo.
    this.emit('complaint', { id: c.id, state: c.state, opd: c.opd });
  }

  /**
   * At most one `dataset` event per dataset per window: the first change opens the
   * window, the event goes out when it ends (not reset by later changes, so a steady
   * stream of pushes still shows every window).
   */
  datasetChanged(slug: string, rows: number, latestAt: string | null): void {
    const open = this.pending.get(slug);
    if (open) {
      open.event.rows += rows;
      open.event.latestAt = latestAt ?? open.event.latestAt;
      return;
    }
    const event: DatasetEvent = { slug, rows, latestAt };
    const timer = setTimeout(() => {
      this.pending.delete(slug);
      this.emit('dataset', event);
    }, this.coalesceMs);
    // A central stopping does not wait for a wall to hear of the last push.
    timer.unref();
    this.pending.set(slug, { event, timer });
  }

  /** Drops what is still waiting in a window; nothing is emitted afterwards. */
  close(): void {
    for (const { timer } of this.pending.values()) clearTimeout(timer);
    this.pending.clear();
    this.removeAllListeners();
  }
}

/** Hands every bridge event to `send` (the SSE writer); returns the unsubscribe. */
export function forwardBridgeEvents(events: BridgeEvents, send: (event: BridgeEventName, body: ComplaintEvent | DatasetEvent) => void): () => void {
  const complaint = (body: ComplaintEvent) => send('complaint', body);
  const dataset = (body: DatasetEvent) => send('dataset', body);
  events.on('complaint', complaint);
  events.on('dataset', dataset);
  return () => {
    events.off('complaint', complaint);
    events.off('dataset', dataset);
  };
}
