import type { IncomingMessage } from 'node:http';

/** A request body over the limit; the caller answers 413. */
export class BodyTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`body over ${limit} bytes`);
  }
}

/**
 * A request body as text, refused past `limit` bytes. `drain` keeps reading (and
 * dropping) the rest so the 413 reaches a client that is still sending, such as a
 * phone app; `destroy` drops the connection, for devices that retry anyway.
 */
export function readBody(req: IncomingMessage, limit: number, overflow: 'drain' | 'destroy'): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) return void chunks.push(chunk);
      reject(new BodyTooLargeError(limit));
      if (overflow === 'destroy') req.destroy();
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
