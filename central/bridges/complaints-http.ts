import { readFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import { z } from 'zod';
import { complaintStats, spread, type OpdComplaintStats } from './complaint-stats.js';
import type { BridgeEvents } from './events.js';
import type { ComplaintStore } from './complaint-store.js';
import { AckBody, AssignBody, Category, CloseBody, COMPLAINT_STATES, ComplaintStateError, NewComplaint, OpdCode, RoutingRules, type Step } from './complaint.js';
import type { OpdSource } from './datasets.js';
import { decodePhoto, PHOTO_EXTENSION } from './photo.js';
import { bad, COMPLAINT_BODY_LIMIT, fail, PeriodQuery, periodOf, readJson, type BridgesReply, type BridgesRequest } from './request.js';

/**
 * The complaint routes (docs/bridges.md). central/http.ts authenticates and checks the
 * permission complaintsPermission names, then hands the request here with the actor:
 *   POST /api/complaints                      file a complaint (complaint app or operator) -> 201, or 200 with the
 *                                             earlier one when the sender repeats an externalId
 *   GET  /api/complaints?state=open|all|received|routed|acknowledged|closed&opd=&category=&limit=&before=
 *   GET  /api/complaints/stats?opd=&from=&to= per OPD: received, open, median and p90 of received->acknowledged and ->closed
 *   GET  /api/complaints/routing              the routing rules (category -> OPD; "*" is the fallback)
 *   PUT  /api/complaints/routing              replace them {rules: [{category, opd}]}
 *   GET  /api/complaints/{id}                 one complaint with its history
 *   GET  /api/complaints/{id}/photo           its photo (image/jpeg or image/png)
 *   POST /api/complaints/{id}/assign {opd, note?}   route or reassign by hand
 *   POST /api/complaints/{id}/ack {note?}     the OPD acknowledges (a second ack keeps the first)
 *   POST /api/complaints/{id}/close {note}    the OPD closes it, saying what was done
 * 400 bad input, 403 another OPD's complaint, 404 unknown, 409 not possible in its state.
 */

/** Permission names for central/auth/roles.ts; registry.manage exists already. */
export type ComplaintsPermission = 'complaints.submit' | 'complaints.handle' | 'registry.manage';

export interface ComplaintsSources {
  store: ComplaintStore;
  registry: OpdSource;
  log: Logger;
  clock?: () => number;
  /** Told of every complaint filed or changed, for the command room's live pages. */
  events?: BridgeEvents | undefined;
}

export const ListQuery = z.strictObject({
  state: z.enum(['open', 'all', ...COMPLAINT_STATES]).default('open').describe('open: every state but closed'),
  opd: OpdCode.optional(),
  category: Category.optional(),
  before: z.coerce.number().int().positive().optional().describe('only ids below this: the next page'),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});
export const StatsQuery = z.strictObject({ opd: OpdCode.optional(), ...PeriodQuery });

const ONE = /^\/api\/complaints\/(\d{1,15})(?:\/(photo|assign|ack|close))?$/;

const isComplaintsPath = (pathname: string): boolean => pathname === '/api/complaints' || pathname.startsWith('/api/complaints/');

export function complaintsPermission(method: string, pathname: string): ComplaintsPermission | undefined {
  if (!isComplaintsPath(pathname)) return undefined;
  const path = pathname.replace(/\/$/, '');
  if (path === '/api/complaints' && method === 'POST') return 'complaints.submit';
  if (path === '/api/complaints/routing' && method === 'PUT') return 'registry.manage';
  return 'complaints.handle';
}

const emptyStats = (opd: string): OpdComplaintStats => ({ opd, received: 0, open: 0, oldestOpenSince: null, acknowledge: spread([]), close: spread([]) });

export async function complaintsRoute(sources: ComplaintsSources, req: BridgesRequest): Promise<BridgesReply | undefined> {
  const { method, url, actor } = req;
  if (!isComplaintsPath(url.pathname)) return undefined;
  if (!actor) return fail(401, 'log in (or send an API token) first');
  const { store, log } = sources;
  const now = (sources.clock ?? Date.now)();
  const path = url.pathname.replace(/\/$/, '');
  const query = Object.fromEntries(url.searchParams);
  const knownOpd = (code: string) => sources.registry.opds().some((o) => o.code === code);
  const commandRoomOnly = (what: string) => fail(403, `${what} is for the command room, not for a user of one OPD (${actor.opd})`);

  if (path === '/api/complaints') {
    if (method === 'GET') {
      const q = ListQuery.safeParse(query);
      if (!q.success) return bad(q.error);
      if (actor.opd !== undefined && q.data.opd !== undefined && q.data.opd !== actor.opd) return fail(403, `you see the complaints of ${actor.opd} only`);
      const opd = actor.opd ?? q.data.opd;
      return { status: 200, body: { at: new Date(now).toISOString(), complaints: store.list({ ...q.data, opd }) } };
    }
    if (method !== 'POST') return fail(405, 'file a complaint with POST, list them with GET');
    const body = await readJson(req, COMPLAINT_BODY_LIMIT);
    if ('reply' in body) return body.reply;
    const parsed = NewComplaint.safeParse(body.value);
    if (!parsed.success) return bad(parsed.error);
    let photo;
    if (parsed.data.photo !== undefined) {
      photo = decodePhoto(parsed.data.photo);
      if ('error' in photo) return fail(400, photo.error);
    }
    const { complaint, created } = store.receive(parsed.data, photo, actor.username, now);
    if (created) {
      log.info({ complaint: complaint.id, category: complaint.category, opd: complaint.opd, state: complaint.state, by: actor.username }, 'complaint received');
      sources.events?.complaintChanged(complaint);
    }
    return { status: created ? 201 : 200, body: complaint };
  }

  if (path === '/api/complaints/stats') {
    if (method !== 'GET') return fail(405, 'read the figures with GET');
    const q = StatsQuery.safeParse(query);
    if (!q.success) return bad(q.error);
    if (actor.opd !== undefined && q.data.opd !== undefined && q.data.opd !== actor.opd) return fail(403, `you see the figures of ${actor.opd} only`);
    const period = periodOf(q.data, now);
    if ('error' in period) return fail(400, period.error);
    const opd = actor.opd ?? q.data.opd;
    const times = store.times(period.fromMs, period.toMs);
    const opds = opd === undefined ? complaintStats(times) : [complaintStats(times.filter((t) => t.opd === opd))[0] ?? emptyStats(opd)];
    return { status: 200, body: { from: new Date(period.fromMs).toISOString(), to: new Date(period.toMs).toISOString(), opds } };
  }

  if (path === '/api/complaints/routing') {
    if (method === 'GET') return { status: 200, body: { rules: store.rules() } };
    if (method !== 'PUT') return fail(405, 'read the rules with GET, replace them with PUT');
    if (actor.opd !== undefined) return commandRoomOnly('changing the routing rules');
    const body = await readJson(req);
    if ('reply' in body) return body.reply;
    const parsed = RoutingRules.safeParse(body.value);
    if (!parsed.success) return bad(parsed.error);
    const unknown = parsed.data.rules.filter((r) => !knownOpd(r.opd)).map((r) => `${r.category} -> ${r.opd}`);
    if (unknown.length > 0) return fail(400, `no such OPD in the registry: ${unknown.join(', ')}`);
    store.setRules(parsed.data.rules, actor.username, now);
    log.info({ rules: parsed.data.rules.length, by: actor.username }, 'complaint routing rules replaced');
    return { status: 200, body: { rules: store.rules() } };
  }

  const one = ONE.exec(path);
  if (!one) return fail(404, `no route ${url.pathname}`);
  const id = Number(one[1]);
  const action = one[2];
  const notOurs = (c: { opd: string | null }) => actor.opd !== undefined && c.opd !== actor.opd;
  const complaint = store.get(id);
  if (!complaint) return fail(404, `no complaint ${id}`);
  if (notOurs(complaint)) return fail(403, `complaint ${id} is not assigned to ${actor.opd}`);

  if (action === undefined || action === 'photo') {
    if (method !== 'GET') return fail(405, `${method} not allowed`);
    if (action === undefined) return { status: 200, body: { ...complaint, history: store.history(id) } };
    const file = store.photoFile(id);
    if (!file) return fail(404, `complaint ${id} came without a photo`);
    const bytes = await readFile(file.path).catch(() => undefined);
    if (!bytes) return fail(404, `the photo file of complaint ${id} is missing from the photo folder`);
    // nosniff: the bytes were checked to be a picture; no browser should guess otherwise.
    const name = `complaint-${id}.${PHOTO_EXTENSION[file.type]}`;
    return { status: 200, type: file.type, body: bytes, headers: { 'Content-Disposition': `inline; filename="${name}"`, 'X-Content-Type-Options': 'nosniff' } };
  }

  if (method !== 'POST') return fail(405, `${action} with POST`);
  // An acknowledgement may come without a body at all: nothing to say but "seen".
  const body = action === 'ack' && req.contentType === undefined ? { value: {} } : await readJson(req);
  if ('reply' in body) return body.reply;
  // While the body arrived the command room may have reassigned it elsewhere: an OPD
  // must not acknowledge or close what is no longer its own. No await from here to apply.
  const current = store.get(id);
  if (!current) return fail(404, `no complaint ${id}`);
  if (notOurs(current)) return fail(403, `complaint ${id} is not assigned to ${actor.opd} (any more)`);
  let step: Step;
  if (action === 'assign') {
    if (actor.opd !== undefined) return commandRoomOnly('reassigning');
    const parsed = AssignBody.safeParse(body.value);
    if (!parsed.success) return bad(parsed.error);
    if (!knownOpd(parsed.data.opd)) return fail(400, `no OPD ${parsed.data.opd} in the registry`);
    step = { action: 'assign', ...parsed.data };
  } else if (action === 'ack') {
    const parsed = AckBody.safeParse(body.value);
    if (!parsed.success) return bad(parsed.error);
    step = { action: 'ack', ...parsed.data };
  } else {
    const parsed = CloseBody.safeParse(body.value);
    if (!parsed.success) return bad(parsed.error);
    step = { action: 'close', ...parsed.data };
  }
  try {
    const changed = store.apply(id, step, actor.username, now);
    if (!changed) return fail(404, `no complaint ${id}`);
    if (changed.state !== current.state || changed.opd !== current.opd) {
      log.info({ complaint: id, opd: changed.opd, state: changed.state, by: actor.username }, `complaint ${action}`);
      sources.events?.complaintChanged(changed);
    }
    return { status: 200, body: changed };
  } catch (err) {
    if (err instanceof ComplaintStateError) return fail(409, `complaint ${id} is ${current.state}: ${err.message}`);
    throw err;
  }
}
