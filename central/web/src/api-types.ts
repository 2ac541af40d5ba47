/**
 * The central's HTTP API as the browser sees it. A mirror of what central/http.ts
 * sends (GatewayLive and RecentPunch in central/live-state.ts, Registry.opds(), the
 * Health payload in protocols/mqtt/payloads.ts, Alert in central/alerts/alert.ts, the
 * admin routes in central/admin/routes.ts, the roles in central/auth/roles.ts), written
 * out here because the browser build must not pull in Node-only modules. Only the
 * fields the pages use are listed.
 */

export interface ApiLocation {
  lat: number;
  lon: number;
}

export interface ApiOpd {
  code: string;
  name: string;
  /** IANA zone, e.g. Asia/Makassar. */
  zone: string;
  /** Office coordinates (WGS84) for the map; absent from centrals older than the map. */
  location?: ApiLocation | null;
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

// ---------------------------------------------------------------- login

export type ApiRole = 'operator' | 'technician' | 'admin';
export type ApiPermission = 'view' | 'alerts.ack' | 'devices.manage' | 'registry.manage' | 'reports.read' | 'users.manage';

/** POST /api/auth/login, GET /api/auth/me */
export interface ApiMe {
  username: string;
  role: ApiRole;
  permissions: ApiPermission[];
}

// ---------------------------------------------------------------- alerts

export type ApiAlertKind = 'gateway-offline' | 'terminal-offline' | 'no-punches' | 'data-stale' | 'camera-offline' | 'clock-skew' | 'disk-full';

export interface ApiAlert {
  id: number;
  kind: ApiAlertKind;
  severity: 'critical' | 'warning';
  opd: string;
  gateway: string | null;
  device: string | null;
  /** The same text in Bahasa Indonesia (`id`) and English (`en`). */
  message: { id: string; en: string };
  raisedAt: string;
  acknowledgedAt: string | null;
  acknowledgedBy: string | null;
  clearedAt: string | null;
}

/** GET /api/alerts */
export interface ApiOpenAlerts {
  at: string;
  open: ApiAlert[];
}

/** GET /api/alerts/recent */
export interface ApiRecentAlerts {
  alerts: ApiAlert[];
}

// ---------------------------------------------------------------- admin

/** One OPD of GET /api/admin/opds (and the answer of PUT /api/admin/opds/{code}). */
export interface ApiAdminOpd {
  code: string;
  name: string;
  zone: string;
  location: ApiLocation | null;
  gateways: string[];
  employees: number;
}

export interface ApiEmployee {
  pin: string;
  nip: string | null;
  name: string;
}

/** GET /api/admin/opds/{code}/employees */
export interface ApiRoster {
  opd: string;
  employees: ApiEmployee[];
}

/** POST /api/admin/opds/{code}/employees (text/csv) */
export interface ApiRosterImport {
  opd: string;
  imported: number;
  /** `line` 1 is the header row. */
  errors: { line: number; message: string }[];
}

/** One gateway of GET /api/admin/gateways */
export interface ApiAdminGateway {
  id: string;
  opd: string;
  hasPassword: boolean;
  passwordSetAt: string | null;
  state: 'online' | 'offline' | 'unknown';
  lastSeenAt: string | null;
  version: string | null;
  /** Running a version older than the central's. */
  outdated: boolean;
}

export interface ApiAdminGateways {
  centralVersion: string;
  gateways: ApiAdminGateway[];
}

/** POST /api/admin/enroll-tokens */
export interface ApiEnrollToken {
  token: string;
  expiresAt: string;
  /** The pemda-edge enroll command to run on the new box. */
  command: string;
}
