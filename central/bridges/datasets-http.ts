import { z } from 'zod';
import { DatasetRegistration, Slug } from './dataset.js';
import { DatasetReadError, type DatasetBridge } from './datasets.js';
import { bad, bearerToken, fail, readJson, ROWS_BODY_LIMIT, type BridgesReply, type BridgesRequest } from './request.js';

/**
 * The data bridge routes (docs/bridges.md):
 *   GET  /api/datasets                        every dataset: fields, OPD, latest row time, stale flag     (view)
 *   POST /api/datasets                        register one -> 201 with its push token, shown this once   (datasets.manage)
 *   GET  /api/datasets/{slug}                 one dataset                                                (view)
 *   POST /api/datasets/{slug}/token           a new push token; the old one stops working                (datasets.manage)
 *   GET  /api/datasets/{slug}/latest?limit=50 latest value per field and the newest rows, for a wall tile (view)
 *   POST /api/datasets/{slug}/rows            push rows: application/json or text/csv, with
 *                                             Authorization: Bearer <dataset token> (no user session)
 *                                             200 all stored, 207 some rows refused (the others stored), 422 none valid
 */

/** 'dataset-token': no user permission; the route checks the dataset's own token. */
export type DatasetsPermission = 'view' | 'datasets.manage' | 'dataset-token';

const ONE = /^\/api\/datasets\/([^/]+)(?:\/(token|latest|rows))?$/;

export const LatestQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(1000).default(50) });

const isDatasetsPath = (pathname: string): boolean => pathname === '/api/datasets' || pathname.startsWith('/api/datasets/');

export function datasetsPermission(method: string, pathname: string): DatasetsPermission | undefined {
  if (!isDatasetsPath(pathname)) return undefined;
  if (ONE.exec(pathname.replace(/\/$/, ''))?.[2] === 'rows') return 'dataset-token';
  return method === 'GET' ? 'view' : 'datasets.manage';
}

function slugOf(segment: string): string | undefined {
  try {
    const slug = decodeURIComponent(segment);
    return Slug.safeParse(slug).success ? slug : undefined;
  } catch {
    return undefined;
  }
}

export async function datasetsRoute(bridge: DatasetBridge, req: BridgesRequest): Promise<BridgesReply | undefined> {
  const { method, url, actor } = req;
  if (!isDatasetsPath(url.pathname)) return undefined;
  const path = url.pathname.replace(/\/$/, '');

  if (path === '/api/datasets') {
    if (method === 'GET') return { status: 200, body: { at: new Date().toISOString(), datasets: bridge.list() } };
    if (method !== 'POST') return fail(405, 'register a dataset with POST, list them with GET');
    if (!actor) return fail(401, 'log in as an admin first');
    const body = await readJson(req);
    if ('reply' in body) return body.reply;
    const parsed = DatasetRegistration.safeParse(body.value);
    if (!parsed.success) return bad(parsed.error);
    const registered = bridge.register(parsed.data, actor.username);
    if ('error' in registered) return fail(registered.status, registered.error);
    const push = `/api/datasets/${parsed.data.slug}/rows`;
    return { status: 201, body: { dataset: registered.dataset, token: registered.token, push: { url: push, header: 'Authorization: Bearer <token>', note: 'the token is shown this once; keep it in the sending system' } } };
  }

  const one = ONE.exec(path);
  if (!one) return fail(404, `no route ${url.pathname}`);
  const slug = slugOf(one[1]!);
  if (slug === undefined) return fail(400, `${one[1]} is not a dataset slug: lower-case letters, digits, "_" or "-" (max 48)`);
  const action = one[2];

  if (action === 'rows') {
    if (method !== 'POST') return fail(405, 'push rows with POST');
    const type = req.contentType ?? '';
    if (!/^(application\/json|text\/(csv|plain))\b/i.test(type)) return fail(415, 'send Content-Type: application/json or text/csv');
    const token = bearerToken(req.authorization);
    // Refused before the body is read: a caller without the token does not get 5 MB parsed.
    const result = bridge.authorize(slug, token) ?? (await bridge.ingestDatasetPayload(slug, token, await req.body(ROWS_BODY_LIMIT), type));
    return { status: result.status, body: result.body, headers: 'headers' in result ? result.headers : undefined };
  }
  if (action === 'token') {
    if (method !== 'POST') return fail(405, 'issue a new token with POST');
    if (!actor) return fail(401, 'log in as an admin first');
    const token = bridge.rotateToken(slug, actor.username);
    return token ? { status: 200, body: { dataset: slug, token } } : fail(404, `no dataset ${slug}`);
  }
  if (method !== 'GET') return fail(405, `${method} not allowed`);
  if (action === 'latest') {
    const q = LatestQuery.safeParse(Object.fromEntries(url.searchParams));
    if (!q.success) return bad(q.error);
    try {
      const latest = await bridge.latest(slug, q.data.limit);
      return latest ? { status: 200, body: latest } : fail(404, `no dataset ${slug}`);
    } catch (err) {
      if (err instanceof DatasetReadError) return fail(503, err.message);
      throw err;
    }
  }
  const dataset = bridge.get(slug);
  return dataset ? { status: 200, body: dataset } : fail(404, `no dataset ${slug}`);
}
