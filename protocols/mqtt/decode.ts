import { z } from 'zod';
import { ProtocolError } from '../errors.js';

/** An MQTT payload that is not what the contract says: names the topic, the field and why. */
export class PayloadError extends ProtocolError {
  constructor(
    readonly topic: string,
    readonly field: string,
    readonly reason: string,
  ) {
    super(`${field === '' ? 'payload' : `field "${field}"`}: ${reason}`, `topic ${topic}`, 'mqtt');
  }
}

/** Largest JSON payload we parse; snapshots are binary and have their own limit. */
export const MAX_JSON_PAYLOAD_BYTES = 1024 * 1024;

function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out;
}

/**
 * Parses and validates one JSON payload. Throws PayloadError for the first problem,
 * listing how many more there are so a log line stays short but honest.
 */
export function decodeJson<S extends z.ZodType>(schema: S, topic: string, payload: Uint8Array): z.infer<S> {
  if (payload.byteLength > MAX_JSON_PAYLOAD_BYTES) {
    throw new PayloadError(topic, '', `${payload.byteLength} bytes is over the ${MAX_JSON_PAYLOAD_BYTES}-byte limit`);
  }
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('utf8'));
  } catch (err) {
    throw new PayloadError(topic, '', `not valid JSON (${(err as Error).message})`);
  }
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const [first, ...others] = result.error.issues;
  const more = others.length > 0 ? ` (and ${others.length} more problem${others.length > 1 ? 's' : ''})` : '';
  throw new PayloadError(topic, formatPath(first?.path ?? []), `${first?.message ?? 'invalid'}${more}`);
}

export function encodeJson<S extends z.ZodType>(schema: S, value: z.input<S>): Buffer {
  // Validate on the way out too: a gateway bug must fail here, not at the central.
  return Buffer.from(JSON.stringify(schema.parse(value)));
}
