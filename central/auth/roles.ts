/**
 * Who may do what in the command room. Routes ask for a permission, never for a role,
 * so a new role (or a narrower one) is a change to this table only.
 */
export const ROLES = ['operator', 'technician', 'admin', 'opd'] as const;
export type Role = (typeof ROLES)[number];

export const PERMISSIONS = [
  /** the wall, attendance, device health and alerts */
  'view',
  /** acknowledge an alert */
  'alerts.ack',
  /** gateways and devices: commands ("snapshot now"), gateway passwords, enrollment tokens */
  'devices.manage',
  /** OPDs, gateways and rosters in the registry */
  'registry.manage',
  /** presence reports */
  'reports.read',
  /** command-room users and their API tokens */
  'users.manage',
  /** file a complaint (operators; a complaint app's API-token user) */
  'complaints.submit',
  /** list, read, assign, acknowledge and close complaints; their statistics */
  'complaints.handle',
  /** register datasets of other OPD systems and issue their push tokens */
  'datasets.manage',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

const OPERATOR: readonly Permission[] = ['view', 'alerts.ack', 'complaints.submit', 'complaints.handle'];
const TECHNICIAN: readonly Permission[] = [...OPERATOR, 'devices.manage'];
/**
 * Staff of one OPD answer their office's complaints and nothing else: `view` would show
 * every office's cameras, punches and alerts. Which complaints, and that they may not
 * reassign them, follows from the user's OPD (the bridges Actor's `opd`), not from here.
 */
const OPD_STAFF: readonly Permission[] = ['complaints.handle'];

export const ROLE_PERMISSIONS: Readonly<Record<Role, readonly Permission[]>> = {
  operator: OPERATOR,
  technician: TECHNICIAN,
  admin: PERMISSIONS,
  opd: OPD_STAFF,
};

/** Someone logged in (a browser session) or another system (an API token). */
export interface Principal {
  username: string;
  role: Role;
  /** A session came with a cookie, so state-changing routes may want an Origin check too. */
  via: 'session' | 'token';
  /** The OPD code of a user of role `opd`; undefined for the command room's own users. */
  opd?: string | undefined;
}

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

/** A user of this role belongs to exactly one OPD; users of the other roles to none. */
export function roleNeedsOpd(role: Role): boolean {
  return role === 'opd';
}

export function can(principal: Pick<Principal, 'role'> | undefined, permission: Permission): boolean {
  return principal !== undefined && ROLE_PERMISSIONS[principal.role].includes(permission);
}
