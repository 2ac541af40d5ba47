import type { IncomingMessage } from 'node:http';

/** The token of `Authorization: Bearer <token>`, if the request has one. */
export function bearerTokenOf(req: Pick<IncomingMessage, 'headers'>): string | undefined {
  const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(req.headers.authorization ?? '');
  return m?.[1];
}

export class BodyTooLargeError extends Error {}

/**
 * A request body as text, refused beyond `limit` bytes: a login form is tiny, and an
 * unbounded read would let anyone fill the central's memory before being rejected.
 */
export function readBody(req: IncomingMessage, limit = 8192): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        // Keep the connection so the caller can still answer 413; the rest is read and dropped.
        req.removeAllListeners('data');
        req.resume();
        reject(new BodyTooLargeError(`request body over ${limit} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    req.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.once('error', reject);
  });
}
