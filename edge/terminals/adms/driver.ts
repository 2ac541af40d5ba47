import type { Logger } from 'pino';
import type { AttlogParseResult } from '../../../protocols/adms/index.js';
import type { AdmsTerminalConfig } from './config.js';
import { deviceTimeToUtc, naiveToIso, type TerminalContext, type TerminalDriver } from '../terminal.js';
import type { AdmsServer, AdmsDevice } from './server.js';
import { TerminalBase } from '../base.js';

/**
 * A terminal that pushes to the gateway over HTTP (ADMS). It is online while it
 * keeps contacting us (it polls every few seconds) and offline after a silence.
 */
export class AdmsTerminal extends TerminalBase<AdmsTerminalConfig> implements TerminalDriver, AdmsDevice {
  readonly driver = 'adms';
  private silenceTimer: NodeJS.Timeout | undefined;

  constructor(
    config: AdmsTerminalConfig,
    ctx: TerminalContext,
    log: Logger,
    private readonly server: AdmsServer,
  ) {
    super(config, ctx, log);
  }

  start(): void {
    this.server.register(this.config.serialNumber, this);
  }

  onContact(remote: string): void {
    if (this.state !== 'online') this.log.info({ remote, sn: this.config.serialNumber }, 'ADMS terminal in contact');
    this.setState('online');
    clearTimeout(this.silenceTimer);
    this.silenceTimer = setTimeout(() => this.setState('offline', `no contact for ${this.config.offlineAfterS} s`), this.config.offlineAfterS * 1000);
    this.silenceTimer.unref();
  }

  onAttlog(result: AttlogParseResult, stamp: string | null): void {
    const receivedAt = new Date().toISOString();
    const seqs = this.ctx.recordMany(
      result.punches.map((p) => {
        const deviceTime = naiveToIso(p.deviceTime);
        return {
          kind: 'punch' as const,
          terminal: this.id,
          employee: p.pin,
          deviceTime,
          zone: this.zone,
          time: deviceTimeToUtc(deviceTime, this.zone),
          skewMs: null,
          status: String(p.status),
          verify: String(p.verify),
          ...(p.workcode !== null && { workcode: p.workcode }),
          receivedAt,
        };
      }),
    );
    if (stamp !== null) this.ctx.setState(`adms:${this.id}:stamp`, stamp);
    for (const e of result.errors) this.log.warn({ line: e.line, where: e.error.where }, `malformed ATTLOG line from terminal: ${e.reason}`);
    this.log.info({ punches: result.punches.length, new: seqs.length, badLines: result.errors.length, stamp }, 'ADMS attendance upload');
  }

  attlogStamp(): string | undefined {
    return this.ctx.getState(`adms:${this.id}:stamp`);
  }

  async stop(): Promise<void> {
    clearTimeout(this.silenceTimer);
  }
}
