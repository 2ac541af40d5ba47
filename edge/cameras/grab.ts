import ffmpeg from 'fluent-ffmpeg';
import { request } from 'urllib';
import { Cam } from 'onvif';
import { PassThrough } from 'node:stream';

/** The camera refused our credentials: a config problem, reported as auth-failed. */
export class CameraAuthError extends Error {}

export interface Credentials {
  username?: string | undefined;
  password?: string | undefined;
}

const isJpeg = (b: Buffer) => b.length > 4 && b[0] === 0xff && b[1] === 0xd8;

/** Error texts travel to logs, InfluxDB and the wall: never with a camera password in them. */
export function redact(text: string, creds: Credentials): string {
  let out = text.replace(/(\w+:\/\/)[^/\s:@]*:[^/\s@]*@/g, '$1***:***@');
  for (const secret of [creds.password, creds.password && encodeURIComponent(creds.password)]) {
    if (secret && secret.length >= 3) out = out.split(secret).join('***');
  }
  return out;
}

/**
 * Fetches a JPEG from a snapshot URI with HTTP Digest auth, or Basic when that is
 * what the camera asks for (urllib answers the Digest challenge itself).
 */
export async function fetchSnapshot(uri: string, creds: Credentials, timeoutMs: number): Promise<Buffer> {
  const userpass = creds.username !== undefined ? `${creds.username}:${creds.password ?? ''}` : undefined;
  let res = await request(uri, { timeout: timeoutMs, ...(userpass && { digestAuth: userpass }), followRedirect: true });
  if (res.status === 401 && userpass && /^basic/i.test(String(res.headers['www-authenticate'] ?? ''))) {
    res = await request(uri, { timeout: timeoutMs, auth: userpass });
  }
  if (res.status === 401 || res.status === 403) throw new CameraAuthError(`snapshot URI refused the credentials (HTTP ${res.status})`);
  if (res.status !== 200) throw new Error(`snapshot URI answered HTTP ${res.status}`);
  const body = Buffer.isBuffer(res.data) ? res.data : Buffer.from(res.data as ArrayBuffer);
  if (!isJpeg(body)) throw new Error(`snapshot URI sent ${body.length} bytes that are not a JPEG`);
  return body;
}

/**
 * One frame from an RTSP stream with ffmpeg over TCP. ffmpeg 5+ takes `-timeout`
 * in microseconds; our own kill timer is the last word (a hung ffmpeg is killed
 * with SIGKILL and reaped, never left behind).
 */
export function grabRtspFrame(uri: string, creds: Credentials, timeoutMs: number): Promise<Buffer> {
  const url = new URL(uri);
  if (creds.username !== undefined && !url.username) {
    url.username = encodeURIComponent(creds.username);
    url.password = encodeURIComponent(creds.password ?? '');
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const out = new PassThrough();
    out.on('data', (c: Buffer) => chunks.push(c));
    let settled = false;
    const finish = (err?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      const frame = Buffer.concat(chunks);
      if (err) reject(err);
      else if (!isJpeg(frame)) reject(new Error('ffmpeg produced no JPEG frame'));
      else resolve(frame);
    };
    const command = ffmpeg(url.toString())
      .inputOptions(['-rtsp_transport', 'tcp', '-timeout', String(timeoutMs * 1000)])
      .outputOptions(['-frames:v', '1', '-f', 'image2', '-vcodec', 'mjpeg', '-q:v', '3'])
      .on('error', (err: Error) => finish(new Error(`RTSP grab failed: ${redact(err.message.split('\n')[0] ?? '', creds)}`)))
      .on('end', () => finish());
    const timer = setTimeout(() => {
      command.kill('SIGKILL');
      finish(new Error(`RTSP grab took longer than ${timeoutMs} ms; ffmpeg killed`));
    }, timeoutMs + 2000);
    command.pipe(out, { end: true });
  });
}

export interface OnvifUris {
  snapshotUri: string | undefined;
  streamUri: string | undefined;
}

function promisify<T>(fn: (cb: (err: Error | null, value?: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => fn((err, value) => (err ? reject(err) : resolve(value as T))));
}

const looksLikeAuth = (err: Error) => /NotAuthorized|not authori[sz]ed|Sender not Authorized|401|authentication/i.test(err.message);

/**
 * Asks an ONVIF camera for its snapshot and stream URIs. Connecting also measures
 * the camera's clock offset (the onvif library does it once, at connect), which
 * WS-Security needs: on an auth failure we connect again to measure anew before
 * calling the credentials wrong.
 */
export async function resolveOnvif(options: { host: string; port: number; path: string; timeoutMs: number } & Credentials): Promise<OnvifUris> {
  const attempt = async (): Promise<OnvifUris> => {
    const cam = await new Promise<Cam>((resolve, reject) => {
      const c: Cam = new Cam(
        {
          hostname: options.host,
          port: options.port,
          path: options.path,
          timeout: options.timeoutMs,
          ...(options.username !== undefined && { username: options.username, password: options.password ?? '' }),
        },
        (err) => (err ? reject(err) : resolve(c)),
      );
    });
    const snapshot = await promisify<{ uri: string }>((cb) => cam.getSnapshotUri({}, cb)).catch((err: Error) => {
      if (looksLikeAuth(err)) throw err;
      return undefined;
    });
    const stream = await promisify<{ uri: string }>((cb) => cam.getStreamUri({ protocol: 'RTSP' }, cb)).catch(() => undefined);
    return { snapshotUri: snapshot?.uri, streamUri: stream?.uri };
  };
  try {
    return await attempt();
  } catch (err) {
    if (!looksLikeAuth(err as Error)) throw err;
    try {
      return await attempt(); // re-measure the clock offset and try once more
    } catch (again) {
      if (looksLikeAuth(again as Error)) throw new CameraAuthError(`ONVIF refused the credentials: ${(again as Error).message.split('\n')[0]}`);
      throw again;
    }
  }
}

export interface GrabbedFrame {
  jpeg: Buffer;
  source: 'snapshot-uri' | 'rtsp';
}

/** One frame: the snapshot URI first, one RTSP frame when that fails. */
export async function grabFrame(
  c: { snapshotUrl?: string | undefined; rtspUrl?: string | undefined; timeoutMs: number } & Credentials,
  onvif: OnvifUris | undefined,
): Promise<GrabbedFrame> {
  const creds = { username: c.username, password: c.password };
  const snapshotUri = onvif?.snapshotUri ?? c.snapshotUrl;
  const streamUri = onvif?.streamUri ?? c.rtspUrl;
  let failure: Error | undefined;
  if (snapshotUri) {
    try {
      return { jpeg: await fetchSnapshot(snapshotUri, creds, c.timeoutMs), source: 'snapshot-uri' };
    } catch (err) {
      failure = err as Error;
    }
  }
  if (streamUri) {
    try {
      return { jpeg: await grabRtspFrame(streamUri, creds, c.timeoutMs), source: 'rtsp' };
    } catch (err) {
      throw failure instanceof CameraAuthError ? failure : new Error(redact(`${failure ? `${failure.message}; ` : ''}${(err as Error).message}`, creds));
    }
  }
  if (failure) throw failure instanceof CameraAuthError ? failure : new Error(redact(failure.message, creds));
  throw new Error('no snapshot or stream URI');
}
