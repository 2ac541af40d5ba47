import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createPki } from '../../central/pki.js';
import { freePort } from '../../scripts/lib/ports.js';
import { TestSystem } from '../helpers/system.js';
import { ROOT } from '../helpers/proc.js';

/**
 * Issue #9's "tried as a new user would", on a real fresh Debian 12: debootstrap
 * (minbase, nothing of this machine's packages) into a folder, then the README's
 * gateway path inside it with chroot, against a running central with TLS and required
 * passwords: the install script without Node.js 20, the nodejs.org binaries, the
 * compiler the docs ask for, the install, `pemda-edge enroll` with the printed line,
 * and `pemda-edge doctor` as the service user.
 *
 * It downloads about 250 MB of Debian packages and takes 5-15 minutes, so it runs only
 * with PEMDA_WALKTHROUGH=1 (`npm run walkthrough`), as root on Debian or Ubuntu.
 * PEMDA_DEBIAN_MIRROR overrides the mirror (default: the one this machine's apt uses).
 */

const ENABLED = process.env.PEMDA_WALKTHROUGH === '1';
const SUITE = 'bookworm';

function hostMirror(): string {
  if (process.env.PEMDA_DEBIAN_MIRROR) return process.env.PEMDA_DEBIAN_MIRROR;
  for (const file of ['/etc/apt/sources.list.d/debian.sources', '/etc/apt/sources.list']) {
    if (!existsSync(file)) continue;
    const m = /(?:URIs:\s*|^deb\s+)(https?:\/\/\S+\/debian)\s/m.exec(readFileSync(file, 'utf8'));
    if (m) return m[1]!;
  }
  return 'http://deb.debian.org/debian';
}

function run(cmd: string, args: string[], options: { timeoutMs?: number; env?: NodeJS.ProcessEnv; cwd?: string } = {}): SpawnSyncReturns<string> & { out: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: options.timeoutMs ?? 600_000, env: options.env ?? process.env, cwd: options.cwd, maxBuffer: 64 * 1024 * 1024 });
  return Object.assign(r, { out: `${r.stdout ?? ''}${r.stderr ?? ''}` });
}

describe.skipIf(!ENABLED)('a fresh Debian 12 box (debootstrap) becomes a gateway, as the README tells it', () => {
  const base = ENABLED ? mkdtempSync('/var/tmp/pemda-walkthrough-') : '';
  const box = join(base, 'box');
  const mounted: string[] = [];
  // Made in beforeAll: a skipped describe still runs its body, and a TestSystem makes a temp dir.
  let system: TestSystem;
  let tarball = '';

  /** A command inside the box, with a clean environment like a root login's. */
  const inBox = (args: string[], env: Record<string, string> = {}, timeoutMs?: number) =>
    run('chroot', [box, ...args], { env: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', HOME: '/root', LANG: 'C.UTF-8', DEBIAN_FRONTEND: 'noninteractive', ...env }, timeoutMs });

  beforeAll(async () => {
    if (process.getuid?.() !== 0) throw new Error('the walkthrough needs root (debootstrap, chroot, mount)');
    if (run('which', ['debootstrap']).status !== 0) {
      const apt = run('apt-get', ['install', '-y', '--no-install-recommends', 'debootstrap']);
      expect(apt.status, apt.out).toBe(0);
    }
    const mirror = hostMirror();
    console.log(`[walkthrough] debootstrap --variant=minbase ${SUITE} from ${mirror} into ${box} (a few minutes)`);
    const strap = run('debootstrap', ['--variant=minbase', SUITE, box, mirror], { timeoutMs: 1_200_000 });
    expect(strap.status, strap.out.slice(-3000)).toBe(0);
    for (const [fs, target, extra] of [
      ['proc', 'proc', []],
      ['sysfs', 'sys', []],
      ['/dev', 'dev', ['--bind']],
      ['/dev/pts', 'dev/pts', ['--bind']],
    ] as const) {
      const where = join(box, target);
      const m = extra.length > 0 ? run('mount', [...extra, fs, where]) : run('mount', ['-t', fs, fs, where]);
      expect(m.status, m.out).toBe(0);
      mounted.unshift(where);
    }
    copyFileSync('/etc/resolv.conf', join(box, 'etc/resolv.conf'));

    // What the technician carries to the box: the release (npm pack), its lock file and the script.
    const pack = run('npm', ['pack', '--pack-destination', join(box, 'root'), '--silent'], { cwd: ROOT, timeoutMs: 120_000 });
    expect(pack.status, pack.out).toBe(0);
    tarball = pack.stdout.trim().split('\n').at(-1)!;
    copyFileSync(join(ROOT, 'package-lock.json'), join(box, 'root/package-lock.json'));
    copyFileSync(join(ROOT, 'scripts/install-gateway.sh'), join(box, 'root/install-gateway.sh'));

    system = new TestSystem([], [{ gateway: 'gw-anchor', opd: 'kominfo', zone: 'Asia/Makassar' }]);
    system.centralBroker.tlsPort = await freePort();
    system.centralExtra.tls = { dir: 'pki' };
    createPki(join(system.dir, 'pki'), { name: 'Walkthrough', hosts: ['localhost', '127.0.0.1'] });
    await system.start();
  }, 1_500_000);

  afterAll(async () => {
    for (const where of mounted) run('umount', ['--lazy', where]);
    await system?.stop();
    // Only once nothing is mounted inside: rm would otherwise walk into /dev and /proc.
    if (base && mounted.every((m) => run('mountpoint', ['-q', m]).status !== 0)) rmSync(base, { recursive: true, force: true });
  }, 120_000);

  const install = (env: Record<string, string> = {}) => inBox(['bash', '/root/install-gateway.sh', '--from', `/root/${tarball}`, '--lock', '/root/package-lock.json'], env, 1_200_000);

  it('stops without Node.js 20 and says where to get it (Debian 12 ships Node 18)', () => {
    const first = install();
    expect(first.status).not.toBe(0);
    expect(first.out).toMatch(/Node\.js >= 20\.11 is needed: no `node` on PATH/);
    expect(first.out).toMatch(/PEMDA_NODE=\/usr\/local\/lib\/nodejs\/bin\/node/);
  }, 120_000);

  it('installs with the nodejs.org binaries in /usr/local/lib/nodejs and the compiler the docs ask for', () => {
    // The layout of the nodejs.org linux-x64 tarball (bin/, include/node, lib/node_modules/npm),
    // filled from this machine's Node.js 20: the box cannot reach nodejs.org either.
    const nodejs = join(box, 'usr/local/lib/nodejs');
    mkdirSync(join(nodejs, 'bin'), { recursive: true });
    copyFileSync(process.execPath, join(nodejs, 'bin/node'));
    const prefix = dirname(dirname(process.execPath));
    cpSync(join(prefix, 'include/node'), join(nodejs, 'include/node'), { recursive: true });
    cpSync(join(prefix, 'lib/node_modules/npm'), join(nodejs, 'lib/node_modules/npm'), { recursive: true });
    symlinkSync('../lib/node_modules/npm/bin/npm-cli.js', join(nodejs, 'bin/npm'));
    symlinkSync('../lib/node_modules/npm/bin/npx-cli.js', join(nodejs, 'bin/npx'));

    // docs/operations.md: where no prebuilt better-sqlite3 can be fetched it compiles.
    const update = inBox(['apt-get', 'update']);
    expect(update.status, update.out).toBe(0);
    const tools = inBox(['apt-get', 'install', '-y', '--no-install-recommends', 'python3', 'make', 'g++'], {}, 1_200_000);
    expect(tools.status, tools.out.slice(-3000)).toBe(0);

    const node = { PEMDA_NODE: '/usr/local/lib/nodejs/bin/node' };
    // This workplace reaches the npm registry through a proxy that re-signs HTTPS (its
    // CA is in this machine's /usr/local/share/ca-certificates), as many office
    // networks do: the script must say what to do, and doing it must be enough.
    const proxyCas = existsSync('/usr/local/share/ca-certificates') ? readdirSync('/usr/local/share/ca-certificates').filter((f) => f.endsWith('.crt')) : [];
    let env: Record<string, string> = node;
    if (proxyCas.length > 0) {
      const refused = install(node);
      expect(refused.status, refused.out.slice(-3000)).not.toBe(0);
      expect(refused.out).toMatch(/re-signed by a certificate Node\.js does not trust/);
      mkdirSync(join(box, 'usr/local/share/ca-certificates'), { recursive: true });
      for (const crt of proxyCas) copyFileSync(join('/usr/local/share/ca-certificates', crt), join(box, 'usr/local/share/ca-certificates', crt));
      const ca = inBox(['apt-get', 'install', '-y', '--no-install-recommends', 'ca-certificates'], {}, 600_000);
      expect(ca.status, ca.out.slice(-3000)).toBe(0);
      const update = inBox(['update-ca-certificates']);
      expect(update.status, update.out).toBe(0);
      env = { ...node, NODE_EXTRA_CA_CERTS: '/etc/ssl/certs/ca-certificates.crt' };
    }
    // Here better-sqlite3 cannot fetch its prebuilt binary nor node-gyp the Node.js
    // headers (no GitHub, no nodejs.org), so it compiles against the headers that the
    // nodejs.org tarball carries; an office with internet access downloads either.
    const second = install({ ...env, npm_config_nodedir: '/usr/local/lib/nodejs' });
    console.log(`[walkthrough] install-gateway.sh, last run:\n${second.out.split('\n').slice(-25).join('\n')}`);
    expect(second.status, second.out.slice(-4000)).toBe(0);
    expect(second.out).toMatch(/Installed pemda-edge/);
    for (const file of ['opt/pemda/dist/edge/main.js', 'usr/local/bin/pemda-edge', 'etc/systemd/system/pemda-edge.service', 'etc/pemda/gateway.yaml']) {
      expect(existsSync(join(box, file)), file).toBe(true);
    }
    expect(readdirSync(join(box, 'etc/udev/rules.d')).some((f) => f.includes('pemda'))).toBe(true);
    expect(readFileSync(join(box, 'etc/passwd'), 'utf8')).toMatch(/^pemda:/m);
    expect(readFileSync(join(box, 'etc/group'), 'utf8')).toMatch(/^dialout:.*\bpemda\b/m);
  }, 1_500_000);

  it('enrolls with the line the admin got and leaves a green doctor, run as the service user', () => {
    const token = run(process.execPath, [join(ROOT, 'dist/central/main.js'), 'enroll-token', '--config', join(system.dir, 'central.yaml'), '--opd', 'kominfo']);
    expect(token.status, token.out).toBe(0);
    const printed = token.stdout.split('\n').find((l) => l.trim().startsWith('pemda-edge enroll'))!.trim();
    // The printed line names this host; the box reaches the central over loopback.
    const args = printed.split(/\s+/).map((a) => (a.startsWith('https://') ? `https://127.0.0.1:${system.httpPort}` : a));
    const enroll = inBox([...args, '--force']);
    expect(enroll.status, enroll.out).toBe(0);
    expect(enroll.out).toMatch(/Enrolled as gateway kominfo-[0-9a-f]{6} of OPD kominfo/);
    const doctor = inBox(['runuser', '-u', 'pemda', '--', 'pemda-edge', 'doctor', '--config', '/etc/pemda/gateway.yaml', '--lang', 'en'], {}, 120_000);
    console.log(`[walkthrough] pemda-edge doctor on the box:\n${doctor.out}`);
    expect(doctor.out).toMatch(/central broker mqtts:\/\/127\.0\.0\.1:\d+/);
    expect(doctor.out).not.toMatch(/FAIL/);
    expect(doctor.status, doctor.out).toBe(0);
  }, 300_000);
});
