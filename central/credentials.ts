import { pbkdf2Sync, randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

/**
 * Passwords are stored only as salted scrypt hashes (Node's own scrypt), in the
 * form `scrypt$N$r$p$salt$hash` (base64), so the parameters can be raised later
 * without breaking stored hashes.
 */
const N = 16384;
const R = 8;
const P = 1;
const KEY_LENGTH = 32;

function scrypt(password: string, salt: Buffer, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => scryptCb(password, salt, KEY_LENGTH, options, (err, key) => (err ? reject(err) : resolve(key))));
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scrypt(password, salt, { N, r: R, p: P });
  return `scrypt$${N}$${R}$${P}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const actual = await scrypt(password, Buffer.from(salt, 'base64'), { N: Number(n), r: Number(r), p: Number(p) });
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/**
 * The same password in Mosquitto 2's password-file form, `$7$iterations$salt$hash`:
 * PBKDF2-SHA512 with a 12-byte salt and a 64-byte key, as `mosquitto_passwd` writes it
 * (checked against the Debian mosquitto_passwd output). Kept so an external Mosquitto
 * can use the same gateway identities.
 */
export function mosquittoHash(password: string, iterations = 20_000): string {
  const salt = randomBytes(12);
  const hash = pbkdf2Sync(password, salt, iterations, 64, 'sha512');
  return `$7$${iterations}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

/** A password a technician can type: 20 characters from an unambiguous alphabet. */
export function generatePassword(): string {
  const alphabet = 'abcdefghjkmnpqrstuvwxyzACDEFGHJKLMNPQRSTUVWXYZ23456789';
  return [...randomBytes(20)].map((b) => alphabet[b % alphabet.length]).join('');
}

export const CENTRAL_USERNAME = 'pemda-central';

/**
 * The central's own MQTT identity (ingest, command CLI): a random password kept in a
 * file beside the registry, readable by the central's user only.
 */
export function centralSecret(file: string): { username: string; password: string } {
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as { username: string; password: string };
  const secret = { username: CENTRAL_USERNAME, password: generatePassword() };
  writeFileSync(file, JSON.stringify(secret), { mode: 0o600 });
  return secret;
}
