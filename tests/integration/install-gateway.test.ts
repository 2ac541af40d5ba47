import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile, spawnSync } from 'node:child_process';
import { accessSync, appendFileSync, chmodSync, constants, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer as createHttpsServer } from 'node:https';
import type { Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { delimiter, join } from 'node:path';
import { ROOT } from '../helpers/proc.js';
import { TestSystem } from '../helpers/system.js';
import { createPki, loadTlsFiles } from '../../central/pki.js';
import { freePort } from '../../scripts/lib/ports.js';

/**
 * scripts/install-gateway.sh against this project tree (built by the global setup),
 * always with --root: it installs into a temp dir and leaves users, systemd and udev of
 * this machine alone. The first install runs the real `npm ci --omit=dev`; without
 * GitHub access better-sqlite3 compiles from source here, which is most of this file's
 * time. Every later install reuses that node_modules (same lock, Node ABI and CPU).
 */

const SCRIPT = join(ROOT, 'scripts/install-gateway.sh');
const work = mkdtempSync(join(tmpdir(), 'pemda-install-'));
const stage = join(work, 'root');

interface Result {
  code: number | null;
  out: string;
  ms: number;
}

function install(args: string[], env: Record<string, string | undefined> = {}): Promise<Result> {
  const started = Date.now();
  const base: Record<string, string | undefined> = { ...process.env };
  delete base.PEMDA_NODE;
  delete base.PEMDA_ARCH;
  return new Promise((resolve) => {
    execFile('/bin/bash', [SCRIPT, ...args], { env: { ...base, ...env }, maxBuffer: 16 * 1024 * 1024, timeout: 240_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
      resolve({ code, out: `${stdout}\n${stderr}`, ms: Date.now() - started });
    });
  });
}

const mode = (path: string) => (statSync(path).mode & 0o7777).toString(8).padStart(4, '0');
const read = (path: string) => readFileSync(path, 'utf8');

function which(cmd: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter).filter(Boolean)) {
    try {
      accessSync(join(dir, cmd), constants.X_OK);
      return join(dir, cmd);
    } catch {
      // not here
    }
  }
  return undefined;
}

let first: Result;

beforeAll(async () => {
  first = await install(['--root', stage]);
}, 240_000);

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

describe('install-gateway.sh --root', () => {
  it('installs the release with production dependencies, the unit, the udev rules and a config, with their modes', () => {
    expect(first.code, first.out).toBe(0);
    expect(first.out).toMatch(/staging root .*useradd, file ownership, udevadm, systemctl and doctor are skipped/);

    const opt = join(stage, 'opt/pemda');
    expect(read(join(opt, 'dist/edge/main.js'))).toBe(read(join(ROOT, 'dist/edge/main.js')));
    expect(read(join(opt, 'package-lock.json'))).toBe(read(join(ROOT, 'package-lock.json')));
    expect(mode(opt)).toBe('0755');
    expect(mode(join(opt, 'package.json'))).toBe('0644');
    for (const dep of ['better-sqlite3', 'serialport', 'mqtt', 'pino']) expect(existsSync(join(opt, 'node_modules', dep)), dep).toBe(true);
    for (const dev of ['vitest', 'typescript', 'node-red']) expect(existsSync(join(opt, 'node_modules', dev)), `devDependency ${dev}`).toBe(false);

    const unit = join(stage, 'etc/systemd/system/pemda-edge.service');
    expect(read(unit)).toBe(read(join(ROOT, 'systemd/pemda-edge.service')));
    expect(mode(unit)).toBe('0644');
    const rules = join(stage, 'etc/udev/rules.d/99-pemda-terminals.rules');
    expect(read(rules)).toBe(read(join(ROOT, 'firmware-config/udev/99-pemda-terminals.rules')));
    expect(mode(rules)).toBe('0644');
    const config = join(stage, 'etc/pemda/gateway.yaml');
    expect(read(config)).toBe(read(join(ROOT, 'firmware-config/examples/gateway-small-office.yaml')));
    expect(mode(config), 'may hold the MQTT password').toBe('0640');
    expect(mode(join(stage, 'etc/pemda'))).toBe('0755');
    expect(mode(join(stage, 'var/lib/pemda-edge'))).toBe('0750');

    const wrapper = join(stage, 'usr/local/bin/pemda-edge');
    expect(mode(wrapper)).toBe('0755');
    expect(read(wrapper)).toContain(`exec ${process.execPath} /opt/pemda/dist/edge/main.js "$@"`);
    expect(existsSync(join(stage, 'etc/systemd/system/pemda-edge.service.d')), 'node is /usr/bin/node here: no drop-in').toBe(process.execPath !== '/usr/bin/node');

    // The installed program runs with the installed dependencies (config check loads them all).
    const check = spawnSync(process.execPath, [join(opt, 'dist/edge/main.js'), 'config', 'check', config], { encoding: 'utf8', cwd: work });
    expect(check.status, check.stderr).toBe(0);
    expect(first.out).toContain(`${config}: OK`);
    // enroll refuses to replace a config without --force: the untouched example may go.
    expect(first.out).toContain('pemda-edge enroll --central https://CENTRAL:8080 --token TOKEN --ca-sha256 HEX --force');
  });

  it('a second run keeps the edited config and udev rules, gives the config back its mode, skips npm ci', async () => {
    const config = join(stage, 'etc/pemda/gateway.yaml');
    const rules = join(stage, 'etc/udev/rules.d/99-pemda-terminals.rules');
    appendFileSync(config, '# edited by the technician\n');
    // What `pemda-edge enroll` run as root leaves: readable by root only.
    chmodSync(config, 0o600);
    appendFileSync(rules, '# adapter of the lobby terminal\n');
    const before = { config: read(config), rules: read(rules) };

    const again = await install(['--root', stage]);
    expect(again.code, again.out).toBe(0);
    expect(again.out).toContain('npm ci skipped');
    expect(again.out).toContain('exists: kept as it is');
    expect(again.out).toContain(`${config}: mode 600 -> 0640`);
    expect(again.out, 'an edited config needs no --force').not.toContain('--force');
    expect(again.ms, 'no dependency install on a rerun').toBeLessThan(30_000);
    expect(read(config)).toBe(before.config);
    expect(mode(config)).toBe('0640');
    expect(read(rules)).toBe(before.rules);
    expect(read(`${rules}.pemda-new`)).toBe(read(join(ROOT, 'firmware-config/udev/99-pemda-terminals.rules')));
    expect(readdirSync(join(stage, 'etc/udev/rules.d')).filter((f) => f.endsWith('.rules')), 'udev reads only *.rules').toEqual(['99-pemda-terminals.rules']);
  });

  it('upgrades from an `npm pack` tarball, which needs --lock because npm pack leaves the lock out', async () => {
    const pack = spawnSync('npm', ['pack', '--pack-destination', work, '--silent'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    expect(pack.status, pack.stderr).toBe(0);
    const tarball = join(work, pack.stdout.trim().split('\n').at(-1)!);

    const noLock = await install(['--from', tarball, '--root', stage]);
    expect(noLock.code).toBe(1);
    expect(noLock.out).toMatch(/has no package-lock\.json \(npm pack leaves it out\)/);
    expect(noLock.out).toContain('--lock /path/to/package-lock.json');

    const upgraded = await install(['--from', tarball, '--lock', join(ROOT, 'package-lock.json'), '--root', stage]);
    expect(upgraded.code, upgraded.out).toBe(0);
    expect(upgraded.out).toContain(`installing from ${tarball}`);
    expect(upgraded.out).toContain('npm ci skipped');
    expect(read(join(stage, 'opt/pemda/dist/edge/main.js'))).toBe(read(join(ROOT, 'dist/edge/main.js')));
  });

  it('--dry-run changes nothing and shows the commands', async () => {
    const fresh = join(work, 'dry');
    const dry = await install(['--dry-run', '--root', fresh]);
    expect(dry.code, dry.out).toBe(0);
    expect(existsSync(fresh)).toBe(false);
    expect(dry.out).toContain(`would run: (cd ${join(fresh, 'opt/pemda')} && npm ci --omit=dev`);
    expect(dry.out).toContain(`would run: install -m 0640 ${join(ROOT, 'firmware-config/examples/gateway-small-office.yaml')} ${join(fresh, 'etc/pemda/gateway.yaml')}`);
    expect(dry.out).toContain('Dry run finished: nothing was changed.');
  });
});

describe('install-gateway.sh behind a proxy that re-signs HTTPS', () => {
  let registry: Server | undefined;
  afterAll(() => registry?.close());

  it('says how to trust the proxy CA when npm ci meets its certificate', async () => {
    // The registry answers with a certificate from a CA nobody trusts, as such a proxy
    // does; an empty npm cache makes npm go to the network.
    const { cert, key } = loadTlsFiles(createPki(join(work, 'proxy-pki'), { name: 'Kantor Proxy', hosts: ['127.0.0.1'] }).dir);
    registry = createHttpsServer({ cert, key }, (_req, res) => res.writeHead(404).end());
    const port = await new Promise<number>((resolve) => registry!.listen(0, '127.0.0.1', () => resolve((registry!.address() as AddressInfo).port)));
    const r = await install(['--root', join(work, 'proxied')], {
      npm_config_registry: `https://127.0.0.1:${port}/`,
      npm_config_cache: join(work, 'empty-npm-cache'),
      npm_config_fetch_retries: '0',
      NODE_EXTRA_CA_CERTS: undefined,
    });
    expect(r.code, r.out).toBe(1);
    expect(r.out).toMatch(/re-signed by a certificate Node\.js does not trust/);
    expect(r.out).toMatch(/update-ca-certificates/);
    expect(r.out).toMatch(/NODE_EXTRA_CA_CERTS=\/etc\/ssl\/certs\/ca-certificates\.crt/);
  }, 240_000);
});

describe('install-gateway.sh refuses clearly', () => {
  const target = join(work, 'never');

  it('without node on PATH', async () => {
    // Nothing on PATH at all: the check must come before anything that needs a tool.
    const res = await install(['--root', target], { PATH: join(work, 'empty-bin'), PEMDA_ARCH: 'x86_64' });
    expect(res.code, res.out).toBe(1);
    expect(res.out).toMatch(/Node\.js >= 20\.11 is needed: no `node` on PATH/);
    expect(res.out).toContain('https://github.com/nodesource/distributions');
    expect(res.out).toContain('https://nodejs.org/en/download');
    expect(existsSync(target)).toBe(false);
  });

  it('with a missing or too old PEMDA_NODE', async () => {
    const missing = await install(['--root', target], { PEMDA_NODE: join(work, 'no-such-node') });
    expect(missing.code, missing.out).toBe(1);
    expect(missing.out).toContain(`PEMDA_NODE=${join(work, 'no-such-node')} is not an executable file`);

    const old = join(work, 'node18');
    writeFileSync(old, '#!/bin/sh\necho v18.19.0\n');
    chmodSync(old, 0o755);
    const tooOld = await install(['--root', target], { PEMDA_NODE: old });
    expect(tooOld.code, tooOld.out).toBe(1);
    expect(tooOld.out).toContain(`Node.js >= 20.11 is needed: ${old} is Node.js v18.19.0, too old.`);
    expect(existsSync(target)).toBe(false);
  });

  it('on 32-bit ARM', async () => {
    const res = await install(['--root', target], { PEMDA_ARCH: 'armv7l' });
    expect(res.code, res.out).toBe(1);
    expect(res.out).toMatch(/32-bit ARM system \(armv7l\): not supported/);
    expect(res.out).toMatch(/Raspberry Pi OS \(64-bit, bookworm\)/);
  });

  it('an unknown option (exit 2, with the usage)', async () => {
    const res = await install(['--rot', target]);
    expect(res.code).toBe(2);
    expect(res.out).toContain('Usage: install-gateway.sh');
  });
});

describe('install-gateway.sh source', () => {
  it('parses (bash -n)', () => {
    const res = spawnSync('bash', ['-n', SCRIPT], { encoding: 'utf8' });
    expect(res.stderr).toBe('');
    expect(res.status).toBe(0);
  });

  const shellcheck = which('shellcheck');
  it.skipIf(!shellcheck)('passes shellcheck (skipped when the Debian package shellcheck is not installed)', () => {
    const res = spawnSync(shellcheck!, ['--shell=bash', SCRIPT], { encoding: 'utf8' });
    expect(res.stdout + res.stderr).toBe('');
    expect(res.status).toBe(0);
  });
});

/**
 * The README's gateway path on the staged box, to the end: install (above), enroll
 * against a running central with TLS and required passwords, then a green doctor.
 */
describe('a new gateway box, as the README tells it', () => {
  const system = new TestSystem([], [{ gateway: 'gw-anchor', opd: 'kominfo', zone: 'Asia/Jayapura' }]);
  beforeAll(async () => {
    system.centralBroker.auth = 'required';
    system.centralBroker.tlsPort = await freePort();
    system.centralExtra.tls = { dir: 'pki' };
    createPki(join(system.dir, 'pki'), { name: 'Walkthrough', hosts: ['localhost', '127.0.0.1'] });
    await system.start();
  }, 120_000);
  afterAll(() => system.stop(), 60_000);

  it('enrolls with the printed command and leaves a green doctor', async () => {
    expect(first.code, first.out).toBe(0);
    const token = spawnSync(process.execPath, [join(ROOT, 'dist/central/main.js'), 'enroll-token', '--config', join(system.dir, 'central.yaml'), '--opd', 'kominfo'], { encoding: 'utf8' });
    expect(token.status, token.stderr).toBe(0);
    const printed = token.stdout.split('\n').find((l) => l.trim().startsWith('pemda-edge enroll'))!.trim();
    // The printed line names this host; on the box the technician uses the central's address.
    const args = printed.split(/\s+/).slice(1).map((a) => (a.startsWith('https://') ? `https://127.0.0.1:${system.httpPort}` : a));
    const edge = join(stage, 'opt/pemda/dist/edge/main.js');
    const config = join(stage, 'etc/pemda/gateway.yaml');
    const enroll = spawnSync(process.execPath, [edge, ...args, '--config', config, '--data-dir', join(stage, 'var/lib/pemda-edge'), '--force'], { encoding: 'utf8' });
    expect(enroll.status, enroll.stderr).toBe(0);
    expect(enroll.stdout).toMatch(/Enrolled as gateway kominfo-[0-9a-f]{6} of OPD kominfo/);
    const doctor = spawnSync(process.execPath, [edge, 'doctor', '--config', config, '--lang', 'en'], { encoding: 'utf8', timeout: 60_000 });
    expect(doctor.stdout).toMatch(/central broker mqtts:\/\/127\.0\.0\.1:\d+/);
    expect(doctor.stdout).not.toMatch(/FAIL/);
    expect(doctor.status, doctor.stdout + doctor.stderr).toBe(0);
  });
});
