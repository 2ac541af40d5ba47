import { createHash, createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import sharp from 'sharp';
import {
  FAULT_NOT_AUTHORIZED,
  NS,
  PASSWORD_DIGEST_TYPE,
  PROFILE_TOKEN,
  WSD_11,
  WSD_2005,
  bodyOperation,
  capabilitiesResponse,
  deviceInformationResponse,
  elementText,
  escapeXml,
  faultEnvelope,
  faultHttpStatus,
  findElement,
  formatWib,
  hostnameResponse,
  mediaUriResponse,
  namespaceOf,
  probeMatchesMessage,
  profilesResponse,
  readUsernameToken,
  scopesResponse,
  servicesResponse,
  systemDateAndTimeResponse,
  videoSourcesResponse,
  type DiscoveryVersion,
  type SoapFault,
  type MotionNotification,
  type MotionTopic,
  createPullPointSubscriptionResponse,
  eventPropertiesResponse,
  eventServiceCapabilitiesResponse,
  notificationMessageXml,
  parseTerminationTime,
  parseXsDuration,
  pullMessagesFault,
  pullMessagesResponse,
  renewResponse,
  resourceUnknownFault,
  unacceptableTerminationTimeFault,
  unsubscribeResponse,
  EVENT_NS,
} from './onvif-soap.js';

/**
 * A simulated ONVIF Profile S camera (an office CCTV camera) on 127.0.0.1, for the
 * gateway's camera driver and the demo:
 *  - device service (SOAP 1.2 over HTTP POST /onvif/device_service): GetSystemDateAndTime,
 *    GetServices, GetCapabilities, GetDeviceInformation, GetScopes, GetHostname;
 *  - media service (/onvif/media_service): GetProfiles, GetVideoSources, GetSnapshotUri,
 *    GetStreamUri;
 *  - event service (/onvif/event_service): GetServiceCapabilities, GetEventProperties,
 *    CreatePullPointSubscription; each pull point (/onvif/pullpoint/ID) answers
 *    PullMessages (long poll), Renew and Unsubscribe, and a fault once it has ended.
 *    Motion is a test hook: `triggerMotion(true)` queues a motion notification for every
 *    live subscription (see sim/onvif-soap.ts for the protocol facts);
 *  - every operation but GetSystemDateAndTime needs a WS-Security UsernameToken with a
 *    PasswordDigest (ONVIF Core "Authentication" + OASIS WS-Security UsernameToken
 *    Profile 1.0 §3.1: Base64(SHA-1(nonce bytes + Created + password))) whose Created is
 *    within 5 minutes of the camera's clock and whose nonce is not replayed;
 *  - GET /snapshot.jpg: HTTP Digest (RFC 7616 / RFC 2617; MD5, qop="auth") protected JPEG
 *    rendered with sharp: the camera name and its clock, new pixels every request;
 *  - optional WS-Discovery responder (SOAP-over-UDP) answering Probes with ProbeMatches.
 * Faults (wrong password, slow answers, vanished camera, snapshot-less camera) and the
 * camera's clock offset can be changed at any time by a test.
 */

export interface OnvifCameraFaults {
  /** The camera's password changed: every authenticated request fails (SOAP NotAuthorized fault, Digest 401 on the snapshot). */
  wrongPassword?: boolean;
  /** Delay every HTTP answer by this many ms. */
  slowMs?: number;
  /** The camera vanished: HTTP connections are reset, new and existing; Probes go unanswered. RTSP is not affected. */
  gone?: boolean;
  /** The snapshot URI answers 500 (many cheap cameras): clients must fall back to RTSP. */
  rtspOnly?: boolean;
}

export interface OnvifCameraOptions {
  username: string;
  password: string;
  /** Shown on snapshots, in the onvif://www.onvif.org/name/ scope and as the hostname. */
  name?: string;
  /** The camera's clock minus true time, ms. */
  clockOffsetMs?: number;
  /** Default 1280. */
  width?: number;
  /** Default 720. */
  height?: number;
  /** What GetStreamUri reports; default a placeholder rtsp://127.0.0.1:554/... that nothing serves. */
  rtspUrl?: string;
  /** The longest termination time the event service grants a subscription, s (default 60). */
  maxSubscriptionS?: number;
  /** The topic `triggerMotion` reports on by default (default 'cell-motion'). */
  motionTopic?: MotionTopic;
}

export interface OnvifCameraStats {
  /** SOAP requests received (any operation, any outcome). */
  soapRequests: number;
  /** Requests whose credentials were refused: SOAP NotAuthorized faults, and snapshot requests with a wrong Digest. */
  authFailures: number;
  /** JPEGs served. */
  snapshots: number;
  /** 401 Digest challenges sent on the snapshot URI (the first one of every Digest exchange included). */
  snapshotAuthChallenges: number;
  /** Event service: pull-point subscriptions created. */
  subscriptionsCreated: number;
  /** Renew requests that extended a subscription. */
  renewals: number;
  /** Unsubscribe requests that ended a subscription. */
  unsubscribes: number;
  /** Subscriptions that ended because nobody renewed them. */
  subscriptionsExpired: number;
  /** PullMessages requests received (answered with messages, empty, or a fault). */
  pulls: number;
  /** Notification messages delivered in PullMessages responses. */
  notificationsDelivered: number;
}

/** Why the last authenticated request was refused; not on the wire (real cameras say only NotAuthorized). */
export type AuthFailureReason =
  | 'no-token'
  | 'unknown-user'
  | 'not-password-digest'
  | 'bad-created'
  | 'clock-skew'
  | 'replayed-nonce'
  | 'wrong-digest'
  | 'wrong-password-fault'
  | 'digest-missing'
  | 'digest-malformed'
  | 'digest-stale'
  | 'digest-wrong';

/** WS-Security: Created must be within this of the camera clock (ONVIF Core recommends replay protection; 5 min is common). */
export const MAX_CLOCK_SKEW_MS = 5 * 60_000;
/** Digest nonces the snapshot URI issued are accepted this long. */
const DIGEST_NONCE_TTL_MS = 5 * 60_000;
const DIGEST_REALM = 'Pemda ONVIF Camera Sim';
const MAX_BODY_BYTES = 256 * 1024;
const FPS = 25;

export const DEVICE_PATH = '/onvif/device_service';
export const MEDIA_PATH = '/onvif/media_service';
export const SNAPSHOT_PATH = '/snapshot.jpg';
export const EVENT_PATH = '/onvif/event_service';
/** Subscription manager endpoints: PULLPOINT_PATH + subscription id. */
export const PULLPOINT_PATH = '/onvif/pullpoint/';
/** Longest PullMessages Timeout the sim accepts (the onvif client library asks for PT1M). */
export const MAX_PULL_TIMEOUT_MS = 2 * 60_000;
export const MAX_PULL_MESSAGE_LIMIT = 1000;
/** Live pull points at most (tev:Capabilities MaxPullPoints). */
export const MAX_PULL_POINTS = 10;
/** Messages kept per subscription while nobody pulls; the oldest are dropped beyond this. */
const MAX_QUEUED_MESSAGES = 100;

type SoapReply = { status: number; xml: string };

interface PendingPull {
  limit: number;
  timer: NodeJS.Timeout;
  answer: (reply: SoapReply) => void;
}

interface Subscription {
  id: string;
  address: string;
  /** True time (Date.now() basis) the subscription ends unless renewed. */
  terminationMs: number;
  expiry: NodeJS.Timeout | undefined;
  queue: MotionNotification[];
  pending: PendingPull | undefined;
}

export class OnvifCameraSim {
  readonly username: string;
  readonly password: string;
  readonly name: string;
  readonly width: number;
  readonly height: number;
  /** The camera's clock minus true time, ms; change it to simulate a drifting or reset clock. */
  clockOffsetMs: number;
  readonly stats: OnvifCameraStats = {
    soapRequests: 0,
    authFailures: 0,
    snapshots: 0,
    snapshotAuthChallenges: 0,
    subscriptionsCreated: 0,
    renewals: 0,
    unsubscribes: 0,
    subscriptionsExpired: 0,
    pulls: 0,
    notificationsDelivered: 0,
  };
  /**
   * The longest termination time the event service grants (create and renew), s; a
   * client asking for more gets this, and must go by the TerminationTime answered.
   */
  maxSubscriptionS: number;
  /** The topic `triggerMotion` uses by default. */
  motionTopic: MotionTopic;
  lastAuthFailure: AuthFailureReason | undefined;
  /** urn:uuid endpoint reference, stable for this camera (WS-Discovery EndpointReference/Address). */
  readonly endpointReference = `urn:uuid:${randomUUID()}`;

  private readonly rtspUrlOption: string | undefined;
  private faultState: OnvifCameraFaults = {};
  private faultProxy: OnvifCameraFaults;
  private server: Server | undefined;
  private port = 0;
  private readonly sockets = new Set<Socket>();
  private readonly pendingDelays = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();
  private discovery: UdpSocket | undefined;
  private discoveryMessageNumber = 0;
  private readonly discoveryInstanceId = Math.floor(Date.now() / 1000);
  /** WS-Security nonces seen inside the skew window, with the camera time they expire. */
  private readonly seenNonces = new Map<string, number>();
  private readonly digestSecret = randomBytes(32);
  private readonly digestOpaque = randomBytes(8).toString('hex');
  private frame = 0;
  private readonly subscriptions = new Map<string, Subscription>();
  private readonly motionState: Record<MotionTopic, boolean> = { 'cell-motion': false, 'motion-alarm': false };

  constructor(options: OnvifCameraOptions) {
    if (!options.username) throw new RangeError('username is required');
    this.username = options.username;
    this.password = options.password;
    this.name = options.name ?? 'ONVIF Camera Sim';
    this.clockOffsetMs = options.clockOffsetMs ?? 0;
    this.width = options.width ?? 1280;
    this.height = options.height ?? 720;
    for (const [k, v] of [['width', this.width], ['height', this.height]] as const) {
      if (!Number.isInteger(v) || v < 16 || v > 7680) throw new RangeError(`${k} ${v} is not an integer 16..7680`);
    }
    this.rtspUrlOption = options.rtspUrl;
    this.maxSubscriptionS = options.maxSubscriptionS ?? 60;
    if (!(this.maxSubscriptionS > 0)) throw new RangeError(`maxSubscriptionS ${this.maxSubscriptionS} must be above 0`);
    this.motionTopic = options.motionTopic ?? 'cell-motion';
    this.faultProxy = this.watchFaults(this.faultState);
  }

  /**
   * Faults in force; mutable at any time (`sim.faults.gone = true`) or replaceable
   * (`sim.faults = { slowMs: 500 }`). Setting `gone` resets every open connection at once.
   */
  get faults(): OnvifCameraFaults {
    return this.faultProxy;
  }

  set faults(next: OnvifCameraFaults) {
    this.faultState = { ...next };
    this.faultProxy = this.watchFaults(this.faultState);
    if (this.faultState.gone) this.dropConnections();
  }

  private watchFaults(target: OnvifCameraFaults): OnvifCameraFaults {
    return new Proxy(target, {
      set: (obj, key, value: unknown) => {
        Reflect.set(obj, key, value);
        if (key === 'gone' && value) this.dropConnections();
        return true;
      },
    });
  }

  /** True time plus the camera's clock offset. */
  cameraNow(): Date {
    return new Date(Date.now() + this.clockOffsetMs);
  }

  get rtspUrl(): string {
    return this.rtspUrlOption ?? `rtsp://127.0.0.1:554/onvif-sim/${PROFILE_TOKEN}`;
  }

  private get origin(): string {
    if (!this.server) throw new Error('OnvifCameraSim is not started');
    return `http://127.0.0.1:${this.port}`;
  }

  get deviceServiceUrl(): string {
    return `${this.origin}${DEVICE_PATH}`;
  }

  get mediaServiceUrl(): string {
    return `${this.origin}${MEDIA_PATH}`;
  }

  get snapshotUrl(): string {
    return `${this.origin}${SNAPSHOT_PATH}`;
  }

  get eventServiceUrl(): string {
    return `${this.origin}${EVENT_PATH}`;
  }

  /** Pull-point subscriptions alive now. */
  get liveSubscriptions(): number {
    return this.subscriptions.size;
  }

  /** Whether motion is on now, per topic. */
  motionActive(topic: MotionTopic = this.motionTopic): boolean {
    return this.motionState[topic];
  }

  /**
   * Test hook: the camera forgets every subscription (as after a reboot); a waiting
   * PullMessages gets the ResourceUnknown fault, and so does every later request on them.
   */
  dropSubscriptions(): number {
    const n = this.subscriptions.size;
    for (const sub of [...this.subscriptions.values()]) this.endSubscription(sub);
    return n;
  }

  /**
   * Test hook: motion starts (true) or ends (false) on `topic`. Every live subscription
   * gets a "Changed" notification, delivered at once to a waiting PullMessages.
   * Returns how many subscriptions it was queued for.
   */
  triggerMotion(state = true, topic: MotionTopic = this.motionTopic): number {
    this.motionState[topic] = state;
    const n: MotionNotification = { topic, state, utcTime: this.cameraNow(), operation: 'Changed' };
    for (const sub of this.subscriptions.values()) {
      sub.queue.push(n);
      if (sub.queue.length > MAX_QUEUED_MESSAGES) sub.queue.shift();
      this.deliver(sub);
    }
    return this.subscriptions.size;
  }

  /** ONVIF Core §7.3.2 scopes; the name is percent-encoded (scopes are whitespace-separated URIs). */
  get scopes(): string[] {
    return [
      'onvif://www.onvif.org/type/video_encoder',
      'onvif://www.onvif.org/Profile/Streaming',
      'onvif://www.onvif.org/hardware/PEMDA-CAM-SIM',
      `onvif://www.onvif.org/name/${encodeURIComponent(this.name)}`,
      'onvif://www.onvif.org/location/country/indonesia',
    ];
  }

  /** Listens on 127.0.0.1:port (0 = a free port); resolves with the port. */
  async start(port = 0): Promise<number> {
    if (this.server) throw new Error('OnvifCameraSim already started');
    const server = createServer((req, res) => void this.onRequest(req, res));
    server.on('connection', (socket: Socket) => {
      if (this.faultState.gone) {
        socket.resetAndDestroy();
        return;
      }
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    server.on('clientError', (_err, socket) => socket.destroy());
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    this.port = (server.address() as { port: number }).port;
    return this.port;
  }

  /**
   * WS-Discovery target service on UDP host:port (0 = a free port; real cameras use
   * 3702 and the multicast group 239.255.255.250, joined here when bound to 0.0.0.0).
   * A Probe whose Types and Scopes match is answered with a unicast ProbeMatches to the
   * sender's address and port, in the WS-Discovery version the Probe used.
   */
  async listenDiscovery(port = 0, host = '127.0.0.1'): Promise<number> {
    if (this.discovery) throw new Error('discovery already listening');
    const socket = createSocket({ type: 'udp4', reuseAddr: true });
    socket.on('message', (msg, rinfo) => this.onProbe(socket, msg, rinfo.address, rinfo.port));
    socket.on('error', () => undefined);
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(port, host, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    if (host === '0.0.0.0') {
      try {
        socket.addMembership('239.255.255.250');
      } catch {
        // no multicast route (containers): unicast probes still work
      }
    }
    this.discovery = socket;
    return socket.address().port;
  }

  async stop(): Promise<void> {
    const discovery = this.discovery;
    this.discovery = undefined;
    if (discovery) await new Promise<void>((resolve) => discovery.close(() => resolve()));
    for (const d of this.pendingDelays) {
      clearTimeout(d.timer);
      d.resolve();
    }
    this.pendingDelays.clear();
    for (const sub of this.subscriptions.values()) this.endSubscription(sub);
    const server = this.server;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
      for (const s of this.sockets) s.destroy();
    });
    this.sockets.clear();
    this.server = undefined;
  }

  // -------------------------------------------------------------------------
  // HTTP

  private dropConnections(): void {
    for (const s of this.sockets) s.resetAndDestroy();
    this.sockets.clear();
  }

  private delay(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const entry = {
        timer: setTimeout(() => {
          this.pendingDelays.delete(entry);
          resolve();
        }, ms),
        resolve,
      };
      this.pendingDelays.add(entry);
    });
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      if (this.faultState.gone) return void req.socket.resetAndDestroy();
      const body = await readBody(req);
      const slow = this.faultState.slowMs ?? 0;
      if (slow > 0) await this.delay(slow);
      if (this.faultState.gone || req.socket.destroyed) return void req.socket.resetAndDestroy();
      const path = (req.url ?? '/').split('?')[0];
      if (path === DEVICE_PATH || path === MEDIA_PATH || path === EVENT_PATH || path?.startsWith(PULLPOINT_PATH)) {
        if (req.method !== 'POST') return send(res, 405, 'text/plain', 'POST a SOAP 1.2 envelope\n', { Allow: 'POST' });
        this.stats.soapRequests++;
        const reply = await this.soap(path, body.toString('utf8'), res);
        if (res.destroyed || res.headersSent) return;
        return send(res, reply.status, 'application/soap+xml; charset=utf-8', reply.xml);
      }
      if (path === SNAPSHOT_PATH) return await this.snapshot(req, res);
      return send(res, 404, 'text/plain', 'not found\n');
    } catch (e) {
      if (!res.headersSent && !res.destroyed) send(res, 500, 'text/plain', `${e instanceof Error ? e.message : String(e)}\n`);
    }
  }

  // -------------------------------------------------------------------------
  // SOAP

  private soap(path: string, xml: string, res: ServerResponse): SoapReply | Promise<SoapReply> {
    const operation = bodyOperation(xml);
    if (!operation) {
      return fault({ code: 'Sender', subcodes: ['WellFormed'], reason: 'Not a SOAP 1.2 envelope with a Body' });
    }
    // ONVIF Core: GetSystemDateAndTime is callable without credentials, so clients can
    // measure the camera clock before they compute WS-Security timestamps.
    if (!(path === DEVICE_PATH && operation === 'GetSystemDateAndTime')) {
      const refused = this.checkWsSecurity(xml);
      if (refused) {
        this.stats.authFailures++;
        this.lastAuthFailure = refused;
        // On the wire every refusal looks the same, as on real cameras: HTTP 400 with
        // env:Sender / ter:NotAuthorized. 400 is what the ONVIF Core spec gives for a
        // rejected WS-Security header (HTTP 401 is reserved for HTTP Digest, and a client
        // seeing 401 would retry with Digest instead of reporting bad credentials).
        return fault(FAULT_NOT_AUTHORIZED);
      }
    }
    if (path === EVENT_PATH) return this.eventService(operation, xml);
    if (path.startsWith(PULLPOINT_PATH)) return this.pullPoint(path.slice(PULLPOINT_PATH.length), operation, xml, res);
    const urls = { device: this.deviceServiceUrl, media: this.mediaServiceUrl, events: this.eventServiceUrl, maxPullPoints: MAX_PULL_POINTS };
    const video = { width: this.width, height: this.height, fps: FPS };
    if (path === DEVICE_PATH) {
      switch (operation) {
        case 'GetSystemDateAndTime':
          return ok(systemDateAndTimeResponse(this.cameraNow()));
        case 'GetServices':
          return ok(servicesResponse(urls, elementText(xml, 'IncludeCapability') === 'true'));
        case 'GetCapabilities':
          return ok(capabilitiesResponse(urls));
        case 'GetDeviceInformation':
          return ok(
            deviceInformationResponse({
              manufacturer: 'Pemda Sim',
              model: 'ONVIF-CAM-SIM',
              firmwareVersion: '0.1.0',
              serialNumber: createHash('sha1').update(this.endpointReference).digest('hex').slice(0, 12).toUpperCase(),
              hardwareId: 'PEMDA-CAM-SIM',
            }),
          );
        case 'GetScopes':
          return ok(scopesResponse(this.scopes));
        case 'GetHostname':
          return ok(hostnameResponse(this.name.replace(/[^A-Za-z0-9-]+/g, '-')));
      }
    } else {
      switch (operation) {
        case 'GetProfiles':
          return ok(profilesResponse(video));
        case 'GetVideoSources':
          return ok(videoSourcesResponse(video));
        case 'GetSnapshotUri':
        case 'GetStreamUri': {
          const token = elementText(xml, 'ProfileToken');
          if (token !== PROFILE_TOKEN) {
            return fault({ code: 'Sender', subcodes: ['InvalidArgVal', 'NoProfile'], reason: `No profile ${token ?? '(none)'}` });
          }
          if (operation === 'GetSnapshotUri') return ok(mediaUriResponse(operation, this.snapshotUrl));
          // Media ver10 StreamSetup/Transport/Protocol: UDP, TCP (deprecated), RTSP or HTTP; no RTSP-over-HTTP tunnel here.
          const protocol = elementText(xml, 'Protocol') ?? 'RTSP';
          if (protocol === 'HTTP') {
            return fault({ code: 'Sender', subcodes: ['InvalidArgVal', 'InvalidStreamSetup'], reason: 'RTSP over HTTP is not supported' });
          }
          return ok(mediaUriResponse(operation, this.rtspUrl));
        }
      }
    }
    return fault({ code: 'Receiver', subcodes: ['ActionNotSupported'], reason: `Optional Action Not Implemented: ${operation}` });
  }

  // -------------------------------------------------------------------------
  // Event service: pull-point subscriptions

  private eventService(operation: string, xml: string): SoapReply {
    switch (operation) {
      case 'GetServiceCapabilities':
        return ok(eventServiceCapabilitiesResponse({ maxPullPoints: MAX_PULL_POINTS }));
      case 'GetEventProperties':
        return ok(eventPropertiesResponse());
      case 'CreatePullPointSubscription': {
        // Filters are not evaluated: every subscription gets both motion topics.
        const now = this.cameraNow();
        const granted = this.grantTermination(elementText(xml, 'InitialTerminationTime'), now);
        if (granted === undefined) return fault(unacceptableTerminationTimeFault(now, true));
        if (this.subscriptions.size >= MAX_PULL_POINTS) {
          return fault({
            code: 'Receiver',
            subcodes: [],
            reason: `All ${MAX_PULL_POINTS} pull points are in use`,
            detail: `<wsnt:SubscribeCreationFailedFault xmlns:wsnt="${EVENT_NS.wsnt}"/>`,
          });
        }
        const id = randomUUID();
        const sub: Subscription = {
          id,
          address: `${this.origin}${PULLPOINT_PATH}${id}`,
          terminationMs: granted.getTime() - this.clockOffsetMs,
          expiry: undefined,
          queue: [],
          pending: undefined,
        };
        this.subscriptions.set(id, sub);
        this.scheduleExpiry(sub);
        this.stats.subscriptionsCreated++;
        // Properties: a new subscription first gets the current state of each, "Initialized".
        for (const topic of ['cell-motion', 'motion-alarm'] as const) {
          sub.queue.push({ topic, state: this.motionState[topic], utcTime: now, operation: 'Initialized' });
        }
        return ok(createPullPointSubscriptionResponse(sub.address, now, granted));
      }
    }
    return fault({ code: 'Receiver', subcodes: ['ActionNotSupported'], reason: `Optional Action Not Implemented: ${operation}` });
  }

  /**
   * The termination time granted for a requested one (camera clock): at most
   * maxSubscriptionS from now; absent means the most. undefined when the request is
   * unreadable or not in the future.
   */
  private grantTermination(requested: string | undefined, now: Date): Date | undefined {
    const longest = now.getTime() + this.maxSubscriptionS * 1000;
    if (requested === undefined || requested === '') return new Date(longest);
    const at = parseTerminationTime(requested, now);
    if (at === undefined || at.getTime() <= now.getTime()) return undefined;
    return new Date(Math.min(at.getTime(), longest));
  }

  private scheduleExpiry(sub: Subscription): void {
    clearTimeout(sub.expiry);
    sub.expiry = setTimeout(() => {
      if (this.subscriptions.get(sub.id) !== sub) return;
      this.stats.subscriptionsExpired++;
      this.endSubscription(sub);
    }, Math.max(0, sub.terminationMs - Date.now()));
    sub.expiry.unref();
  }

  /** Forgets the subscription; a PullMessages still waiting on it gets the ResourceUnknown fault. */
  private endSubscription(sub: Subscription): void {
    clearTimeout(sub.expiry);
    this.subscriptions.delete(sub.id);
    const pending = sub.pending;
    sub.pending = undefined;
    if (pending) {
      clearTimeout(pending.timer);
      pending.answer(fault(resourceUnknownFault(this.cameraNow())));
    }
  }

  private pullResponse(sub: Subscription, limit: number): SoapReply {
    const messages = sub.queue.splice(0, limit);
    this.stats.notificationsDelivered += messages.length;
    return ok(
      pullMessagesResponse(
        this.cameraNow(),
        new Date(sub.terminationMs + this.clockOffsetMs),
        messages.map((m) => notificationMessageXml(m, sub.address)),
      ),
    );
  }

  /** Answers a waiting PullMessages when there is something to answer with. */
  private deliver(sub: Subscription): void {
    const pending = sub.pending;
    if (!pending || sub.queue.length === 0) return;
    sub.pending = undefined;
    clearTimeout(pending.timer);
    pending.answer(this.pullResponse(sub, pending.limit));
  }

  private pullPoint(id: string, operation: string, xml: string, res: ServerResponse): SoapReply | Promise<SoapReply> {
    const sub = this.subscriptions.get(id);
    if (operation === 'PullMessages') this.stats.pulls++;
    // Past its termination time the subscription is gone even if the timer has not run yet.
    if (!sub || sub.terminationMs <= Date.now()) {
      if (sub) {
        this.stats.subscriptionsExpired++;
        this.endSubscription(sub);
      }
      return fault(resourceUnknownFault(this.cameraNow()));
    }
    const now = this.cameraNow();
    switch (operation) {
      case 'PullMessages': {
        const timeoutText = elementText(xml, 'Timeout');
        const timeoutMs = timeoutText === undefined ? undefined : parseXsDuration(timeoutText);
        const limit = Number(elementText(xml, 'MessageLimit') ?? '1');
        if (timeoutMs === undefined || timeoutMs < 0 || !Number.isInteger(limit) || limit < 1) {
          return fault({ code: 'Sender', subcodes: ['InvalidArgVal'], reason: 'PullMessages needs a Timeout duration and a MessageLimit of 1 or more' });
        }
        if (timeoutMs > MAX_PULL_TIMEOUT_MS || limit > MAX_PULL_MESSAGE_LIMIT) return fault(pullMessagesFault(MAX_PULL_TIMEOUT_MS, MAX_PULL_MESSAGE_LIMIT));
        if (sub.queue.length > 0 || timeoutMs === 0) return this.pullResponse(sub, limit);
        // One waiting pull per subscription: an older one is answered (empty) now.
        const older = sub.pending;
        if (older) {
          sub.pending = undefined;
          clearTimeout(older.timer);
          older.answer(this.pullResponse(sub, older.limit));
        }
        return new Promise<SoapReply>((resolve) => {
          const pending: PendingPull = {
            limit,
            answer: resolve,
            timer: setTimeout(() => {
              if (sub.pending !== pending) return;
              sub.pending = undefined;
              resolve(this.pullResponse(sub, limit));
            }, timeoutMs),
          };
          sub.pending = pending;
          // The client gave up (or the camera dropped the connection): stop waiting.
          res.once('close', () => {
            if (sub.pending !== pending) return;
            sub.pending = undefined;
            clearTimeout(pending.timer);
            resolve({ status: 0, xml: '' });
          });
        });
      }
      case 'Renew': {
        const granted = this.grantTermination(elementText(xml, 'TerminationTime'), now);
        if (granted === undefined) return fault(unacceptableTerminationTimeFault(now, false));
        sub.terminationMs = granted.getTime() - this.clockOffsetMs;
        this.scheduleExpiry(sub);
        this.stats.renewals++;
        return ok(renewResponse(now, granted));
      }
      case 'Unsubscribe':
        this.stats.unsubscribes++;
        this.endSubscription(sub);
        return ok(unsubscribeResponse());
    }
    return fault({ code: 'Receiver', subcodes: ['ActionNotSupported'], reason: `Optional Action Not Implemented: ${operation}` });
  }

  /** undefined when the request's UsernameToken is acceptable, else why not. */
  private checkWsSecurity(xml: string): AuthFailureReason | undefined {
    const token = readUsernameToken(xml);
    if (!token) return 'no-token';
    if (token.username !== this.username) return 'unknown-user';
    if (token.passwordType !== PASSWORD_DIGEST_TYPE) return 'not-password-digest';
    const created = Date.parse(token.created);
    if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(token.created) || Number.isNaN(created)) {
      return 'bad-created';
    }
    const now = this.cameraNow().getTime();
    if (Math.abs(created - now) > MAX_CLOCK_SKEW_MS) return 'clock-skew';
    const nonce = Buffer.from(token.nonce, 'base64');
    // WS-Security UsernameToken Profile 1.0 §3.1:
    // Password_Digest = Base64( SHA-1( nonce + created + password ) ), nonce as raw bytes.
    const expected = createHash('sha1')
      .update(Buffer.concat([nonce, Buffer.from(token.created, 'utf8'), Buffer.from(this.password, 'utf8')]))
      .digest();
    const got = Buffer.from(token.password, 'base64');
    if (got.length !== expected.length || !timingSafeEqual(got, expected)) return 'wrong-digest';
    // Only once the digest is right: a camera whose password was changed refuses the old one.
    if (this.faultState.wrongPassword) return 'wrong-password-fault';
    // Profile §3.1 recommends rejecting a nonce used again within the freshness window.
    for (const [n, expires] of this.seenNonces) if (expires < now) this.seenNonces.delete(n);
    if (this.seenNonces.has(token.nonce)) return 'replayed-nonce';
    this.seenNonces.set(token.nonce, now + 2 * MAX_CLOCK_SKEW_MS);
    return undefined;
  }

  // -------------------------------------------------------------------------
  // Snapshot: HTTP Digest (RFC 7616 §3.3-3.4, compatible with RFC 2617), MD5, qop=auth

  private newDigestNonce(): string {
    const stamp = Date.now().toString(16);
    const salt = randomBytes(8).toString('hex');
    const mac = createHmac('sha256', this.digestSecret).update(`${stamp}:${salt}`).digest('hex').slice(0, 32);
    return `${stamp}${salt}${mac}`;
  }

  /** 'ok', 'stale' (ours but expired) or 'bad'. */
  private checkDigestNonce(nonce: string): 'ok' | 'stale' | 'bad' {
    const m = /^([0-9a-f]+)([0-9a-f]{16})([0-9a-f]{32})$/.exec(nonce);
    if (!m) return 'bad';
    const [, stamp = '', salt = '', mac = ''] = m;
    const expected = createHmac('sha256', this.digestSecret).update(`${stamp}:${salt}`).digest('hex').slice(0, 32);
    if (!timingSafeEqual(Buffer.from(mac), Buffer.from(expected))) return 'bad';
    return Date.now() - parseInt(stamp, 16) > DIGEST_NONCE_TTL_MS ? 'stale' : 'ok';
  }

  private challenge(res: ServerResponse, stale: boolean): void {
    this.stats.snapshotAuthChallenges++;
    const header =
      `Digest realm="${DIGEST_REALM}", qop="auth", nonce="${this.newDigestNonce()}", ` +
      `opaque="${this.digestOpaque}", algorithm=MD5, stale=${stale ? 'TRUE' : 'FALSE'}`;
    send(res, 401, 'text/plain', 'Unauthorized\n', { 'WWW-Authenticate': header });
  }

  private checkDigest(req: IncomingMessage): AuthFailureReason | 'stale' | undefined {
    const auth = req.headers.authorization;
    if (!auth || !/^Digest\s/i.test(auth)) return 'digest-missing';
    const p = parseAuthParams(auth.replace(/^Digest\s+/i, ''));
    const { username, realm, nonce, uri, response, qop, nc, cnonce } = p;
    if (!username || !realm || !nonce || !uri || !response) return 'digest-malformed';
    if (p.algorithm && p.algorithm.toUpperCase() !== 'MD5') return 'digest-malformed';
    if (realm !== DIGEST_REALM || uri !== req.url) return 'digest-malformed';
    if (qop !== 'auth' || !nc || !cnonce) return 'digest-malformed';
    const nonceState = this.checkDigestNonce(nonce);
    if (nonceState === 'bad') return 'digest-malformed';
    const md5 = (s: string) => createHash('md5').update(s, 'utf8').digest('hex');
    // RFC 7616 §3.4.1-3.4.3: response = H(H(A1):nonce:nc:cnonce:qop:H(A2)),
    // A1 = username:realm:password, A2 = method:request-uri.
    const ha1 = md5(`${this.username}:${DIGEST_REALM}:${this.password}`);
    const ha2 = md5(`${req.method ?? 'GET'}:${uri}`);
    const expected = md5(`${ha1}:${nonce}:${nc}:${cnonce}:${qop}:${ha2}`);
    const right =
      username === this.username &&
      response.length === expected.length &&
      timingSafeEqual(Buffer.from(response.toLowerCase()), Buffer.from(expected));
    if (!right || this.faultState.wrongPassword) return 'digest-wrong';
    if (nonceState === 'stale') return 'stale';
    return undefined;
  }

  private async snapshot(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain', 'GET only\n', { Allow: 'GET, HEAD' });
    // Many cheap cameras advertise a snapshot URI that fails: 500 whatever the credentials.
    if (this.faultState.rtspOnly) return send(res, 500, 'text/plain', 'snapshot not supported\n');
    const refused = this.checkDigest(req);
    if (refused === 'stale') return this.challenge(res, true);
    if (refused) {
      if (refused === 'digest-wrong') {
        this.stats.authFailures++;
        this.lastAuthFailure = refused;
      }
      return this.challenge(res, false);
    }
    const jpeg = await this.renderJpeg();
    if (this.faultState.gone) return void req.socket.resetAndDestroy();
    this.stats.snapshots++;
    res.writeHead(200, { 'Content-Type': 'image/jpeg', 'Content-Length': jpeg.length, 'Cache-Control': 'no-store' });
    res.end(req.method === 'HEAD' ? undefined : jpeg);
  }

  /** The camera's picture now: a background whose hue follows the clock, the name, the camera clock and a frame counter. */
  async renderJpeg(): Promise<Buffer> {
    const now = this.cameraNow();
    const frame = ++this.frame;
    const w = this.width;
    const h = this.height;
    const hue = Math.floor((now.getTime() / 100) % 360);
    const [r, g, b] = hslToRgb(hue / 360, 0.45, 0.3);
    const big = Math.max(10, Math.round(h / 12));
    const small = Math.max(8, Math.round(h / 20));
    const barX = Math.round(((frame * 37) % 100) / 100 * (w - w / 10));
    const svg =
      `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}">` +
      `<rect x="${barX}" y="${h - small * 2}" width="${Math.round(w / 10)}" height="${small}" fill="#ffd54f"/>` +
      `<text x="${Math.round(w / 32)}" y="${big * 1.5}" font-family="DejaVu Sans, sans-serif" font-size="${big}" ` +
      `fill="#ffffff">${escapeXml(this.name)}</text>` +
      `<text x="${Math.round(w / 32)}" y="${big * 1.5 + small * 1.8}" font-family="DejaVu Sans Mono, monospace" ` +
      `font-size="${small}" fill="#ffffff">${escapeXml(formatWib(now))}  #${frame}</text>` +
      '</svg>';
    return sharp({ create: { width: w, height: h, channels: 3, background: { r, g, b } } })
      .composite([{ input: Buffer.from(svg), top: 0, left: 0 }])
      .jpeg({ quality: 80 })
      .toBuffer();
  }

  // -------------------------------------------------------------------------
  // WS-Discovery

  private onProbe(socket: UdpSocket, msg: Buffer, address: string, port: number): void {
    if (this.faultState.gone || !this.server || socket !== this.discovery) return;
    const xml = msg.toString('utf8');
    if (bodyOperation(xml) !== 'Probe') return;
    const probe = findElement(xml, 'Probe');
    if (!probe) return;
    const version = namespaceOf(xml, probe.prefix) === WSD_11.wsd ? WSD_11 : WSD_2005;
    if (!this.typesMatch(xml, elementText(probe.inner, 'Types') ?? '')) return;
    const scopesEl = findElement(probe.inner, 'Scopes');
    if (scopesEl && !this.scopesMatch(elementText(probe.inner, 'Scopes') ?? '', scopesEl.attributes, version)) return;
    const reply = probeMatchesMessage({
      version,
      messageId: `urn:uuid:${randomUUID()}`,
      relatesTo: elementText(xml, 'MessageID'),
      instanceId: this.discoveryInstanceId,
      messageNumber: ++this.discoveryMessageNumber,
      endpoint: this.endpointReference,
      scopes: this.scopes,
      xaddrs: this.deviceServiceUrl,
    });
    socket.send(reply, port, address);
  }

  /** Every QName asked for must be ours: dn:NetworkVideoTransmitter or tds:Device (ONVIF Core §7.3.1). */
  private typesMatch(xml: string, types: string): boolean {
    const ours = new Set([`${NS.dn}#NetworkVideoTransmitter`, `${NS.tds}#Device`]);
    return types
      .split(/\s+/)
      .filter(Boolean)
      .every((qname) => {
        const [prefix, local] = qname.includes(':') ? (qname.split(':', 2) as [string, string]) : ['', qname];
        const ns = namespaceOf(xml, prefix);
        // An unbound prefix: judge by the local name alone, as lenient devices do.
        if (ns === undefined) return local === 'NetworkVideoTransmitter' || local === 'Device';
        return ours.has(`${ns}#${local}`);
      });
  }

  /** WS-Discovery §5.1 matching: default (RFC 3986) is segment-wise prefix, strcmp0 exact. */
  private scopesMatch(wanted: string, attributes: string, version: DiscoveryVersion): boolean {
    const matchBy = /MatchBy\s*=\s*"([^"]*)"/.exec(attributes)?.[1];
    const exact = matchBy === `${version.wsd}/strcmp0`;
    if (matchBy && !exact && matchBy !== `${version.wsd}/rfc3986`) return false;
    return wanted
      .split(/\s+/)
      .filter(Boolean)
      .every((s) =>
        this.scopes.some((ours) => {
          if (exact) return ours === s;
          const prefix = s.endsWith('/') ? s : `${s}/`;
          return ours.toLowerCase() === s.toLowerCase() || ours.toLowerCase().startsWith(prefix.toLowerCase());
        }),
      );
  }
}

// ---------------------------------------------------------------------------

function ok(xml: string): SoapReply {
  return { status: 200, xml };
}

function fault(f: SoapFault): SoapReply {
  return { status: faultHttpStatus(f), xml: faultEnvelope(f) };
}

function send(res: ServerResponse, status: number, type: string, body: string, headers: Record<string, string> = {}): void {
  const buf = Buffer.from(body, 'utf8');
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': buf.length, ...headers });
  res.end(buf);
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error('request body too large'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** RFC 7616 §3.4 / RFC 7235 auth-params: key=token or key="quoted string", comma-separated. */
export function parseAuthParams(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /([A-Za-z][\w-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))\s*(?:,|$)/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const key = (m[1] ?? '').toLowerCase();
    out[key] = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : (m[3] ?? '');
    if (re.lastIndex === m.index) re.lastIndex++;
  }
  return out;
}

function hslToRgb(h: number, s: number, l: number): [number, number, number] {
  const k = (n: number) => (n + h * 12) % 12;
  const a = s * Math.min(l, 1 - l);
  const f = (n: number) => l - a * Math.max(-1, Math.min(k(n) - 3, Math.min(9 - k(n), 1)));
  return [Math.round(f(0) * 255), Math.round(f(8) * 255), Math.round(f(4) * 255)];
}
