import { accessSync, constants, mkdirSync, statfsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import mqtt from 'mqtt';
import { SerialPort } from 'serialport';
import { CMD, decodeFreeSizes, decodeGetTimeReply } from '../../protocols/zk/index.js';
import { decodeConfirmation, decodeTemplateNumReply, readSysPara, templateNum, vfyPwd, decodeReadSysParaReply } from '../../protocols/r30x/index.js';
import { Topics } from '../../protocols/mqtt/topics.js';
import sharp from 'sharp';
import type { GatewayConfig, TerminalConfig } from '../config.js';
import { brokerTls } from '../publisher.js';
import type { CameraConfig } from '../cameras/config.js';
import { CameraAuthError, grabFrame, resolveOnvif } from '../cameras/grab.js';
import { ZkAuthError, ZkSession } from '../terminals/zk/session.js';
import { SerialTransport, TcpTransport, UdpTransport } from '../terminals/zk/transport.js';
import { R30xLink } from '../terminals/r30x/link.js';
import { deviceTimeToUtc, naiveToIso } from '../terminals/terminal.js';
import type { Say } from './doctor-text.js';

export type Verdict = 'ok' | 'warn' | 'fail';

export interface CheckResult {
  verdict: Verdict;
  what: string;
  detail: string;
  /** What to do, for every verdict but ok. */
  advice?: string;
}

/** Each check answers in the technician's language; none throws. */
export type Check = (say: Say) => Promise<CheckResult>;

export function dataDirCheck(config: GatewayConfig): Check {
  return async (say) => {
    const dir = config.gateway.dataDir;
    const what = say('dataDir.what', { dir });
    try {
      mkdirSync(dir, { recursive: true });
      accessSync(dir, constants.W_OK);
    } catch (err) {
      return { verdict: 'fail', what, detail: (err as Error).message, advice: say('dataDir.notWritable', { dir }) };
    }
    const s = statfsSync(dir);
    const freeMB = Math.round((s.bavail * s.bsize) / 1024 / 1024);
    const needMB = Math.max(100, 2 * config.gateway.outboxBudgetMB);
    if (freeMB < 100) return { verdict: 'fail', what, detail: say('dataDir.free', { freeMB }), advice: say('dataDir.full') };
    if (freeMB < needMB) return { verdict: 'warn', what, detail: say('dataDir.free', { freeMB }), advice: say('dataDir.low', { needMB }) };
    return { verdict: 'ok', what, detail: say('dataDir.free', { freeMB }) };
  };
}

export function brokerCheck(config: GatewayConfig): Check {
  return async (say) => {
    const { url, username, password, topicRoot } = config.mqtt;
    const what = say('broker.what', { url });
    let client: mqtt.MqttClient;
    try {
      client = await mqtt.connectAsync(url, {
        // Never the gateway's own client id: connecting would throw the running gateway off.
        clientId: `pemda-doctor-${randomUUID().slice(0, 8)}`,
        reconnectPeriod: 0,
        connectTimeout: 5000,
        ...(username !== undefined && { username }),
        ...(password !== undefined && { password }),
        ...brokerTls(config.mqtt),
      });
    } catch (err) {
      const message = (err as Error).message;
      const refusedAuth = /not authori[sz]ed|bad user ?name or password/i.test(message);
      // Node's TLS errors: an unknown CA, a certificate for another name, an expired one.
      const badTls = /certificate|self[- ]signed|altnames|ERR_TLS|ENOENT.*\.(crt|pem)/i.test(message);
      return { verdict: 'fail', what, detail: message, advice: say(refusedAuth ? 'broker.auth' : badTls ? 'broker.tls' : 'broker.unreachable', { url }) };
    }
    try {
      const topics = new Topics(topicRoot);
      // Any aggregator online will do; retained states arrive together right after subscribing.
      const state = await new Promise<string | undefined>((resolve) => {
        let seen: string | undefined;
        const timer = setTimeout(() => resolve(seen), 3000);
        client.on('message', (t, payload) => {
          if (!t.startsWith(topics.centralState())) return;
          try {
            seen = String((JSON.parse(payload.toString()) as { state?: unknown }).state);
          } catch {
            return;
          }
          if (seen === 'online') {
            clearTimeout(timer);
            resolve(seen);
          }
        });
        client.subscribe(topics.centralStates(), { qos: 1 });
      });
      if (state === 'online') return { verdict: 'ok', what, detail: say('broker.centralOnline') };
      return { verdict: 'warn', what, detail: say('broker.centralOffline', { state: state ?? '?' }), advice: say('broker.centralAdvice') };
    } finally {
      await client.endAsync(true);
    }
  };
}

export function clockCheck(): Check {
  return async (say) => {
    const what = say('clock.what');
    let synced: string;
    try {
      synced = execFileSync('timedatectl', ['show', '-p', 'NTPSynchronized', '--value'], { encoding: 'utf8', timeout: 3000, stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      return { verdict: 'warn', what, detail: say('clock.unknown'), advice: say('clock.advice') };
    }
    return synced === 'yes' ? { verdict: 'ok', what, detail: say('clock.synced') } : { verdict: 'warn', what, detail: say('clock.notSynced'), advice: say('clock.advice') };
  };
}

export function terminalCheck(t: TerminalConfig): Check {
  switch (t.driver) {
    case 'zk':
      return zkCheck(t);
    case 'r30x':
      return r30xCheck(t);
    case 'line-serial':
      return serialOpenCheck(t.id, t.port, t.baudRate);
    case 'adms':
      return async (say) => ({ verdict: 'warn', what: say('terminal.what', { id: t.id, driver: t.driver }), detail: say('adms.detail', { sn: t.serialNumber }), advice: say('adms.advice') });
  }
}

function zkCheck(t: Extract<TerminalConfig, { driver: 'zk' }>): Check {
  return async (say) => {
    const what = say('terminal.what', { id: t.id, driver: `zk/${t.transport}` });
    const transport = t.transport === 'udp' ? new UdpTransport(t.host!, t.port) : t.transport === 'serial' ? new SerialTransport(t.serialPort!, t.baudRate) : new TcpTransport(t.host!, t.port);
    const session = new ZkSession(transport, { commKey: t.commKey, timeoutMs: Math.min(t.requestTimeoutMs, 5000) });
    try {
      await session.open();
      const sentAt = Date.now();
      const time = decodeGetTimeReply((await session.request(CMD.GET_TIME)).data);
      const skewS = Math.round((Date.parse(deviceTimeToUtc(naiveToIso(time), t.zone)) + 500 - (sentAt + Date.now()) / 2) / 1000);
      const sizes = decodeFreeSizes((await session.request(CMD.GET_FREE_SIZES)).data);
      const detail = say('zk.detail', { records: sizes.records, capacity: sizes.recordsCapacity, skewS });
      if (Math.abs(skewS) > t.clockSkewAlarmS) return { verdict: 'warn', what, detail, advice: say('zk.skew', { id: t.id }) };
      if (sizes.recordsCapacity > 0 && sizes.records > 0.9 * sizes.recordsCapacity) return { verdict: 'warn', what, detail, advice: say('zk.full') };
      return { verdict: 'ok', what, detail };
    } catch (err) {
      const auth = err instanceof ZkAuthError;
      return { verdict: 'fail', what, detail: (err as Error).message, advice: say(auth ? 'zk.auth' : 'zk.unreachable', { where: t.transport === 'serial' ? String(t.serialPort) : `${t.host}:${t.port}` }) };
    } finally {
      session.close();
    }
  };
}

function r30xCheck(t: Extract<TerminalConfig, { driver: 'r30x' }>): Check {
  return async (say) => {
    const what = say('terminal.what', { id: t.id, driver: 'r30x' });
    const link = new R30xLink({ path: t.port, baudRate: t.baudRate, address: t.address, replyTimeoutMs: t.replyTimeoutMs });
    try {
      await link.open();
      const pwd = decodeConfirmation(await link.command(vfyPwd(t.password, t.address), 'VfyPwd'));
      if (!pwd.ok) return { verdict: 'fail', what, detail: pwd.meaning, advice: say('r30x.password') };
      const sys = decodeReadSysParaReply(await link.command(readSysPara(t.address), 'ReadSysPara'));
      const count = decodeTemplateNumReply(await link.command(templateNum(t.address), 'TemplateNum')).count ?? 0;
      const mapped = Object.keys(t.employees).length;
      const detail = say('r30x.detail', { count, library: sys.params?.librarySize ?? t.librarySize, mapped });
      if (count > mapped) return { verdict: 'warn', what, detail, advice: say('r30x.unmapped') };
      return { verdict: 'ok', what, detail };
    } catch (err) {
      return { verdict: 'fail', what, detail: (err as Error).message, advice: say('serial.advice', { port: t.port }) };
    } finally {
      link.close();
    }
  };
}

function serialOpenCheck(id: string, path: string, baudRate: number): Check {
  return async (say) => {
    const what = say('terminal.what', { id, driver: 'line-serial' });
    const port = new SerialPort({ path, baudRate, autoOpen: false });
    try {
      await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
      return { verdict: 'ok', what, detail: say('serial.open', { port: path }) };
    } catch (err) {
      return { verdict: 'fail', what, detail: (err as Error).message, advice: say('serial.advice', { port: path }) };
    } finally {
      if (port.isOpen) port.close(() => undefined);
    }
  };
}

export function cameraCheck(c: CameraConfig): Check {
  return async (say) => {
    const what = say('camera.what', { id: c.id });
    const started = Date.now();
    try {
      const onvif = c.onvif ? await resolveOnvif({ ...c.onvif, username: c.username, password: c.password, timeoutMs: c.timeoutMs }) : undefined;
      const frame = await grabFrame(c, onvif);
      const meta = await sharp(frame.jpeg).metadata();
      const detail = say('camera.detail', { source: frame.source, width: meta.width ?? 0, height: meta.height ?? 0, kb: Math.round(frame.jpeg.length / 1024), ms: Date.now() - started });
      if (frame.source === 'rtsp' && (onvif?.snapshotUri ?? c.snapshotUrl)) return { verdict: 'warn', what, detail, advice: say('camera.rtspOnly') };
      return { verdict: 'ok', what, detail };
    } catch (err) {
      const auth = err instanceof CameraAuthError;
      return { verdict: 'fail', what, detail: (err as Error).message, advice: say(auth ? 'camera.auth' : 'camera.unreachable') };
    }
  };
}
