import {
  decodeConfirmation,
  decodeReadSysParaReply,
  decodeSearchReply,
  genImg,
  img2Tz,
  readSysPara,
  search,
  vfyPwd,
  type R30xPacket,
} from '../../../protocols/r30x/index.js';
import type { R30xTerminalConfig } from './config.js';
import { TerminalBase } from '../base.js';
import { R30xLink } from './link.js';
import { deviceTimeToUtc, utcToDeviceTime, type TerminalDriver } from '../terminal.js';

/**
 * A locally built terminal: an R30x/AS608 fingerprint module on a serial port. The
 * module only matches fingers; the gateway polls it (GenImg -> Img2Tz -> Search)
 * and turns a match into a punch for the employee mapped to the template's page.
 * It has no clock, so the punch time is the gateway's. Enrolment is out of scope:
 * templates are enrolled with the vendor's tool and mapped in config.
 */
export class R30xTerminal extends TerminalBase<R30xTerminalConfig> implements TerminalDriver {
  readonly driver = 'r30x';
  private link: R30xLink | undefined;
  private stopped = true;
  private loop: Promise<void> | undefined;
  private lastMatch = { pageId: -1, atMs: 0 };
  readonly stats = { polls: 0, matches: 0, unknownFingers: 0, badImages: 0 };

  start(): void {
    this.stopped = false;
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        const c = this.config;
        this.link = new R30xLink({ path: c.port, baudRate: c.baudRate, address: c.address, replyTimeoutMs: c.replyTimeoutMs }, (noise) =>
          this.log.debug({ err: noise }, 'line noise from fingerprint module skipped'),
        );
        await this.link.open();
        await this.serve();
      } catch (err) {
        if (this.stopped) break;
        const reason = (err as Error).message;
        this.setState('offline', reason);
        this.log.warn({ port: this.config.port, retryInMs: this.config.reopenDelayMs }, `fingerprint module unavailable: ${reason}`);
      } finally {
        this.link?.close();
      }
      if (!this.stopped) await this.pause(this.config.reopenDelayMs);
    }
  }

  private async serve(): Promise<void> {
    const { address } = this.config;
    const pwd = decodeConfirmation(await this.command(vfyPwd(this.config.password, address), 'VfyPwd'));
    if (!pwd.ok) {
      this.setState('error', `module refused the password (${pwd.name}): set password in the terminal config`);
      throw new Error(`module refused the password: ${pwd.meaning}`);
    }
    const sys = decodeReadSysParaReply(await this.command(readSysPara(address), 'ReadSysPara'));
    const librarySize = sys.params?.librarySize ?? this.config.librarySize;
    this.setState('online');
    this.log.info({ port: this.config.port, librarySize, securityLevel: sys.params?.securityLevel }, 'fingerprint module ready');
    while (!this.stopped) {
      await this.pollOnce(librarySize);
      await this.pause(this.config.pollIntervalMs);
    }
  }

  private async pollOnce(librarySize: number): Promise<void> {
    const { address } = this.config;
    this.stats.polls++;
    const image = decodeConfirmation(await this.command(genImg(address), 'GenImg'));
    if (image.name === 'NO_FINGER') return;
    if (!image.ok) return void this.stats.badImages++;
    const features = decodeConfirmation(await this.command(img2Tz(1, address), 'Img2Tz'));
    if (!features.ok) {
      this.stats.badImages++;
      return void this.log.info({ reason: features.meaning }, 'finger image unusable; employee should try again');
    }
    const result = decodeSearchReply(await this.command(search(1, 0, librarySize, address), 'Search'));
    if (!result.match) {
      this.stats.unknownFingers++;
      return void this.log.info({ reason: result.confirmation.meaning }, 'finger not in the library');
    }
    const { pageId, score } = result.match;
    const nowMs = Date.now();
    // A finger left on the sensor matches on every poll: one punch per placement.
    if (pageId === this.lastMatch.pageId && nowMs - this.lastMatch.atMs < this.config.repeatWindowMs) return;
    this.lastMatch = { pageId, atMs: nowMs };
    this.stats.matches++;
    const employee = this.config.employees[String(pageId)] ?? `${this.config.unmappedPrefix}${pageId}`;
    const deviceTime = utcToDeviceTime(nowMs, this.zone);
    this.ctx.record({
      kind: 'punch',
      terminal: this.id,
      employee,
      deviceTime,
      zone: this.zone,
      time: deviceTimeToUtc(deviceTime, this.zone),
      skewMs: null,
      verify: 'finger',
      receivedAt: new Date(nowMs).toISOString(),
    });
    this.log.info({ pageId, score, employee, mapped: String(pageId) in this.config.employees }, 'fingerprint match');
  }

  private command(packet: Buffer, what: string): Promise<R30xPacket> {
    if (!this.link) return Promise.reject(new Error('module not open'));
    return this.link.command(packet, what);
  }


  async stop(): Promise<void> {
    this.stopped = true;
    this.wakeUp();
    this.link?.fail(new Error('stopping'));
    await this.loop;
  }
}
