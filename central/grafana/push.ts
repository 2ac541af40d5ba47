import type { Dashboard } from './model.js';
import { datasourceBody, folderUid, type DatasourceOptions } from './provisioning.js';

/**
 * Creates or updates the folder, the data source and the dashboards through Grafana's
 * HTTP API (Grafana 10/11, legacy /api routes), idempotently: what already matches is
 * left alone and reported "unchanged".
 */
export class GrafanaError extends Error {}

export interface PushOptions {
  /** Grafana's base URL, possibly with a sub-path (https://host/grafana). */
  url: URL;
  token: string;
  folder: string;
  datasource: DatasourceOptions;
  dashboards: readonly Dashboard[];
  log: (line: string) => void;
  timeoutMs?: number;
}

type Reply = { status: number; body: unknown };

function messageOf(body: unknown, text: string): string {
  if (typeof body === 'object' && body !== null && 'message' in body && typeof body.message === 'string') return body.message;
  return text.trim().slice(0, 200) || '(empty body)';
}

export class GrafanaApi {
  private readonly base: string;

  constructor(
    readonly url: URL,
    private readonly token: string,
    private readonly timeoutMs = 15_000,
  ) {
    this.base = url.href.replace(/\/+$/, '');
  }

  /** A 2xx (or an allowed 404) reply; every other answer is a GrafanaError that says what to do. */
  async request(method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown, allow404 = false): Promise<Reply> {
    const target = `${this.base}${path}`;
    let res: Response;
    try {
      res = await fetch(target, {
        method,
        headers: {
          Authorization: `Bearer ${this.token}`,
          Accept: 'application/json',
          ...(body !== undefined && { 'Content-Type': 'application/json' }),
        },
        ...(body !== undefined && { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      const e = err as Error & { cause?: { code?: string; message?: string } };
      const why = e.name === 'TimeoutError' ? `no answer within ${this.timeoutMs / 1000} s` : (e.cause?.code ?? e.cause?.message ?? e.message);
      throw new GrafanaError(`cannot reach Grafana at ${this.url.href} (${method} ${path}): ${why}`);
    }
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text === '' ? null : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    const where = `Grafana at ${this.url.href}`;
    if (res.status === 401) {
      throw new GrafanaError(`token rejected by ${where} (401 on ${method} ${path}: ${messageOf(parsed, text)}); use a service account token (Administration > Users and access > Service accounts)`);
    }
    if (res.status === 403) {
      throw new GrafanaError(`${where} refused ${method} ${path} (403 forbidden: ${messageOf(parsed, text)}); the token's service account needs the Admin role to manage folders and data sources`);
    }
    if (res.status === 404 && allow404) return { status: 404, body: parsed };
    if (res.status < 200 || res.status > 299) throw new GrafanaError(`${where} answered ${res.status} to ${method} ${path}: ${messageOf(parsed, text)}`);
    if (parsed === undefined) throw new GrafanaError(`${where} answered ${method} ${path} with something that is not JSON; is this URL Grafana? (${text.slice(0, 80)})`);
    return { status: res.status, body: parsed };
  }
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** JSON with object keys sorted, to compare what Grafana stored with what we generate. */
export function canonical(value: unknown): string {
  const sort = (v: unknown): unknown =>
    Array.isArray(v) ? v.map(sort) : isObj(v) ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sort(v[k])])) : v;
  return JSON.stringify(sort(value));
}

/** Every key of `want` has the same value in `have` (recursively for objects). */
function contains(have: unknown, want: unknown): boolean {
  if (isObj(want)) return isObj(have) && Object.entries(want).every(([k, v]) => contains(have[k], v));
  return canonical(have) === canonical(want);
}

async function ensureFolder(api: GrafanaApi, title: string, log: PushOptions['log']): Promise<string> {
  const uid = folderUid(title);
  const { body } = await api.request('GET', '/api/folders');
  if (!Array.isArray(body)) throw new GrafanaError(`Grafana at ${api.url.href}: GET /api/folders did not return a list`);
  const found = body.filter(isObj).find((f) => f.uid === uid || f.title === title);
  if (found && typeof found.uid === 'string') {
    log(`folder "${title}" (${found.uid}): unchanged`);
    return found.uid;
  }
  const created = await api.request('POST', '/api/folders', { uid, title });
  const createdUid = isObj(created.body) && typeof created.body.uid === 'string' ? created.body.uid : uid;
  log(`folder "${title}" (${createdUid}): created`);
  return createdUid;
}

async function ensureDatasource(api: GrafanaApi, o: DatasourceOptions, log: PushOptions['log']): Promise<void> {
  const want = datasourceBody(o);
  const label = `datasource "${want.name}" (${want.uid})`;
  const path = `/api/datasources/uid/${encodeURIComponent(want.uid)}`;
  const current = await api.request('GET', path, undefined, true);
  if (current.status === 404) {
    await api.request('POST', '/api/datasources', want);
    log(`${label}: created`);
    return;
  }
  const have = isObj(current.body) ? current.body : {};
  const { name, type, access, url, basicAuth, jsonData } = want;
  if (contains(have, { name, type, access, url, basicAuth, jsonData })) {
    log(`${label}: unchanged`);
    return;
  }
  if (have.readOnly === true) {
    throw new GrafanaError(`${label} is provisioned from a file on the Grafana host (read-only) and differs: change it there, or remove that provisioning file`);
  }
  await api.request('PUT', path, { ...want, isDefault: have.isDefault === true });
  log(`${label}: updated`);
}

async function ensureDashboard(api: GrafanaApi, dashboard: Dashboard, folder: string, log: PushOptions['log']): Promise<void> {
  const label = `dashboard "${dashboard.title}" (${dashboard.uid})`;
  const current = await api.request('GET', `/api/dashboards/uid/${encodeURIComponent(dashboard.uid)}`, undefined, true);
  if (current.status !== 404 && isObj(current.body) && isObj(current.body.dashboard)) {
    const { id: _id, version: _version, ...stored } = current.body.dashboard;
    const meta = isObj(current.body.meta) ? current.body.meta : {};
    if (canonical(stored) === canonical(dashboard) && meta.folderUid === folder) {
      log(`${label}: unchanged`);
      return;
    }
  }
  const saved = await api.request('POST', '/api/dashboards/db', {
    dashboard: { ...dashboard, id: null },
    folderUid: folder,
    overwrite: true,
    message: 'pemda-central grafana push',
  });
  const where = isObj(saved.body) && typeof saved.body.url === 'string' ? ` ${saved.body.url}` : '';
  log(`${label}: ${current.status === 404 ? 'created' : 'updated'}${where}`);
}

export async function push(o: PushOptions): Promise<void> {
  const api = new GrafanaApi(o.url, o.token, o.timeoutMs);
  const folder = await ensureFolder(api, o.folder, o.log);
  await ensureDatasource(api, o.datasource, o.log);
  for (const d of o.dashboards) await ensureDashboard(api, d, folder, o.log);
}
