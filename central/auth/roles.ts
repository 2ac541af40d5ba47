/**
 * Who may do what in the command room. Routes ask for a permission, never for a role,
 * so a new role (or a narrower one) is a change to this table only.
 */
export const ROLES = ['operator', 'technician', 'admin'] as const;
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

export const ROLE_PERMISSIONS: Readonly<Record<Role, readonly Permission[]>> = {
  operator: OPERATOR,
  technician: TECHNICIAN,
  admin: PERMISSIONS,
};

/** Someone logged in (a browser session) or another system (an API token). */
export interface Principal {
  username: string;
  role: Role;
  /** A session came with a cookie, so state-changing routes may want an Origin check too. */
  via: 'session' | 'token';
}

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

export function can(principal: Pick<Principal, 'role'> | undefined, permission: Permission): boolean {
  return principal !== undefined && ROLE_PERMISSIONS[principal.role].includes(permission);
}
