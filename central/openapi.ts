import { z } from 'zod';
import { OpdBody, TokenBody } from './admin/routes.js';
import { AckRequest, Alert } from './alerts/index.js';
import { EnrollRequest, EnrollResponse } from '../protocols/enroll.js';
import { RELEASE_VERSION } from '../protocols/version.js';
import { BRIDGE_OPERATIONS, type BridgesPermission } from './bridges/index.js';

/**
 * The OpenAPI 3.1 description of the central's REST API (GET /api/openapi.json and
 * docs/openapi.json), for the other systems a Pemda runs. Bodies come from the same
 * zod schemas the routes validate with, so the description cannot drift from them.
 */
type Permission = 'public' | BridgesPermission | 'view' | 'alerts.ack' | 'devices.manage' | 'registry.manage' | 'reports.read';

interface Op {
  method: 'get' | 'post' | 'put';
  path: string;
  summary: string;
  permission: Permission;
  body?: { type: 'application/json'; schema: z.ZodType } | { type: 'text/csv'; description: string };
  response?: z.ZodType;
  /** Media type of a 200 that is not JSON. */
  produces?: string;
  query?: Record<string, string>;
}

const LoginBody = z.strictObject({ username: z.string(), password: z.string() });

export const OPERATIONS: readonly Op[] = [
  { method: 'post', path: '/api/auth/login', summary: 'log in; sets the pemda_session cookie', permission: 'public', body: { type: 'application/json', schema: LoginBody } },
  { method: 'post', path: '/api/auth/logout', summary: 'end this session', permission: 'public' },
  { method: 'get', path: '/api/auth/me', summary: 'who is logged in, role and permissions', permission: 'public' },
  { method: 'get', path: '/api/state', summary: 'gateways, terminals, cameras, health, today\'s punches per OPD, latest punches', permission: 'view' },
  { method: 'get', path: '/api/cameras', summary: 'latest frame per camera with capture time and age', permission: 'view' },
  { method: 'get', path: '/api/cameras/{gateway}/{camera}/latest.jpg', summary: 'the latest frame (X-Captured-At header)', permission: 'view', produces: 'image/jpeg' },
  { method: 'get', path: '/api/events', summary: 'server-sent events: change, ping, alert-raised, alert-acknowledged, alert-cleared, complaint ({id, state, opd}), dataset ({slug, rows, latestAt}, at most one per dataset per 500 ms); without view but with complaints.handle (OPD staff): ping and complaint only', permission: 'view', produces: 'text/event-stream' },
  { method: 'get', path: '/api/alerts', summary: 'open alerts', permission: 'view' },
  { method: 'get', path: '/api/alerts/recent', summary: 'newest alerts, open and cleared', permission: 'view', query: { limit: 'how many (1-10000, default 100)' } },
  { method: 'get', path: '/api/alerts/response-times', summary: 'raised-to-acknowledged seconds per alert of an OPD', permission: 'view', query: { opd: 'OPD code', from: 'ISO date or instant', to: 'ISO date or instant' } },
  { method: 'get', path: '/api/alerts/{id}', summary: 'one alert', permission: 'view', response: Alert },
  { method: 'post', path: '/api/alerts/{id}/ack', summary: 'acknowledge as the logged-in user', permission: 'alerts.ack', response: Alert, body: { type: 'application/json', schema: AckRequest.partial() } },
  { method: 'get', path: '/api/reports/presence', summary: 'presence report of an OPD for a day, week or month', permission: 'reports.read', query: { opd: 'OPD code', month: 'YYYY-MM', week: 'YYYY-MM-DD (a Monday)', day: 'YYYY-MM-DD', format: 'json, csv or xlsx', detail: 'true: every employee\'s days in the JSON' } },
  { method: 'get', path: '/api/reports/performance', summary: 'office performance of one OPD, or all OPDs ranked', permission: 'reports.read', query: { opd: 'OPD code (optional: without it, all OPDs ranked)', month: 'YYYY-MM', week: 'YYYY-MM-DD (a Monday)', day: 'YYYY-MM-DD', sort: 'ranking order: score, workdays, uptime, cameras or response' } },
  { method: 'get', path: '/api/admin/opds', summary: 'OPDs with zone, coordinates, gateways, roster size', permission: 'registry.manage' },
  { method: 'put', path: '/api/admin/opds/{code}', summary: 'add or change an OPD', permission: 'registry.manage', body: { type: 'application/json', schema: OpdBody } },
  { method: 'get', path: '/api/admin/opds/{code}/employees', summary: 'the roster of an OPD', permission: 'registry.manage' },
  { method: 'post', path: '/api/admin/opds/{code}/employees', summary: 'roster import; valid rows are kept, bad ones listed with their line', permission: 'registry.manage', body: { type: 'text/csv', description: 'header row with pin (or id, user_id), nip, name (or nama); comma or semicolon' } },
  { method: 'get', path: '/api/admin/gateways', summary: 'gateways with OPD, password set, running version, outdated flag, state', permission: 'devices.manage' },
  { method: 'post', path: '/api/admin/enroll-tokens', summary: 'a single-use enrollment token and the technician\'s command', permission: 'devices.manage', body: { type: 'application/json', schema: TokenBody } },
  { method: 'get', path: '/api/enroll/ca', summary: 'the installation CA (PEM) a new gateway pins', permission: 'public', produces: 'application/x-pem-file' },
  { method: 'post', path: '/api/enroll', summary: 'trade an enrollment token for gateway credentials', permission: 'public', body: { type: 'application/json', schema: EnrollRequest }, response: EnrollResponse },
  ...BRIDGE_OPERATIONS,
];

const schema = (s: z.ZodType, io: 'input' | 'output') => z.toJSONSchema(s, { io, unrepresentable: 'any', target: 'draft-2020-12' });

export function openApiDocument(): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of OPERATIONS) {
    const params = [...op.path.matchAll(/\{(\w+)\}/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
    const query = Object.entries(op.query ?? {}).map(([name, description]) => ({ name, in: 'query', required: false, description, schema: { type: 'string' } }));
    const body =
      op.body === undefined
        ? undefined
        : op.body.type === 'text/csv'
          ? { required: true, content: { 'text/csv': { schema: { type: 'string', description: op.body.description } } } }
          : { required: true, content: { 'application/json': { schema: schema(op.body.schema, 'input') } } };
    const ok = op.produces !== undefined ? { [op.produces]: { schema: { type: 'string' } } } : { 'application/json': { schema: op.response ? schema(op.response, 'output') : { type: 'object' } } };
    (paths[op.path] ??= {})[op.method] = {
      summary: op.summary,
      'x-permission': op.permission,
      // A dataset push carries the dataset's own token (Bearer), not a user's.
      ...(op.permission !== 'public' && { security: op.permission === 'dataset-token' ? [{ bearer: [] }] : [{ session: [] }, { bearer: [] }] }),
      ...(params.length + query.length > 0 && { parameters: [...params, ...query] }),
      ...(body && { requestBody: body }),
      responses: {
        '200': { description: 'ok', content: ok },
        ...(op.permission !== 'public' && { '401': { description: 'no session or token' }, '403': { description: `the role lacks ${op.permission}` } }),
        '400': { description: 'bad request: { "error": "..." } says what' },
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Pemda command center API', version: RELEASE_VERSION, description: 'Log in with POST /api/auth/login (cookie), or send Authorization: Bearer <token> from pemda-central user token. docs/command-room.md.' },
    components: {
      securitySchemes: { session: { type: 'apiKey', in: 'cookie', name: 'pemda_session' }, bearer: { type: 'http', scheme: 'bearer' } },
    },
    paths,
  };
}
