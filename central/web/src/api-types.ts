/**
 * The central's HTTP API as the browser sees it. A mirror of what central/http.ts
 * sends (GatewayLive and RecentPunch in central/live-state.ts, Registry.opds(), the
 * Health payload in protocols/mqtt/payloads.ts), written out here because the browser
 * build must not pull in Node-only modules. Only the fields the pages use are listed.
 */

export interface ApiOpd {
  code: string;
  name: string;
  /** IANA zone, e.g. Asia/Makassar. */
  zone: string;
  gateways: string[];
  /** Roster size: employees registered for the OPD. */
  employees: number;
  /** Punches whose terminal date is today in the OPD's zone. */
  punchesToday: number;
}

export interface ApiDeviceState {
  state: string;
  reason?: string;
  at: string;
}

export interface ApiTerminal extends ApiDeviceState {
  skewMs?: number;
  clockAlarm?: boolean;
  lastPunchAt?: string;
}

export interface ApiCameraState extends ApiDeviceState {
  capturedAt?: string;
}

export interface ApiHealth {
  at: string;
  uptimeS: number;
  disk: { freeBytes: number; totalBytes: number } | null;
  outbox: { depth: number; oldestAgeS: number | null; bytes: number; budgetBytes: number; budget: 'ok' | 'near' | 'over' };
  cameras?: { id: string; state: string }[];
}

export interface ApiGateway {
  gateway: string;
  opd: string;
  state: 'online' | 'offline' | 'unknown';
  since: string | null;
  version: string | null;
  lastSeenAt: string | null;
  health: ApiHealth | null;
  terminals: Record<string, ApiTerminal>;
  cameras: Record<string, ApiCameraState>;
}

export interface ApiPunch {
  opd: string;
  gateway: string;
  terminal: string;
  employee: string;
  /** Terminal wall clock, YYYY-MM-DDTHH:mm:ss, no zone. */
  deviceTime: string;
  /** Corrected UTC time. */
  time: string;
  historical: boolean;
}

/** GET /api/state */
export interface ApiState {
  /** Server clock when the answer was made (UTC). */
  at: string;
  opds: ApiOpd[];
  gateways: ApiGateway[];
  recentPunches: ApiPunch[];
}

/** One entry of GET /api/cameras: the latest frame of a camera. */
export interface ApiCamera {
  opd: string;
  gateway: string;
  camera: string;
  capturedAt: string;
  ageS: number;
  kind: string;
  width: number;
  height: number;
  bytes: number;
  url: string;
}
