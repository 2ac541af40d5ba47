import { createHash, X509Certificate } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { hostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { EnrollError, EnrollResponse } from '../../protocols/enroll.js';

export interface EnrollArgs {
  central: string;
  token: string;
  /** SHA-256 of the CA, as printed by pemda-central enroll-token; required for https. */
  caSha256?: string | undefined;
  gateway?: string | undefined;
  configFile: string;
  dataDir?: string | undefined;
  force: boolean;
}

/** Something the technician can act on; the message says what. */
export class EnrollFailure extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2,
  ) {
    super(message);
  }
}

interface HttpReply {
  status: number;
  body: string;
}

function send(url: URL, options: { method: 'GET' | 'POST'; body?: string; ca?: string; insecureForCaFetch?: boolean }): Promise<HttpReply> {
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolvePromise, reject) => {
    const req = request(
      url,
      {
        method: options.method,
        timeout: 15_000,
        headers: options.body !== undefined ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(options.body) } : {},
        ...(url.protocol === 'https:' && {
          // Only the CA download skips verification; its fingerprint is checked right after.
          ...(options.insecureForCaFetch ? { rejectUnauthorized: false } : { ca: options.ca, rejectUnauthorized: true }),
        }),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolvePromise({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url.origin} within 15 s`)));
    req.on('error', reject);
    req.end(options.body);
  });
}

function caFingerprint(pem: string): string {
  return createHash('sha256').update(new X509Certificate(pem).raw).digest('hex');
}

/** Fetches the CA over unverified TLS and accepts it only if it is the one the admin printed. */
async function pinnedCa(base: URL, expected: string): Promise<string> {
  const reply = await send(new URL('/api/enroll/ca', base), { method: 'GET', insecureForCaFetch: true });
  if (reply.status !== 200) throw new EnrollFailure(`the central gave no CA (HTTP ${reply.status}): ${reply.body.slice(0, 200)}`, 1);
  let actual: string;
  try {
    actual = caFingerprint(reply.body);
  } catch {
    throw new EnrollFailure('the central sent something that is not a certificate as its CA', 1);
  }
  if (actual !== expected) {
    throw new EnrollFailure(
      `the CA of ${base.origin} has fingerprint ${actual}, not the ${expected} given with --ca-sha256. Do not continue: check the address, or someone is between this box and the central.`,
      1,
    );
  }
  return reply.body;
}

/** The starter config: identity and broker filled in, devices left for discover. */
function starterConfig(r: EnrollResponse, caFile: string | undefined, dataDir: string | undefined): string {
  const q = (s: string) => JSON.stringify(s);
  return `# pemda-edge gateway config, written by pemda-edge enroll on ${new Date().toISOString()}
# OPD: ${r.opdName} (${r.opd}). Reference of every key: firmware-config/gateway.schema.json
# Next: add terminals and cameras (pemda-edge discover prints ready-to-paste entries),
# then check with: pemda-edge doctor --config THIS_FILE
gateway:
  id: ${q(r.gateway)}
${dataDir !== undefined ? `  dataDir: ${q(dataDir)}\n` : ''}mqtt:
  url: ${q(r.mqtt.url)}
  username: ${q(r.mqtt.username)}
  password: ${q(r.mqtt.password)}
${caFile !== undefined ? `  ca: ${q(caFile)}\n` : ''}${r.mqtt.topicRoot !== 'pemda/v1' ? `  topicRoot: ${q(r.mqtt.topicRoot)}\n` : ''}terminals: []
cameras: []
`;
}

/**
 * Run as root (the usual case on a fresh box), the config goes to root:pemda 0640 so
 * the pemda-edge service (user pemda) can read its password and nobody else can.
 */
function shareWithService(file: string): void {
  if (process.getuid?.() !== 0) return;
  const line = existsSync('/etc/group') ? readFileSync('/etc/group', 'utf8').split('\n').find((l) => l.startsWith('pemda:')) : undefined;
  const gid = Number(line?.split(':')[2]);
  if (!Number.isInteger(gid)) return;
  chownSync(file, 0, gid);
  chmodSync(file, 0o640);
}

/**
 * `pemda-edge enroll`: trades a single-use token for this box's gateway id, MQTT
 * password and the installation CA, and writes a starter config (mode 0600: it holds
 * the password) and the CA beside it. Returns the lines to print.
 */
export async function enroll(args: EnrollArgs): Promise<string[]> {
  let base: URL;
  try {
    base = new URL(args.central);
  } catch {
    throw new EnrollFailure(`--central must be a URL such as https://central.example:8080, not "${args.central}"`, 2);
  }
  if (base.protocol !== 'https:' && base.protocol !== 'http:') throw new EnrollFailure('--central must start with https:// or http://', 2);
  const configFile = resolve(args.configFile);
  if (existsSync(configFile) && !args.force) throw new EnrollFailure(`${configFile} exists; this box seems enrolled already. Add --force to replace it.`, 2);
  const expected = args.caSha256?.replace(/:/g, '').toLowerCase();
  if (expected !== undefined && !/^[0-9a-f]{64}$/.test(expected)) throw new EnrollFailure('--ca-sha256 must be the 64 hex digits printed with the token', 2);
  if (base.protocol === 'https:' && expected === undefined) throw new EnrollFailure('--ca-sha256 is required with https: it was printed with the token', 2);

  const ca = base.protocol === 'https:' && expected !== undefined ? await pinnedCa(base, expected) : undefined;
  const body = JSON.stringify({ token: args.token, hostname: hostname(), ...(args.gateway !== undefined && { gateway: args.gateway }) });
  const reply = await send(new URL('/api/enroll', base), { method: 'POST', body, ...(ca !== undefined && { ca }) });
  let parsed: unknown;
  try {
    parsed = JSON.parse(reply.body);
  } catch {
    throw new EnrollFailure(`the central answered HTTP ${reply.status} with something that is not JSON: is ${base.origin} a pemda-central?`, 1);
  }
  if (reply.status !== 200) {
    const error = EnrollError.safeParse(parsed);
    throw new EnrollFailure(`the central refused the enrollment (HTTP ${reply.status}): ${error.success ? error.data.error : reply.body.slice(0, 200)}`, 1);
  }
  const result = EnrollResponse.safeParse(parsed);
  if (!result.success) throw new EnrollFailure(`the central's answer does not match the enrollment contract: ${result.error.issues[0]?.message ?? ''}`, 1);
  const r = result.data;

  mkdirSync(dirname(configFile), { recursive: true });
  let caFile: string | undefined;
  if (r.ca !== null) {
    if (expected !== undefined && caFingerprint(r.ca) !== expected) throw new EnrollFailure('the CA in the enrollment answer differs from the pinned one', 1);
    caFile = 'central-ca.crt';
    writeFileSync(join(dirname(configFile), caFile), r.ca, { mode: 0o644 });
  }
  writeFileSync(configFile, starterConfig(r, caFile, args.dataDir), { mode: 0o600 });
  shareWithService(configFile);
  return [
    `Enrolled as gateway ${r.gateway} of ${r.opdName} (${r.opd}).`,
    `Wrote ${configFile}${caFile !== undefined ? ` and ${join(dirname(configFile), caFile)}` : ''}; broker ${r.mqtt.url}.`,
    ...(r.ca === null ? ['Warning: the central runs without TLS, so MQTT traffic (and this password) is not encrypted.'] : []),
    'Next steps:',
    '  pemda-edge discover                 find terminals and cameras; paste them into the config',
    `  pemda-edge doctor --config ${configFile}`,
    '  systemctl restart pemda-edge',
  ];
}

export const DEFAULT_CONFIG_FILE = '/etc/pemda/gateway.yaml';

/** The `enroll` subcommand's arguments and exit code. */
export async function enrollMain(argv: string[], print: (line: string) => void = console.log): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      central: { type: 'string' },
      token: { type: 'string' },
      'ca-sha256': { type: 'string' },
      id: { type: 'string' },
      config: { type: 'string', short: 'c', default: DEFAULT_CONFIG_FILE },
      'data-dir': { type: 'string' },
      force: { type: 'boolean', default: false },
    },
  });
  if (values.central === undefined || values.token === undefined) {
    console.error('pemda-edge enroll: --central URL and --token T are required (the admin gets both from pemda-central enroll-token)');
    return 2;
  }
  try {
    const lines = await enroll({
      central: values.central,
      token: values.token,
      caSha256: values['ca-sha256'],
      gateway: values.id,
      configFile: values.config,
      dataDir: values['data-dir'],
      force: values.force,
    });
    lines.forEach((l) => print(l));
    return 0;
  } catch (err) {
    if (err instanceof EnrollFailure) {
      console.error(`pemda-edge enroll: ${err.message}`);
      return err.exitCode;
    }
    const code = (err as NodeJS.ErrnoException).code;
    console.error(`pemda-edge enroll: cannot reach ${values.central}: ${(err as Error).message}${code === 'ECONNREFUSED' ? ' (is the central running, and is this its HTTP port?)' : ''}`);
    return 1;
  }
}
