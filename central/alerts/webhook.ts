import type { Logger } from 'pino';
import type { AlertsConfig } from './config.js';
import type { AlertStore, QueuedNotification } from './store.js';

export type WebhookConfig = NonNullable<AlertsConfig['webhook']>;

type Outcome = { result: 'delivered' } | { result: 'retry'; error: string } | { result: 'rejected'; error: string };

/** Retryable statuses besides 5xx: the receiver asks us to come back later. */
const RETRY_STATUSES = new Set([408, 425, 429]);

/** 1 s, 2 s, 4 s ... capped: a receiver that is down is not hammered, one that recovers is reached soon. */
export function retryDelayMs(config: Pick<WebhookConfig, 'retryBaseMs' | 'retryMaxMs'>, failedAttempts: number): number {
  return Math.min(config.retryMaxMs, config.retryBaseMs * 2 ** Math.max(0, failedAttempts - 1));
}

/**
 * Delivers queued alert notifications to the webhook, oldest first, one at a time.
 * The queue is the SQLite table, so a restart resumes where delivery stopped. A
 * notification is deleted only after a 2xx; a crash between the 2xx and the delete
 * sends it again, which the receiver drops by the Idempotency-Key header.
 */
export class WebhookSender {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private readonly abort = new AbortController();

  constructor(
    private readonly store: AlertStore,
    private readonly config: WebhookConfig,
    private readonly log: Logger,
  ) {}

  /**
   * Resumes delivery after a (re)start at once, whatever backoff was pending: the
   * receiver or the configured URL may well be what the restart fixed.
   */
  start(): void {
    this.store.retryAllBy(Date.now());
    this.kick();
  }

  /** Something was queued: deliver what is due. */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    clearTimeout(this.timer);
    this.timer = undefined;
    this.running = this.pump().finally(() => {
      this.running = undefined;
      if (this.again) {
        this.again = false;
        this.kick();
      }
    });
  }

  /** Stops retrying and abandons an attempt in flight; what is undelivered stays queued. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.abort.abort();
    await this.running;
  }

  private async pump(): Promise<void> {
    while (!this.stopped) {
      const head = this.store.nextNotification();
      if (!head) return;
      const waitMs = head.nextAt - Date.now();
      if (waitMs > 0) {
        this.timer = setTimeout(() => this.kick(), waitMs);
        this.timer.unref();
        return;
      }
      const outcome = await this.deliver(head);
      if (this.stopped && outcome.result !== 'delivered') return;
      const fields = { notification: head.id, attempt: head.attempts + 1 };
      switch (outcome.result) {
        case 'delivered':
          this.store.dequeue(head.seq);
          this.log.debug(fields, 'alert notification delivered');
          break;
        case 'rejected':
          // The receiver refuses this body for good: retrying cannot help, and holding it would block the queue.
          this.store.dequeue(head.seq);
          this.log.error({ ...fields, url: this.config.url, error: outcome.error }, 'webhook rejected an alert notification; dropped (check the receiver)');
          break;
        case 'retry': {
          const delayMs = retryDelayMs(this.config, head.attempts + 1);
          this.store.retryLater(head.seq, Date.now() + delayMs, outcome.error);
          const level = head.attempts === 0 || (head.attempts + 1) % 10 === 0 ? 'warn' : 'debug';
          this.log[level]({ ...fields, url: this.config.url, error: outcome.error, retryInMs: delayMs }, 'webhook delivery failed; will retry');
          break;
        }
      }
    }
  }

  private async deliver(n: QueuedNotification): Promise<Outcome> {
    const headers: Record<string, string> = { 'Content-Type': 'application/json', 'Idempotency-Key': n.id, 'User-Agent': 'pemda-central-alerts' };
    if (this.config.token !== undefined) headers.Authorization = `Bearer ${this.config.token}`;
    try {
      const res = await fetch(this.config.url, {
        method: 'POST',
        headers,
        body: n.body,
        redirect: 'manual',
        signal: AbortSignal.any([AbortSignal.timeout(this.config.timeoutMs), this.abort.signal]),
      });
      // Read the body so the connection goes back to the pool; keep a little for the log.
      const text = (await res.text()).slice(0, 200);
      if (res.status >= 200 && res.status < 300) return { result: 'delivered' };
      const error = `HTTP ${res.status}${text ? `: ${text}` : ''}`;
      return res.status >= 500 || RETRY_STATUSES.has(res.status) ? { result: 'retry', error } : { result: 'rejected', error };
    } catch (err) {
      const e = err as Error & { cause?: { code?: string } };
      const error = e.name === 'TimeoutError' ? `no answer in ${this.config.timeoutMs} ms` : `${e.message}${e.cause?.code ? ` (${e.cause.code})` : ''}`;
      return { result: 'retry', error };
    }
  }
}
