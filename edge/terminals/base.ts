import type { Logger } from 'pino';
import type { TerminalContext, TerminalDriver } from './terminal.js';

export type TerminalState = 'online' | 'offline' | 'error';

/**
 * What every driver shares: its settings, the gateway context, a logger, state
 * changes recorded durably (only on change, so a flapping port does not flood the
 * outbox), and a pause that stop() can cut short.
 */
export abstract class TerminalBase<C extends { id: string; zone: string }> implements TerminalDriver {
  abstract readonly driver: string;
  private lastState: TerminalState | undefined;
  private wake: (() => void) | undefined;

  constructor(
    protected readonly config: C,
    protected readonly ctx: TerminalContext,
    protected readonly log: Logger,
  ) {}

  get id(): string {
    return this.config.id;
  }

  get zone(): string {
    return this.config.zone;
  }

  protected get state(): TerminalState | undefined {
    return this.lastState;
  }

  protected setState(state: TerminalState, reason?: string): void {
    if (state === this.lastState) return;
    this.lastState = state;
    this.ctx.record({ kind: 'terminal_status', terminal: this.id, state, at: new Date().toISOString(), ...(reason !== undefined && { reason: reason.slice(0, 500) }) });
  }

  /** Sleeps `ms`, or less when wakeUp() is called (on stop). */
  protected pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }

  protected wakeUp(): void {
    this.wake?.();
  }

  abstract start(): void;
  abstract stop(): Promise<void>;
}
