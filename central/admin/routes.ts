import { z } from 'zod';
import { IanaZone } from '../../protocols/config-file.js';
import { GeoPoint } from '../config.js';
import type { Enrollment } from '../enroll.js';
import type { LiveState } from '../live-state.js';
import type { Registry } from '../registry.js';
import { parseRosterCsv } from './roster-csv.js';

/**
 * The registry pages' API (admins) and device management (technicians):
 *   GET  /api/admin/opds                          OPDs with zone, coordinates, gateways, roster size
 *   PUT  /api/admin/opds/{code}                   add or change an OPD  {name, zone, location|null}
 *   GET  /api/admin/opds/{code}/employees         its roster
 *   POST /api/admin/opds/{code}/employees         roster import: text/csv body (pin, nip, name) ->
 *                                                 {imported, errors: [{line, message}]}; valid rows are kept
 *   GET  /api/admin/gateways                      gateways with OPD, password set, running version, state
 *   POST /api/admin/enroll-tokens                 {opd, gateway?} -> a single-use enrollment token
 */
export type AdminPermission = 'registry.manage' | 'devices.manage';

export interface AdminRequest {
  method: string;
  url: URL;
  json: () => Promise<unknown>;
  text: () => Promise<string>;
  /** How a box reaches this central, for the printed enroll command (e.g. https://host:8080). */
  origin: string;
  caFingerprint: string | undefined;
}

export interface AdminReply {
  status: number;
  body: unknown;
}

export interface AdminSources {
  registry: Registry;
  live: LiveState;
  enrollment: Enrollment;
  /** The version this central was built as: gateways on another one are flagged. */
  version: string;
}

const OPD_CODE = /^[a-z0-9][a-z0-9_-]{0,31}$/;
export const OpdBody = z.strictObject({ name: z.string().trim().min(1).max(200), zone: IanaZone, location: GeoPoint.nullable().default(null) });
export const TokenBody = z.strictObject({ opd: z.string().regex(OPD_CODE), gateway: z.string().optional(), ttlH: z.number().min(0.1).max(720).optional() });

export function adminPermission(method: string, pathname: string): AdminPermission | undefined {
  if (!pathname.startsWith('/api/admin/')) return undefined;
  return pathname.startsWith('/api/admin/gateways') || pathname.startsWith('/api/admin/enroll-tokens') ? 'devices.manage' : 'registry.manage';
}

const bad = (error: z.ZodError): AdminReply => ({ status: 400, body: { error: z.prettifyError(error) } });

/** Versions compare as numbers part by part ("0.10.0" is newer than "0.9.3"). */
export function olderVersion(version: string, than: string): boolean {
  const a = version.split(/[.-]/).map((p) => Number.parseInt(p, 10) || 0);
  const b = than.split(/[.-]/).map((p) => Number.parseInt(p, 10) || 0);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) < (b[i] ?? 0);
  }
  return false;
}

export async function adminRoute(sources: AdminSources, req: AdminRequest): Promise<AdminReply | undefined> {
  const { method, url } = req;
  const path = url.pathname.replace(/\/$/, '');
  const { registry } = sources;
  if (path === '/api/admin/opds' && method === 'GET') return { status: 200, body: { opds: registry.opds() } };

  const opd = /^\/api\/admin\/opds\/([^/]+)(\/employees)?$/.exec(path);
  if (opd) {
    const code = decodeURIComponent(opd[1]!);
    if (!OPD_CODE.test(code)) return { status: 400, body: { error: 'an OPD code is lower-case letters, digits, "_" or "-" (max 32)' } };
    const known = registry.opds().some((o) => o.code === code);
    if (!opd[2]) {
      if (method !== 'PUT') return { status: 405, body: { error: 'change an OPD with PUT' } };
      const body = OpdBody.safeParse(await req.json());
      if (!body.success) return bad(body.error);
      registry.saveOpd({ code, ...body.data });
      return { status: known ? 200 : 201, body: registry.opds().find((o) => o.code === code) };
    }
    if (!known) return { status: 404, body: { error: `no OPD ${code}` } };
    if (method === 'GET') return { status: 200, body: { opd: code, employees: registry.employees(code) } };
    if (method !== 'POST') return { status: 405, body: { error: 'import a roster with POST (text/csv)' } };
    const { rows, errors } = parseRosterCsv(await req.text());
    registry.saveEmployees(code, rows);
    return { status: errors.length > 0 && rows.length === 0 ? 400 : 200, body: { opd: code, imported: rows.length, errors } };
  }

  if (path === '/api/admin/gateways' && method === 'GET') {
    const live = new Map(sources.live.snapshot().gateways.map((g) => [g.gateway, g]));
    const gateways = registry.gatewayList().map((g) => {
      const l = live.get(g.id);
      const version = l?.version ?? null;
      return { ...g, state: l?.state ?? 'unknown', lastSeenAt: l?.lastSeenAt ?? null, version, outdated: version !== null && olderVersion(version, sources.version) };
    });
    return { status: 200, body: { centralVersion: sources.version, gateways } };
  }

  if (path === '/api/admin/enroll-tokens') {
    if (method !== 'POST') return { status: 405, body: { error: 'create a token with POST' } };
    const body = TokenBody.safeParse(await req.json());
    if (!body.success) return bad(body.error);
    try {
      const { token, expiresAt } = sources.enrollment.createToken(body.data.opd, body.data.gateway, body.data.ttlH);
      const pin = req.caFingerprint !== undefined ? ` --ca-sha256 ${req.caFingerprint}` : '';
      return { status: 201, body: { token, expiresAt: expiresAt.toISOString(), command: `pemda-edge enroll --central ${req.origin} --token ${token}${pin}` } };
    } catch (err) {
      return { status: 400, body: { error: (err as Error).message } };
    }
  }
  if (path.startsWith('/api/admin/')) return { status: 404, body: { error: `no route ${url.pathname}` } };
  return undefined;
}
