import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Cam, type CamOptions, type DeviceInformation } from 'onvif';
import sharp from 'sharp';
import { request as urllibRequest } from 'urllib';
import { OnvifCameraSim } from '../../sim/onvif-camera.js';
import { RtspTestServer, rtspServerScript } from '../../sim/rtsp-server.js';

// The `onvif` npm package (0.8.3) is the published client our gateway uses: it must
// connect to the simulator exactly as it would to a real camera.
//
// WS-Security UsernameToken here is written from the OASIS WS-Security UsernameToken
// Profile 1.0 (§3.1: Password_Digest = Base64(SHA-1(nonce + created + password)); §4 Nonce
// and Created), independently of the simulator's code.

const USER = 'admin';
const PASS = 'rahasia-123';
const TEN_MINUTES = 10 * 60_000;
const WSSE = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd';
const WSU = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd';
const DIGEST_TYPE = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest';

function securityHeader(user: string, password: string, created: Date, nonce = randomBytes(16)): string {
  const createdText = created.toISOString();
  const digest = createHash('sha1')
    .update(Buffer.concat([nonce, Buffer.from(createdText), Buffer.from(password)]))
    .digest('base64');
  return (
    `<wsse:Security xmlns:wsse="${WSSE}" xmlns:wsu="${WSU}" s:mustUnderstand="1"><wsse:UsernameToken>` +
    `<wsse:Username>${user}</wsse:Username>` +
    `<wsse:Password Type="${DIGEST_TYPE}">${digest}</wsse:Password>` +
    `<wsse:Nonce>${nonce.toString('base64')}</wsse:Nonce>` +
    `<wsu:Created>${createdText}</wsu:Created>` +
    '</wsse:UsernameToken></wsse:Security>'
  );
}

function soapRequest(operation: string, ns: string, header = ''): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>' +
    '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope">' +
    `<s:Header>${header}</s:Header>` +
    `<s:Body><${operation} xmlns="${ns}"/></s:Body></s:Envelope>`
  );
}

/** A SOAP 1.2 request with this Body content. */
function soapBody(body: string, header = ''): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>' +
    '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope">' +
    `<s:Header>${header}</s:Header><s:Body>${body}</s:Body></s:Envelope>`
  );
}

const DEVICE_NS = 'http://www.onvif.org/ver10/device/wsdl';

async function post(url: string, body: string): Promise<{ status: number; text: string }> {
  const res = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/soap+xml; charset=utf-8' }, body });
  return { status: res.status, text: await res.text() };
}

/** The camera's UTC clock from an unauthenticated GetSystemDateAndTime, as ONVIF clients measure it. */
async function cameraClock(deviceUrl: string): Promise<Date> {
  const { status, text } = await post(deviceUrl, soapRequest('GetSystemDateAndTime', DEVICE_NS));
  expect(status).toBe(200);
  const utc = /<[^>]*UTCDateTime>([\s\S]*?)<\/[^>]*UTCDateTime>/.exec(text)?.[1] ?? '';
  const field = (name: string) => Number(new RegExp(`<[^>]*:${name}>(\\d+)<`).exec(utc)?.[1]);
  return new Date(Date.UTC(field('Year'), field('Month') - 1, field('Day'), field('Hour'), field('Minute'), field('Second')));
}

function connectCam(sim: OnvifCameraSim, options: Partial<CamOptions> = {}): Promise<Cam> {
  const url = new URL(sim.deviceServiceUrl);
  return new Promise((resolve, reject) => {
    const cam: Cam = new Cam(
      { hostname: url.hostname, port: Number(url.port), username: USER, password: PASS, path: url.pathname, timeout: 5000, ...options },
      (err) => (err ? reject(err) : resolve(cam)),
    );
  });
}

function camCall<T>(fn: (cb: (err: Error | null, data?: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => fn((err, data) => (err ? reject(err) : resolve(data as T))));
}

let sim: OnvifCameraSim;

beforeEach(async () => {
  sim = new OnvifCameraSim({ username: USER, password: PASS, name: 'Lobi Dinkes', width: 640, height: 360, rtspUrl: 'rtsp://127.0.0.1:8554/lobi' });
  await sim.start(0);
});

afterEach(async () => {
  await sim.stop();
});

describe('ONVIF camera simulator with the onvif client library', () => {
  it('connects and returns the snapshot and stream URIs and the profile resolution', async () => {
    const cam = await connectCam(sim);
    expect(cam.activeSource).toMatchObject({ profileToken: 'profile_1', width: 640, height: 360, encoding: 'H264' });
    const snap = await camCall<{ uri: string }>((cb) => cam.getSnapshotUri({}, cb));
    expect(snap.uri).toBe(sim.snapshotUrl);
    const stream = await camCall<{ uri: string }>((cb) => cam.getStreamUri({ protocol: 'RTSP' }, cb));
    expect(stream.uri).toBe('rtsp://127.0.0.1:8554/lobi');
    const info = await camCall<DeviceInformation>((cb) => cam.getDeviceInformation(cb));
    expect(info.model).toBe('ONVIF-CAM-SIM');
    expect(sim.stats.authFailures).toBe(0);
    expect(sim.stats.soapRequests).toBeGreaterThanOrEqual(6);
  });

  it('refuses a client with the wrong password, and every client after the camera password changed', async () => {
    await expect(connectCam(sim, { password: 'salah' })).rejects.toThrow(/Sender not Authorized/);
    expect(sim.lastAuthFailure).toBe('wrong-digest');
    const cam = await connectCam(sim);
    sim.faults.wrongPassword = true;
    await expect(camCall((cb) => cam.getSnapshotUri({}, cb))).rejects.toThrow(/Sender not Authorized/);
    expect(sim.lastAuthFailure).toBe('wrong-password-fault');
  });

  it('a client that measured the clock at connect breaks when the camera clock later jumps 10 minutes; a new one works', async () => {
    const cam = await connectCam(sim);
    sim.clockOffsetMs = TEN_MINUTES;
    await expect(camCall((cb) => cam.getStreamUri({ protocol: 'RTSP' }, cb))).rejects.toThrow(/Sender not Authorized/);
    expect(sim.lastAuthFailure).toBe('clock-skew');
    const fresh = await connectCam(sim); // measures the offset in GetSystemDateAndTime
    expect(Math.abs((fresh.timeShift ?? 0) + process.uptime() * 1000 - Date.now() - TEN_MINUTES)).toBeLessThan(3000);
    const stream = await camCall<{ uri: string }>((cb) => fresh.getStreamUri({ protocol: 'RTSP' }, cb));
    expect(stream.uri).toBe('rtsp://127.0.0.1:8554/lobi');
  });
});

// ONVIF event service. What the tests expect comes from the ONVIF Core specification
// ("Real-time Pull-Point Notification Interface": a PullMessages answers at once when
// messages wait, else when one arrives or its Timeout passes; Renew and Unsubscribe are
// the WS-BaseNotification 1.3 subscription manager operations) and the topics'
// definitions (tns1:RuleEngine/CellMotionDetector/Motion with Data item IsMotion, ONVIF
// Analytics Service Specification; tns1:VideoSource/MotionAlarm with State).

/** A notification as the onvif library parses it (prefixes stripped, first letters lower-cased). */
interface ParsedNotification {
  topic: { _: string; $: { Dialect: string } };
  message: { message: { $: { UtcTime: Date; PropertyOperation: string }; data: { simpleItem: { $: { Name: string; Value: boolean } } } } };
}
interface ParsedPull {
  currentTime: Date;
  terminationTime: Date;
  notificationMessage?: ParsedNotification | ParsedNotification[];
}
const notifications = (p: ParsedPull) => (p.notificationMessage === undefined ? [] : Array.isArray(p.notificationMessage) ? p.notificationMessage : [p.notificationMessage]);
const brief = (n: ParsedNotification) => ({ topic: n.topic._, op: n.message.message.$.PropertyOperation, ...n.message.message.data.simpleItem.$ });

describe('event service (PullPoint subscriptions) with the onvif client library', () => {
  it('is advertised by GetServices and GetCapabilities', async () => {
    const cam = await connectCam(sim);
    expect(cam.uri?.events?.href).toBe(sim.eventServiceUrl);
    const caps = (await camCall<unknown>((cb) => cam.getCapabilities(cb))) as { events: { XAddr: string; WSPullPointSupport: boolean } };
    expect(caps.events).toMatchObject({ XAddr: sim.eventServiceUrl, WSPullPointSupport: true });
    const serviceCaps = await camCall<{ WSPullPointSupport: boolean }>((cb) => cam.getEventServiceCapabilities(cb));
    expect(serviceCaps.WSPullPointSupport).toBe(true);
  });

  it('creates a subscription, sends the Initialized states, then a triggered motion to a waiting PullMessages at once', async () => {
    const cam = await connectCam(sim);
    const sub = await camCall<{ subscriptionReference: { address: { href: string } }; currentTime: Date; terminationTime: Date }>((cb) => cam.createPullPointSubscription(cb));
    expect(sub.subscriptionReference.address.href).toMatch(new RegExp(`^${sim.eventServiceUrl.replace('/onvif/event_service', '')}/onvif/pullpoint/[0-9a-f-]{36}$`));
    // The client asks for PT2M; the camera grants at most 60 s by default.
    expect(sub.terminationTime.getTime() - sub.currentTime.getTime()).toBe(60_000);
    expect(sim.liveSubscriptions).toBe(1);

    const first = await camCall<ParsedPull>((cb) => cam.pullMessages({ messageLimit: 10 }, cb));
    expect(notifications(first).map(brief)).toEqual([
      { topic: 'tns1:RuleEngine/CellMotionDetector/Motion', op: 'Initialized', Name: 'IsMotion', Value: false },
      { topic: 'tns1:VideoSource/MotionAlarm', op: 'Initialized', Name: 'State', Value: false },
    ]);

    const t0 = Date.now();
    setTimeout(() => sim.triggerMotion(true), 300);
    const second = await camCall<ParsedPull>((cb) => cam.pullMessages({ messageLimit: 10 }, cb));
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
    expect(Date.now() - t0).toBeLessThan(3000); // not the 1 min Timeout
    const [motion] = notifications(second);
    expect(brief(motion!)).toEqual({ topic: 'tns1:RuleEngine/CellMotionDetector/Motion', op: 'Changed', Name: 'IsMotion', Value: true });
    expect(motion!.topic.$.Dialect).toBe('http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet');
    expect(Math.abs(motion!.message.message.$.UtcTime.getTime() - Date.now())).toBeLessThan(5000);

    // The other topic, queued before the pull: answered without waiting.
    expect(sim.triggerMotion(false, 'motion-alarm')).toBe(1);
    const third = await camCall<ParsedPull>((cb) => cam.pullMessages({ messageLimit: 10 }, cb));
    expect(notifications(third).map(brief)).toEqual([{ topic: 'tns1:VideoSource/MotionAlarm', op: 'Changed', Name: 'State', Value: false }]);
    expect(sim.stats).toMatchObject({ subscriptionsCreated: 1, pulls: 3, notificationsDelivered: 4 });
  });

  it('renews: the subscription outlives its first termination time', async () => {
    sim.maxSubscriptionS = 1.5;
    const cam = await connectCam(sim);
    const sub = await camCall<{ currentTime: Date; terminationTime: Date }>((cb) => cam.createPullPointSubscription(cb));
    expect(sub.terminationTime.getTime() - sub.currentTime.getTime()).toBe(1500);
    await new Promise((r) => setTimeout(r, 800));
    const renewed = await camCall<{ currentTime: Date; terminationTime: Date }>((cb) => cam.renew({}, cb));
    expect(renewed.terminationTime.getTime() - renewed.currentTime.getTime()).toBe(1500);
    await new Promise((r) => setTimeout(r, 1000)); // past the first termination time
    sim.triggerMotion(true);
    const pulled = await camCall<ParsedPull>((cb) => cam.pullMessages({ messageLimit: 10 }, cb));
    expect(notifications(pulled).map(brief).at(-1)).toMatchObject({ op: 'Changed', Value: true });
    expect(sim.stats).toMatchObject({ renewals: 1, subscriptionsExpired: 0 });
  });

  it('unsubscribe ends the subscription: a waiting pull gets a fault, and so does a later request', async () => {
    const cam = await connectCam(sim);
    const sub = await camCall<{ subscriptionReference: { address: { href: string } } }>((cb) => cam.createPullPointSubscription(cb));
    const address = sub.subscriptionReference.address.href;
    await camCall<ParsedPull>((cb) => cam.pullMessages({ messageLimit: 10 }, cb)); // the Initialized states
    const waiting = camCall<ParsedPull>((cb) => cam.pullMessages({ messageLimit: 10 }, cb)).then(
      () => new Error('the waiting pull was answered with messages'),
      (err: unknown) => err,
    );
    await new Promise((r) => setTimeout(r, 200));
    await camCall((cb) => cam.unsubscribe(cb));
    expect(String(await waiting)).toMatch(/Subscription unknown or expired/);
    expect(sim.liveSubscriptions).toBe(0);
    expect(sim.stats.unsubscribes).toBe(1);

    const pullBody =
      '<PullMessages xmlns="http://www.onvif.org/ver10/events/wsdl"><Timeout>PT5S</Timeout><MessageLimit>10</MessageLimit></PullMessages>';
    const late = await post(address, soapBody(pullBody, securityHeader(USER, PASS, new Date())));
    expect(late.status).toBe(400);
    expect(late.text).toContain('ResourceUnknownFault');
    expect(late.text).toContain('xmlns:wsrf-r="http://docs.oasis-open.org/wsrf/r-2"');
  });

  it('an expired subscription answers a fault, to a waiting pull at once and to Renew and PullMessages after', async () => {
    sim.maxSubscriptionS = 0.6;
    const cam = await connectCam(sim);
    await camCall((cb) => cam.createPullPointSubscription(cb));
    await camCall<ParsedPull>((cb) => cam.pullMessages({ messageLimit: 10 }, cb));
    const t0 = Date.now();
    await expect(camCall<ParsedPull>((cb) => cam.pullMessages({ messageLimit: 10 }, cb))).rejects.toThrow(/ONVIF SOAP Fault: Subscription unknown or expired/);
    expect(Date.now() - t0).toBeLessThan(2000);
    await expect(camCall((cb) => cam.renew({}, cb))).rejects.toThrow(/Subscription unknown or expired/);
    await expect(camCall<ParsedPull>((cb) => cam.pullMessages({ messageLimit: 10 }, cb))).rejects.toThrow(/Subscription unknown or expired/);
    expect(sim.stats.subscriptionsExpired).toBe(1);
    expect(sim.liveSubscriptions).toBe(0);
    expect(sim.triggerMotion(true)).toBe(0);
  });
});

describe('event service on the wire', () => {
  const EVENTS_NS = 'http://www.onvif.org/ver10/events/wsdl';

  async function createSubscription(initial: string): Promise<{ status: number; text: string }> {
    return post(
      sim.eventServiceUrl,
      soapBody(`<CreatePullPointSubscription xmlns="${EVENTS_NS}"><InitialTerminationTime>${initial}</InitialTerminationTime></CreatePullPointSubscription>`, securityHeader(USER, PASS, new Date())),
    );
  }

  it('needs WS-Security, refuses a termination time in the past, and answers a too long PullMessages Timeout with its limits', async () => {
    const anonymous = await post(sim.eventServiceUrl, soapRequest('CreatePullPointSubscription', EVENTS_NS));
    expect(anonymous.status).toBe(400);
    expect(anonymous.text).toContain('ter:NotAuthorized');

    const past = await createSubscription('2001-01-01T00:00:00Z');
    expect(past.status).toBe(400);
    expect(past.text).toContain('UnacceptableInitialTerminationTimeFault');

    const created = await createSubscription('PT10S');
    expect(created.status).toBe(200);
    expect(created.text).toContain('http://www.onvif.org/ver10/events/wsdl/EventPortType/CreatePullPointSubscriptionResponse');
    const address = /<wsa:Address>([^<]+)<\/wsa:Address>/.exec(created.text)?.[1] ?? '';
    const current = Date.parse(/<wsnt:CurrentTime>([^<]+)</.exec(created.text)?.[1] ?? '');
    const termination = Date.parse(/<wsnt:TerminationTime>([^<]+)</.exec(created.text)?.[1] ?? '');
    expect(termination - current).toBe(10_000);

    const tooLong = await post(
      address,
      soapBody(`<PullMessages xmlns="${EVENTS_NS}"><Timeout>PT1H</Timeout><MessageLimit>10</MessageLimit></PullMessages>`, securityHeader(USER, PASS, new Date())),
    );
    expect(tooLong.status).toBe(400);
    expect(tooLong.text).toMatch(/<tev:PullMessagesFaultResponse[^>]*><tev:MaxTimeout>PT120S<\/tev:MaxTimeout><tev:MaxMessageLimit>1000</);

    const unsigned = await post(address, soapBody(`<PullMessages xmlns="${EVENTS_NS}"><Timeout>PT1S</Timeout><MessageLimit>1</MessageLimit></PullMessages>`));
    expect(unsigned.status).toBe(400);
    expect(unsigned.text).toContain('ter:NotAuthorized');

    // Timeout passes with nothing to send: an empty list, with the times.
    const t0 = Date.now();
    await post(address, soapBody(`<PullMessages xmlns="${EVENTS_NS}"><Timeout>PT0S</Timeout><MessageLimit>10</MessageLimit></PullMessages>`, securityHeader(USER, PASS, new Date())));
    const empty = await post(address, soapBody(`<PullMessages xmlns="${EVENTS_NS}"><Timeout>PT0.5S</Timeout><MessageLimit>10</MessageLimit></PullMessages>`, securityHeader(USER, PASS, new Date())));
    expect(Date.now() - t0).toBeGreaterThanOrEqual(450);
    expect(empty.status).toBe(200);
    expect(empty.text).toContain('<tev:TerminationTime>');
    expect(empty.text).not.toContain('NotificationMessage');
  });
});

describe('WS-Security on the wire', () => {
  it('refuses a wrong UsernameToken digest with HTTP 400 and a SOAP 1.2 Sender / ter:NotAuthorized fault', async () => {
    const bad = await post(sim.deviceServiceUrl, soapRequest('GetDeviceInformation', DEVICE_NS, securityHeader(USER, 'salah', new Date())));
    expect(bad.status).toBe(400);
    expect(bad.text).toMatch(/<SOAP-ENV:Code><SOAP-ENV:Value>SOAP-ENV:Sender<\/SOAP-ENV:Value><SOAP-ENV:Subcode><SOAP-ENV:Value>ter:NotAuthorized</);
    expect(bad.text).toContain('xmlns:ter="http://www.onvif.org/ver10/error"');
    expect(sim.lastAuthFailure).toBe('wrong-digest');

    const none = await post(sim.deviceServiceUrl, soapRequest('GetDeviceInformation', DEVICE_NS));
    expect(none.status).toBe(400);
    expect(sim.lastAuthFailure).toBe('no-token');

    const header = securityHeader(USER, PASS, new Date());
    const good = await post(sim.deviceServiceUrl, soapRequest('GetDeviceInformation', DEVICE_NS, header));
    expect(good.status).toBe(200);
    expect(good.text).toContain('GetDeviceInformationResponse');
    // The same nonce again is a replay.
    const replay = await post(sim.deviceServiceUrl, soapRequest('GetDeviceInformation', DEVICE_NS, header));
    expect(replay.status).toBe(400);
    expect(sim.lastAuthFailure).toBe('replayed-nonce');
    expect(sim.stats.authFailures).toBe(3);
  });

  it('with the camera 10 minutes fast: Created from the true clock is refused, Created from the camera clock accepted', async () => {
    sim.clockOffsetMs = TEN_MINUTES;
    const measured = await cameraClock(sim.deviceServiceUrl);
    expect(Math.abs(measured.getTime() - Date.now() - TEN_MINUTES)).toBeLessThan(2000);

    const trueClock = await post(sim.deviceServiceUrl, soapRequest('GetDeviceInformation', DEVICE_NS, securityHeader(USER, PASS, new Date())));
    expect(trueClock.status).toBe(400);
    expect(trueClock.text).toContain('ter:NotAuthorized');
    expect(sim.lastAuthFailure).toBe('clock-skew');

    const offset = measured.getTime() - Date.now();
    const cameraTime = await post(
      sim.deviceServiceUrl,
      soapRequest('GetDeviceInformation', DEVICE_NS, securityHeader(USER, PASS, new Date(Date.now() + offset))),
    );
    expect(cameraTime.status).toBe(200);

    // The onvif client with its clock offset forced to the true clock fails the same way.
    const url = new URL(sim.deviceServiceUrl);
    const stale = new Cam({ hostname: url.hostname, port: Number(url.port), username: USER, password: PASS, path: url.pathname, timeout: 5000, autoconnect: false });
    stale.timeShift = Date.now() - process.uptime() * 1000;
    await expect(new Promise<void>((resolve, reject) => stale.connect((err) => (err ? reject(err) : resolve())))).rejects.toThrow(
      /Sender not Authorized/,
    );
  });
});

describe('snapshot URI', () => {
  it('challenges with Digest, then serves a decodable JPEG of the configured size that changes every request', async () => {
    const anonymous = await urllibRequest(sim.snapshotUrl, { timeout: 5000 });
    expect(anonymous.status).toBe(401);
    const challenge = String(anonymous.headers['www-authenticate']);
    expect(challenge).toMatch(/^Digest /);
    expect(challenge).toContain('qop="auth"');
    expect(challenge).toMatch(/nonce="[0-9a-f]+"/);

    const first = await urllibRequest(sim.snapshotUrl, { digestAuth: `${USER}:${PASS}`, timeout: 5000 });
    expect(first.status).toBe(200);
    expect(first.headers['content-type']).toBe('image/jpeg');
    const jpeg1 = Buffer.from(first.data as Buffer);
    const meta = await sharp(jpeg1).metadata();
    expect(meta).toMatchObject({ format: 'jpeg', width: 640, height: 360 });

    const second = await urllibRequest(sim.snapshotUrl, { digestAuth: `${USER}:${PASS}`, timeout: 5000 });
    expect(second.status).toBe(200);
    expect(Buffer.from(second.data as Buffer).equals(jpeg1)).toBe(false);
    expect(sim.stats.snapshots).toBe(2);
    expect(sim.stats.snapshotAuthChallenges).toBe(3);

    const wrong = await urllibRequest(sim.snapshotUrl, { digestAuth: `${USER}:salah`, timeout: 5000 });
    expect(wrong.status).toBe(401);
    expect(sim.stats.authFailures).toBe(1);
    sim.faults.wrongPassword = true;
    const changed = await urllibRequest(sim.snapshotUrl, { digestAuth: `${USER}:${PASS}`, timeout: 5000 });
    expect(changed.status).toBe(401);
  });

  it('answers 500 when the camera has no working snapshot (rtspOnly)', async () => {
    sim.faults.rtspOnly = true;
    const res = await urllibRequest(sim.snapshotUrl, { digestAuth: `${USER}:${PASS}`, timeout: 5000 });
    expect(res.status).toBe(500);
  });
});

describe('network faults', () => {
  it('slowMs delays answers', async () => {
    sim.faults.slowMs = 300;
    const t0 = Date.now();
    await cameraClock(sim.deviceServiceUrl);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
  });

  it('gone resets new connections and kills a request in flight on an existing keep-alive connection', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const url = new URL(sim.deviceServiceUrl);
    const send = () =>
      new Promise<number>((resolve, reject) => {
        const body = soapRequest('GetSystemDateAndTime', DEVICE_NS);
        const req = httpRequest(
          { host: url.hostname, port: url.port, path: url.pathname, method: 'POST', agent, headers: { 'Content-Type': 'application/soap+xml' } },
          (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          },
        );
        req.on('error', reject);
        req.end(body);
      });
    try {
      expect(await send()).toBe(200);
      sim.faults.slowMs = 5000;
      const inFlight = send();
      const t0 = Date.now();
      setTimeout(() => {
        sim.faults.gone = true;
      }, 100);
      await expect(inFlight).rejects.toThrow(/ECONNRESET|socket hang up/);
      expect(Date.now() - t0).toBeLessThan(2000);
    } finally {
      agent.destroy();
    }
    sim.faults.slowMs = 0;
    await expect(urllibRequest(sim.snapshotUrl, { timeout: 3000 })).rejects.toThrow(/ECONNRESET|socket hang up|other side closed|closed/i);
    await expect(connectCam(sim)).rejects.toThrow(/ECONNRESET|socket hang up/);
    sim.faults = {};
    expect((await urllibRequest(sim.snapshotUrl, { timeout: 3000 })).status).toBe(401);
  });
});

describe('WS-Discovery', () => {
  // Probes modelled on the example Probe of OASIS WS-Discovery 1.1 (OASIS Standard,
  // 1 July 2009, §5.2 "Probe", example with MessageID
  // urn:uuid:0a6dc791-2be6-4991-9af1-454778a1917a), with the printer Type of the example
  // replaced by ONVIF's dn:NetworkVideoTransmitter (ONVIF Core spec §7.3.1 "Types") and
  // the Scopes by an ONVIF name scope (§7.3.2). The second Probe is the example's
  // printer probe, which a camera must not answer.
  const probe11 = (types: string, scopes: string) =>
    '<s:Envelope xmlns:a="http://www.w3.org/2005/08/addressing" ' +
    'xmlns:d="http://docs.oasis-open.org/ws-dd/ns/discovery/2009/01" ' +
    'xmlns:i="http://printer.example.org/2003/imaging" ' +
    'xmlns:dn="http://www.onvif.org/ver10/network/wsdl" ' +
    'xmlns:s="http://www.w3.org/2003/05/soap-envelope">' +
    '<s:Header>' +
    '<a:Action>http://docs.oasis-open.org/ws-dd/ns/discovery/2009/01/Probe</a:Action>' +
    '<a:MessageID>urn:uuid:0a6dc791-2be6-4991-9af1-454778a1917a</a:MessageID>' +
    '<a:To>urn:docs-oasis-open-org:ws-dd:ns:discovery:2009:01</a:To>' +
    '</s:Header>' +
    `<s:Body><d:Probe><d:Types>${types}</d:Types>${scopes}</d:Probe></s:Body></s:Envelope>`;
  // The April 2005 WS-Discovery form that ONVIF devices speak (ONVIF Core §7).
  const probe2005 =
    '<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope" ' +
    'xmlns:w="http://schemas.xmlsoap.org/ws/2004/08/addressing" ' +
    'xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery" ' +
    'xmlns:dn="http://www.onvif.org/ver10/network/wsdl">' +
    '<e:Header><w:MessageID>uuid:84ede3de-7dec-11d0-c360-f01234567890</w:MessageID>' +
    '<w:To>urn:schemas-xmlsoap-org:ws:2005:04:discovery</w:To>' +
    '<w:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe</w:Action></e:Header>' +
    '<e:Body><d:Probe><d:Types>dn:NetworkVideoTransmitter</d:Types></d:Probe></e:Body></e:Envelope>';

  async function probe(port: number, message: string, waitMs = 1500): Promise<string | undefined> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
    try {
      return await new Promise<string | undefined>((resolve) => {
        const timer = setTimeout(() => resolve(undefined), waitMs);
        socket.once('message', (msg) => {
          clearTimeout(timer);
          resolve(msg.toString('utf8'));
        });
        socket.send(message, port, '127.0.0.1');
      });
    } finally {
      socket.close();
    }
  }

  it('answers a WS-Discovery 1.1 Probe for an NVT with ProbeMatches carrying the XAddrs and the name scope', async () => {
    const port = await sim.listenDiscovery(0);
    const reply = await probe(
      port,
      probe11('dn:NetworkVideoTransmitter', '<d:Scopes>onvif://www.onvif.org/name/Lobi%20Dinkes</d:Scopes>'),
    );
    expect(reply).toBeDefined();
    expect(reply).toContain('http://docs.oasis-open.org/ws-dd/ns/discovery/2009/01/ProbeMatches');
    expect(reply).toContain('<wsa:RelatesTo>urn:uuid:0a6dc791-2be6-4991-9af1-454778a1917a</wsa:RelatesTo>');
    expect(reply).toContain(`<wsd:XAddrs>${sim.deviceServiceUrl}</wsd:XAddrs>`);
    expect(reply).toContain('onvif://www.onvif.org/name/Lobi%20Dinkes');
    expect(reply).toContain(`<wsa:Address>${sim.endpointReference}</wsa:Address>`);
  });

  it('answers the 2005/04 Probe ONVIF clients send, ignores a printer Probe, and goes quiet when gone', async () => {
    const port = await sim.listenDiscovery(0);
    const reply = await probe(port, probe2005);
    expect(reply).toContain('http://schemas.xmlsoap.org/ws/2005/04/discovery/ProbeMatches');
    expect(reply).toContain(`<wsd:XAddrs>${sim.deviceServiceUrl}</wsd:XAddrs>`);
    expect(
      await probe(
        port,
        probe11('i:PrintBasic', '<d:Scopes MatchBy="http://docs.oasis-open.org/ws-dd/ns/discovery/2009/01/ldap">ldap:///ou=engineering,o=examplecom,c=us</d:Scopes>'),
        300,
      ),
    ).toBeUndefined();
    sim.faults.gone = true;
    expect(await probe(port, probe2005, 300)).toBeUndefined();
  });
});

// Live RTSP needs GStreamer's RTSP server (Debian: python3-gi, gir1.2-gst-rtsp-server-1.0,
// gstreamer1.0-plugins-*) and ffmpeg to grab a frame.
const ffmpegMissing = spawnSync('ffmpeg', ['-version'], { stdio: 'ignore' }).error !== undefined;
const rtspSkip = RtspTestServer.unavailableReason() ?? (ffmpegMissing ? 'ffmpeg is not installed (Debian package ffmpeg)' : undefined);

describe('RTSP test stream', () => {
  it.skipIf(rtspSkip !== undefined)(
    `serves a live H.264 stream that ffmpeg decodes, at the URI the onvif client gets${rtspSkip ? ` (skipped: ${rtspSkip})` : ''}`,
    async () => {
      const rtsp = await RtspTestServer.start(0, '/lobi-dinkes', { width: 320, height: 240 });
      const dir = mkdtempSync(join(tmpdir(), 'onvif-sim-'));
      const streamSim = new OnvifCameraSim({ username: USER, password: PASS, name: 'Lobi Dinkes', rtspUrl: rtsp.url });
      try {
        expect(rtsp.url).toMatch(/^rtsp:\/\/127\.0\.0\.1:\d+\/lobi-dinkes$/);
        await streamSim.start(0);
        const cam = await connectCam(streamSim);
        const { uri } = await camCall<{ uri: string }>((cb) => cam.getStreamUri({ protocol: 'RTSP' }, cb));
        expect(uri).toBe(rtsp.url);
        const out = join(dir, 'out.jpg');
        const ff = spawnSync(
          'ffmpeg',
          ['-loglevel', 'error', '-y', '-rtsp_transport', 'tcp', '-timeout', '5000000', '-i', uri, '-frames:v', '1', '-f', 'image2', out],
          { timeout: 15_000, encoding: 'utf8' },
        );
        expect(ff.status, ff.stderr).toBe(0);
        expect(await sharp(out).metadata()).toMatchObject({ format: 'jpeg', width: 320, height: 240 });
      } finally {
        await streamSim.stop();
        await rtsp.stop();
        rmSync(dir, { recursive: true, force: true });
      }
      const pid = rtsp.pid ?? 0;
      expect(() => process.kill(pid, 0)).toThrow();
    },
    30_000,
  );
});

describe('onvif-camera CLI', () => {
  const main = join(rtspServerScript(), '..', '..', 'dist', 'sim', 'onvif-camera-main.js');
  it.skipIf(!existsSync(main))('prints its URLs as one JSON line and stops on SIGTERM', async () => {
    const args = [main, '--port', '0', '--user', USER, '--password', PASS, '--name', 'Lobi Dinkes'];
    if (rtspSkip === undefined) args.push('--rtsp');
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const line = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no JSON line within 15 s')), 15_000);
        createInterface({ input: child.stdout }).once('line', (l) => {
          clearTimeout(timer);
          resolve(l);
        });
        child.once('exit', (code) => reject(new Error(`exited with ${code}`)));
      });
      const info = JSON.parse(line) as { deviceServiceUrl: string; snapshotUrl: string; rtspUrl: string; rtspLive: boolean };
      expect(info.deviceServiceUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/onvif\/device_service$/);
      expect(info.rtspLive).toBe(rtspSkip === undefined);
      const clock = await cameraClock(info.deviceServiceUrl);
      expect(Math.abs(clock.getTime() - Date.now())).toBeLessThan(2000);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  }, 30_000);
});
