import { createHash, generateKeyPairSync, randomBytes, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import forge from 'node-forge';

/**
 * An installation's private CA and the central's server certificate (MQTT over TLS
 * on 8883, HTTPS for the command room). Gateways pin the CA, so the CA is made once
 * and kept; the server certificate can be reissued (new host names) under it.
 *
 * Keys come from Node's crypto (fast, native); node-forge only builds and signs the
 * X.509 structures, which Node cannot do itself.
 */
export const PKI_FILES = { caCert: 'ca.crt', caKey: 'ca.key', cert: 'server.crt', key: 'server.key' } as const;

export interface TlsFiles {
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
}

const CA_DAYS = 3650;
/** Browsers refuse server certificates valid longer than 825 days. */
export const SERVER_DAYS = 825;

function rsaKeys(): { privateKey: string; publicKey: string } {
  return generateKeyPairSync('rsa', {
    modulusLength: 3072,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
}

/** A positive serial of 16 random bytes (RFC 5280 4.1.2.2: unique per CA, at most 20 octets). */
function serial(): string {
  const bytes = randomBytes(16);
  bytes[0] = bytes[0]! & 0x7f;
  return bytes.toString('hex');
}

function validity(cert: forge.pki.Certificate, days: number): void {
  // A minute back, so a gateway whose clock is a little behind accepts a fresh certificate.
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + days * 86_400_000);
}

/** SHA-256 of the certificate's DER, as 64 hex digits: what a technician is given to pin. */
export function fingerprint(pem: string | Buffer): string {
  return createHash('sha256').update(new X509Certificate(pem).raw).digest('hex');
}

function issueCa(name: string): { cert: string; key: string } {
  const keys = rsaKeys();
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(keys.publicKey);
  cert.serialNumber = serial();
  validity(cert, CA_DAYS);
  const subject = [{ name: 'commonName', value: `${name} CA` }, { name: 'organizationName', value: name }];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(forge.pki.privateKeyFromPem(keys.privateKey), forge.md.sha256.create());
  return { cert: forge.pki.certificateToPem(cert), key: keys.privateKey };
}

function issueServer(ca: { cert: string; key: string }, hosts: readonly string[], days: number): { cert: string; key: string } {
  const keys = rsaKeys();
  const caCert = forge.pki.certificateFromPem(ca.cert);
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(keys.publicKey);
  cert.serialNumber = serial();
  validity(cert, days);
  cert.setSubject([{ name: 'commonName', value: hosts[0]! }]);
  cert.setIssuer(caCert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    // Clients check these, not the common name (RFC 6125); type 7 is an IP, 2 a DNS name.
    { name: 'subjectAltName', altNames: hosts.map((h) => (isIP(h) ? { type: 7, ip: h } : { type: 2, value: h })) },
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() },
  ]);
  cert.sign(forge.pki.privateKeyFromPem(ca.key), forge.md.sha256.create());
  return { cert: forge.pki.certificateToPem(cert), key: keys.privateKey };
}

export interface PkiResult {
  dir: string;
  caCreated: boolean;
  caFingerprint: string;
  hosts: string[];
  notAfter: string;
}

/**
 * Makes the CA if the folder has none (an existing one is kept: gateways pin it)
 * and issues a server certificate for `hosts` (DNS names or IP addresses).
 */
export function createPki(dir: string, options: { name: string; hosts: readonly string[]; days?: number }): PkiResult {
  const hosts = [...new Set(options.hosts.map((h) => h.trim()).filter((h) => h !== ''))];
  const bad = hosts.filter((h) => isIP(h) === 0 && !/^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/.test(h));
  if (hosts.length === 0 || bad.length > 0) throw new Error(`not a host name or IP address: ${bad.join(', ') || '(none given)'}`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const caCertFile = join(dir, PKI_FILES.caCert);
  const caKeyFile = join(dir, PKI_FILES.caKey);
  let caCreated = false;
  if (!existsSync(caCertFile) || !existsSync(caKeyFile)) {
    const ca = issueCa(options.name);
    writeFileSync(caKeyFile, ca.key, { mode: 0o600 });
    writeFileSync(caCertFile, ca.cert, { mode: 0o644 });
    caCreated = true;
  }
  const ca = { cert: readFileSync(caCertFile, 'utf8'), key: readFileSync(caKeyFile, 'utf8') };
  const server = issueServer(ca, hosts, options.days ?? SERVER_DAYS);
  writeFileSync(join(dir, PKI_FILES.key), server.key, { mode: 0o600 });
  writeFileSync(join(dir, PKI_FILES.cert), server.cert, { mode: 0o644 });
  return { dir, caCreated, caFingerprint: fingerprint(ca.cert), hosts, notAfter: new X509Certificate(server.cert).validTo };
}

/** The files a TLS listener needs, with a clear error when `pemda-central pki` has not run. */
export function loadTlsFiles(dir: string): TlsFiles {
  const missing = [PKI_FILES.caCert, PKI_FILES.cert, PKI_FILES.key].filter((f) => !existsSync(join(dir, f)));
  if (missing.length > 0) throw new Error(`TLS is configured (tls.dir ${dir}) but ${missing.join(', ')} missing: run pemda-central pki --config FILE --host NAME first`);
  return { ca: readFileSync(join(dir, PKI_FILES.caCert)), cert: readFileSync(join(dir, PKI_FILES.cert)), key: readFileSync(join(dir, PKI_FILES.key)) };
}
