/**
 * The central's HTTP API as the browser sees it. A mirror of what central/http.ts
 * sends (GatewayLive and RecentPunch in central/live-state.ts, Registry.opds(), the
 * Health payload in protocols/mqtt/payloads.ts, Alert in central/alerts/alert.ts, the
 * admin routes in central/admin/routes.ts, the roles in central/auth/roles.ts, the
 * reports in central/reports/api.ts and performance.ts, the complaints and datasets
 * in central/bridges/complaint-store.ts, complaint-stats.ts and datasets.ts), written
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

export type ApiRole = 'operator' | 'technician' | 'admin' | 'opd';
export type ApiPermission =
  | 'view'
  | 'alerts.ack'
  | 'devices.manage'
  | 'registry.manage'
  | 'reports.read'
  | 'users.manage'
  | 'complaints.submit'
  | 'complaints.handle'
  | 'datasets.manage';

/** POST /api/auth/login, GET /api/auth/me */
export interface ApiMe {
  username: string;
  role: ApiRole;
  permissions: ApiPermission[];
  /** Only for a user of role opd: the one OPD whose complaints they see. */
  opd?: { code: string; name: string };
}

// ---------------------------------------------------------------- alerts

export type ApiAlertKind = 'panic' | 'gateway-offline' | 'terminal-offline' | 'no-punches' | 'data-stale' | 'camera-offline' | 'clock-skew' | 'disk-full';

/** The press behind a panic alert (PanicDetails in central/alerts/alert.ts). */
export interface ApiPanic {
  /** The gateway's id of the press: one alert per press. */
  eventId: string;
  seq: number;
  /** The input's id in the gateway config (a button, an alarm panel, "phone-app"). */
  input: string;
  via: 'modem-line' | 'serial-line' | 'http';
  /** When the gateway registered the press (UTC). */
  pressedAt: string;
  /** Who or what pressed: the phone app's source, the alarm panel's line. */
  source: string | null;
  note: string | null;
  /** From the phone app, when it sent one. */
  location: ApiLocation | null;
  /** The nearest cameras, nearest first; frameUrl is that camera's newest frame. */
  cameras: { id: string; frameUrl: string }[];
}

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
  /** Only on panic alerts. */
  panic?: ApiPanic;
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

// ---------------------------------------------------------------- reports

/** Whole calendar days in the OPD's zone, both ends included. */
export interface ApiReportPeriod {
  kind: 'day' | 'week' | 'month';
  from: string;
  to: string;
  /** "2026-11", "2026-W48", "2026-11-26". */
  label: string;
}

export interface ApiPresenceTotals {
  /** Workdays up to today. */
  workDays: number;
  present: number;
  absent: number;
  lateDays: number;
  lateMinutes: number;
  earlyLeaveDays: number;
  earlyLeaveMinutes: number;
  missingIn: number;
  missingOut: number;
  /** Punched on a weekend or holiday. */
  offDayPresence: number;
  punches: number;
}

/** One date of one employee (GET /api/reports/presence?...&detail=true). */
export interface ApiPresenceDay {
  date: string;
  kind: 'workday' | 'weekend' | 'holiday';
  /** The holiday's name, on holidays. */
  holiday?: string;
  /** After today in the OPD's zone: nothing counted. */
  future: boolean;
  /** Future, or today before its end time: absence, early leave and a missing check-out not counted yet. */
  pending: boolean;
  /** HH:mm:ss in the OPD's zone. */
  in: string | null;
  out: string | null;
  punches: number;
  present: boolean;
  absent: boolean;
  lateMinutes: number;
  earlyLeaveMinutes: number;
  missingIn: boolean;
  missingOut: boolean;
  offDayPresence: boolean;
}

export interface ApiPresenceEmployee {
  /** The terminal user id. */
  pin: string;
  nip: string | null;
  /** null for an id that is on no roster. */
  name: string | null;
  /** unknown: never on the roster when punching; not-on-roster: was, is no longer. null: on the roster. */
  flag: 'unknown' | 'not-on-roster' | null;
  /** The central's note in Bahasa Indonesia, e.g. "tidak lagi di daftar pegawai OPD; sekarang di OPD dinkes". */
  note: string | null;
  totals: ApiPresenceTotals;
  /** Only with detail=true. */
  days?: ApiPresenceDay[];
}

/** GET /api/reports/presence?opd=CODE&month=|week=|day=[&detail=true] */
export interface ApiPresenceReport {
  opd: { code: string; name: string; zone: string };
  /** `description` is in Bahasa Indonesia, as in the files. */
  period: ApiReportPeriod & { description: string };
  generatedAt: string;
  /** The schedule in words (Bahasa Indonesia), e.g. "mon,tue,wed,thu,fri 07:30-16:00, toleransi 0 menit". */
  schedule: string;
  /** Holiday file names used; empty: none found. */
  holidayFiles: string[];
  /** The central's remarks in English (no schedule in the seed, a missing holiday file). */
  warnings: string[];
  /** Roster employees only. */
  totals: ApiPresenceTotals & { employees: number };
  flagged: { employees: number; punches: number };
  /** The roster first, then ids punched here that are not on it. */
  employees: ApiPresenceEmployee[];
}

export type ApiRankingSort = 'score' | 'workdays' | 'uptime' | 'cameras' | 'response';

export interface ApiHourWindow {
  from: string;
  to: string;
  hours: number;
}

/** Shares are 0..1; null: nothing to judge. */
export interface ApiOfficePerformance {
  opd: { code: string; name: string; zone: string };
  period: ApiReportPeriod;
  generatedAt: string;
  workdays: { planned: number; withPunches: number; share: number | null; withoutPunches: string[] };
  gateways: { window: ApiHourWindow; list: { gateway: string; hoursReported: number; share: number | null }[]; average: number | null };
  cameras: { window: ApiHourWindow; list: { gateway: string; camera: string; hoursWithFrames: number; share: number | null }[]; average: number | null };
  alerts: { count: number; acknowledged: number; unacknowledged: number; medianS: number | null; p90S: number | null; withinTargetShare: number | null };
  score: number | null;
}

export interface ApiRankedOffice extends ApiOfficePerformance {
  rank: number;
}

/** GET /api/reports/performance?month=YYYY-MM[&sort=...] */
export interface ApiPerformanceRanking {
  period: ApiReportPeriod;
  generatedAt: string;
  sort: ApiRankingSort;
  offices: ApiRankedOffice[];
}

// ---------------------------------------------------------------- complaints (pengaduan)

export type ApiComplaintState = 'received' | 'routed' | 'acknowledged' | 'closed';

export interface ApiComplaintStep {
  at: string;
  /** A user name, or "rule:{category}" when a routing rule routed it. */
  by: string;
}

/** One complaint (Complaint in central/bridges/complaint-store.ts). */
export interface ApiComplaint {
  id: number;
  category: string;
  text: string;
  address: string | null;
  location: ApiLocation | null;
  externalId: string | null;
  state: ApiComplaintState;
  /** null until routed. */
  opd: string | null;
  /** Where to fetch the photo; null when none came with it. */
  photo: string | null;
  received: ApiComplaintStep;
  routed: ApiComplaintStep | null;
  acknowledged: (ApiComplaintStep & { note: string | null }) | null;
  closed: (ApiComplaintStep & { note: string }) | null;
}

export type ApiComplaintAction = 'received' | 'routed' | 'reassigned' | 'acknowledged' | 'closed';

export interface ApiComplaintHistoryEntry {
  action: ApiComplaintAction;
  at: string;
  by: string;
  opd: string | null;
  note: string | null;
}

/** GET /api/complaints/{id} */
export interface ApiComplaintDetail extends ApiComplaint {
  history: ApiComplaintHistoryEntry[];
}

/** GET /api/complaints */
export interface ApiComplaintList {
  at: string;
  complaints: ApiComplaint[];
}

/** POST /api/complaints */
export interface ApiNewComplaint {
  category: string;
  text: string;
  address?: string;
  location?: ApiLocation;
  /** base64 or a data: URL of a JPEG or PNG of at most 2 MB. */
  photo?: string;
}

export interface ApiSpread {
  count: number;
  medianS: number | null;
  p90S: number | null;
}

/** One OPD of GET /api/complaints/stats; opd null: complaints not routed yet. */
export interface ApiOpdComplaintStats {
  opd: string | null;
  received: number;
  open: number;
  oldestOpenSince: string | null;
  acknowledge: ApiSpread;
  close: ApiSpread;
}

/** GET /api/complaints/stats */
export interface ApiComplaintStats {
  from: string;
  to: string;
  opds: ApiOpdComplaintStats[];
}

/** GET and PUT /api/complaints/routing; category "*" is the fallback. */
export interface ApiRoutingRules {
  rules: { category: string; opd: string }[];
}

// ---------------------------------------------------------------- datasets (Data OPD)

export type ApiFieldType = 'number' | 'integer' | 'string' | 'boolean';

export interface ApiDatasetField {
  name: string;
  type: ApiFieldType;
  unit?: string;
  label?: string;
  optional?: boolean;
  min?: number;
  max?: number;
}

/** POST /api/datasets */
export interface ApiDatasetRegistration {
  slug: string;
  name: string;
  opd: string;
  fields: ApiDatasetField[];
  staleAfterS?: number;
}

/** One dataset of GET /api/datasets (DatasetSummary in central/bridges/datasets.ts). */
export interface ApiDataset extends ApiDatasetRegistration {
  createdAt: string;
  createdBy: string;
  tokenSetAt: string;
  latestRowAt: string | null;
  lastPushAt: string | null;
  rowsAccepted: number;
  rowsRejected: number;
  stale: boolean;
}

export interface ApiDatasetList {
  at: string;
  datasets: ApiDataset[];
}

/** The answer to POST /api/datasets: the push token, this once. */
export interface ApiDatasetRegistered {
  dataset: ApiDataset;
  token: string;
  push: { url: string; header: string; note: string };
}

export type ApiFieldValue = number | string | boolean;

/** GET /api/datasets/{slug}/latest */
export interface ApiDatasetLatest {
  dataset: string;
  name: string;
  opd: string;
  at: string;
  latestRowAt: string | null;
  stale: boolean;
  fields: { name: string; type: ApiFieldType; unit: string | null; label: string | null; value: ApiFieldValue | null; time: string | null }[];
  /** The newest rows, oldest first. */
  series: { time: string; values: Record<string, ApiFieldValue | null> }[];
}
