/// <reference lib="dom" />
/**
 * Every request of the app goes through here, so one rule holds everywhere: an answer
 * 401 means "log in" (the session ended, or this central needs a login to view), and
 * the app shows its login form whatever page asked.
 */

const TIMEOUT_MS = 10_000;

export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly path: string,
    message: string,
    /** From Retry-After on 429 (seconds). */
    readonly retryAfterS?: number,
    /** No answer within the request's time limit (status 0): slow, not necessarily down. */
    readonly timedOut = false,
  ) {
    super(message);
  }
}

type Unauthorized = (path: string) => void;
let onUnauthorized: Unauthorized = () => undefined;

/** Who shows the login form when a request answers 401. */
export function setUnauthorizedHandler(handler: Unauthorized): void {
  onUnauthorized = handler;
}

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT';
  /** Sent as application/json. */
  json?: unknown;
  /** Sent as text/csv. */
  csv?: string;
  /** A 401 is the expected answer here (login, "who am I"): no login form for it. */
  quiet401?: boolean;
  /** Give up after this long; default 10 s. Reports read InfluxDB and may take longer. */
  timeoutMs?: number;
}

/** The answer's JSON; an ApiError with the central's `error` text for anything but 2xx. */
export async function request<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = {};
  let body: string | undefined;
  if (options.json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(options.json);
  } else if (options.csv !== undefined) {
    headers['Content-Type'] = 'text/csv; charset=utf-8';
    body = options.csv;
  }
  let res: Response;
  try {
    res = await fetch(path, { method: options.method ?? 'GET', headers, body, cache: 'no-store', credentials: 'same-origin', signal: AbortSignal.timeout(options.timeoutMs ?? TIMEOUT_MS) });
  } catch (err) {
    const timedOut = err instanceof DOMException && err.name === 'TimeoutError';
    throw new ApiError(0, path, err instanceof Error ? err.message : String(err), undefined, timedOut);
  }
  if (res.ok) return (await res.json()) as T;
  let message = `HTTP ${res.status}`;
  try {
    const parsed = (await res.json()) as { error?: unknown };
    if (typeof parsed.error === 'string') message = parsed.error;
  } catch {
    // Not JSON (a proxy's error page): the status says enough.
  }
  const retry = Number(res.headers.get('Retry-After'));
  const error = new ApiError(res.status, path, message, Number.isFinite(retry) && retry > 0 ? retry : undefined);
  if (res.status === 401 && !options.quiet401) onUnauthorized(path);
  throw error;
}

export function isStatus(err: unknown, status: number): boolean {
  return err instanceof ApiError && err.status === status;
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
