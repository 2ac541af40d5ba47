import { HolidayFile } from '../../central/reports/schedule.js';
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, delimiter, dirname, join } from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { z } from 'zod';
import { GatewayConfig, TerminalConfig } from '../../edge/config.js';
import { CentralConfig, RegistrySeed } from '../../central/config.js';
import { loadConfigFile, parseConfig } from '../../protocols/config-file.js';

/**
 * Installation artifacts (systemd units, udev rules, terminal profiles, example configs,
 * Docker files) are checked here without installing or running anything: units with
 * systemd-analyze verify, configs with the programs' own zod schemas.
 */

const ROOT = join(import.meta.dirname, '..', '..');
const read = (rel: string) => readFileSync(join(ROOT, rel), 'utf8');

function which(cmd: string, fallbacks: readonly string[] = []): string | undefined {
  const dirs = (process.env.PATH ?? '').split(delimiter).filter(Boolean);
  for (const candidate of [...dirs.map((d) => join(d, cmd)), ...fallbacks]) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

// ------------------------------------------------------------------ systemd units

type Unit = Map<string, [key: string, value: string][]>;

/** Sections -> [key, value] in file order; comments and blank lines skipped, `\` continues a line. */
function parseUnit(text: string): Unit {
  const unit: Unit = new Map();
  let section: string | undefined;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    while (line.endsWith('\\') && i + 1 < lines.length) line = `${line.slice(0, -1)} ${lines[++i]!.trim()}`;
    const header = /^\[([A-Za-z]+)\]$/.exec(line);
    if (header) {
      section = header[1]!;
      unit.set(section, unit.get(section) ?? []);
      continue;
    }
    const eq = line.indexOf('=');
    if (section === undefined || eq <= 0) throw new Error(`not a unit file line: ${line}`);
    unit.get(section)!.push([line.slice(0, eq).trim(), line.slice(eq + 1).trim()]);
  }
  return unit;
}

/** Every value of a key (a key may repeat); space-separated list values are split. */
function values(unit: Unit, section: string, key: string): string[] {
  return (unit.get(section) ?? []).filter(([k]) => k === key).flatMap(([, v]) => v.split(/\s+/).filter(Boolean));
}
function single(unit: Unit, section: string, key: string): string | undefined {
  const all = (unit.get(section) ?? []).filter(([k]) => k === key);
  return all.at(-1)?.[1];
}

const UNITS = ['pemda-central.service', 'pemda-edge.service', 'pemda-influxdb.service'];
const units = new Map(UNITS.map((name) => [name, { text: read(`systemd/${name}`), unit: parseUnit(read(`systemd/${name}`)) }]));
const unit = (name: string) => units.get(name)!.unit;

describe('systemd units', () => {
  it('are the three expected files', () => {
    expect(readdirSync(join(ROOT, 'systemd')).filter((f) => f.endsWith('.service')).sort()).toEqual(UNITS);
  });

  it('run the programs as pemda from /opt/pemda with the /etc/pemda configs', () => {
    expect(single(unit('pemda-edge.service'), 'Service', 'ExecStart')).toBe('/usr/bin/node /opt/pemda/dist/edge/main.js run --config /etc/pemda/gateway.yaml');
    expect(single(unit('pemda-central.service'), 'Service', 'ExecStart')).toBe('/usr/bin/node /opt/pemda/dist/central/main.js run --config /etc/pemda/central.yaml');
    expect(single(unit('pemda-influxdb.service'), 'Service', 'ExecStart')).toBe('/usr/bin/influxd run -config /etc/pemda/influxdb.conf');
    for (const name of ['pemda-edge.service', 'pemda-central.service']) {
      expect(single(unit(name), 'Service', 'User'), name).toBe('pemda');
    }
    expect(values(unit('pemda-edge.service'), 'Service', 'SupplementaryGroups')).toContain('dialout');
  });

  it('restart always, keep state in /var/lib/<name>, and are hardened', () => {
    for (const name of UNITS) {
      const u = unit(name);
      const dir = name.replace('.service', '');
      expect(single(u, 'Service', 'Restart'), name).toBe('always');
      expect(values(u, 'Service', 'StateDirectory'), name).toEqual([dir]);
      expect(values(u, 'Service', 'ReadWritePaths'), name).toEqual([`/var/lib/${dir}`]);
      for (const [key, want] of [
        ['ProtectSystem', 'strict'],
        ['NoNewPrivileges', 'yes'],
        ['PrivateTmp', 'yes'],
        ['ProtectHome', 'yes'],
      ] as const) {
        expect(single(u, 'Service', key), `${name} ${key}`).toBe(want);
      }
      expect(values(u, 'Install', 'WantedBy'), name).toContain('multi-user.target');
    }
  });

  it('keep what a Node process reading serial ports needs', () => {
    const edge = unit('pemda-edge.service');
    expect(single(edge, 'Service', 'PrivateDevices') ?? 'no', 'PrivateDevices hides /dev/ttyUSB*').toBe('no');
    // ProtectClock= implies DeviceAllow=char-rtc, which shuts out every other device
    // unless the serial groups are allowed explicitly.
    if (single(edge, 'Service', 'ProtectClock') === 'yes' || values(edge, 'Service', 'DeviceAllow').length > 0) {
      expect(values(edge, 'Service', 'DeviceAllow')).toEqual(expect.arrayContaining(['char-ttyUSB', 'char-ttyACM']));
    }
    for (const name of ['pemda-edge.service', 'pemda-central.service']) {
      expect(single(unit(name), 'Service', 'MemoryDenyWriteExecute') ?? 'no', `${name}: the V8 JIT needs W+X memory`).toBe('no');
    }
  });

  it('the programs are Type=notify with a 60 s watchdog their systemd-notify child may feed', () => {
    for (const name of ['pemda-edge.service', 'pemda-central.service']) {
      const { text, unit: u } = units.get(name)!;
      expect(single(u, 'Service', 'Type'), name).toBe('notify');
      // The datagrams come from /usr/bin/systemd-notify, not from the main PID.
      expect(single(u, 'Service', 'NotifyAccess'), name).toBe('all');
      expect(single(u, 'Service', 'WatchdogSec'), name).toBe('60');
      expect(text, name).toMatch(/^#.*sd_notify/m);
      expect(text, `${name}: the old "no watchdog" comment`).not.toMatch(/not call sd_notify/);
    }
    const influx = units.get('pemda-influxdb.service')!;
    expect(single(influx.unit, 'Service', 'Type')).toBe('simple');
    for (const section of influx.unit.keys()) expect(values(influx.unit, section, 'WatchdogSec')).toEqual([]);
    expect(influx.text, 'says why influxd has no watchdog').toMatch(/^#.*sd_notify/m);
  });

  it('pemda-central wants and follows pemda-influxdb', () => {
    const central = unit('pemda-central.service');
    expect(values(central, 'Unit', 'Wants')).toContain('pemda-influxdb.service');
    expect(values(central, 'Unit', 'After')).toContain('pemda-influxdb.service');
  });

  it('match the data dirs of the example configs', () => {
    const gw = loadConfigFile(GatewayConfig, join(ROOT, 'firmware-config/examples/gateway-large-office.yaml')).value;
    expect(gw.gateway.dataDir).toBe('/var/lib/pemda-edge');
    const central = loadConfigFile(CentralConfig, join(ROOT, 'firmware-config/examples/central.yaml')).value;
    expect(dirname(central.registry.db)).toBe('/var/lib/pemda-central');
    expect(new URL(central.influx.url).port).toBe('8086');
  });

  const analyze = which('systemd-analyze', ['/usr/bin/systemd-analyze', '/bin/systemd-analyze']);
  const trueBin = which('true', ['/bin/true', '/usr/bin/true']) ?? process.execPath;

  function verify(files: Record<string, string>): { status: number | null; problems: string[] } {
    const dir = mkdtempSync(join(tmpdir(), 'pemda-units-'));
    try {
      const paths = Object.entries(files).map(([name, text]) => {
        const path = join(dir, name);
        writeFileSync(path, text);
        return path;
      });
      const res = spawnSync(analyze!, ['verify', '--man=no', ...paths], { encoding: 'utf8', timeout: 20_000 });
      // Only lines about our units: a host's own units may have warnings of their own.
      const problems = `${res.stdout}\n${res.stderr}`
        .split('\n')
        .filter((l) => l.includes(dir) || /pemda-(edge|central|influxdb|typo)\.service/.test(l));
      return { status: res.status, problems };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  // ExecStart paths do not exist on a build machine: verify checks that they are
  // executable, so the copies run an existing binary instead.
  const runnable = (text: string) => text.replace(/^ExecStart=\S+/m, `ExecStart=${trueBin}`);

  it.skipIf(!analyze)('pass systemd-analyze verify (skipped when systemd-analyze is not installed)', () => {
    const { status, problems } = verify(Object.fromEntries([...units].map(([name, { text }]) => [name, runnable(text)])));
    expect(problems).toEqual([]);
    expect(status).toBe(0);
  });

  it.skipIf(!analyze)('systemd-analyze verify would report a mistake (control)', () => {
    const broken = runnable(units.get('pemda-edge.service')!.text).replace('ProtectSystem=strict', 'ProtectSytem=strict');
    expect(verify({ 'pemda-typo.service': broken }).problems.join('\n')).toMatch(/ProtectSytem/);
  });

  const influxd = which('influxd', ['/usr/bin/influxd']);
  it.skipIf(!influxd)('pemda-influxdb.conf parses and keeps everything under /var/lib/pemda-influxdb (skipped without influxd)', () => {
    const res = spawnSync(influxd!, ['config', '-config', join(ROOT, 'systemd/pemda-influxdb.conf')], { encoding: 'utf8', timeout: 10_000 });
    expect(res.status, res.stderr).toBe(0);
    const dirs = [...res.stdout.matchAll(/^\s*(?:dir|wal-dir)\s*=\s*"([^"]*)"/gm)].map((m) => m[1]);
    expect(dirs.length).toBeGreaterThanOrEqual(3);
    for (const d of dirs) expect(d).toMatch(/^\/var\/lib\/pemda-influxdb\//);
    expect(res.stdout).toMatch(/^\s*bind-address\s*=\s*"127\.0\.0\.1:8086"/m);
  });
});

// ------------------------------------------------------------------ udev rules

const MATCH_KEYS = new Set(['SUBSYSTEM', 'ACTION', 'KERNEL', 'KERNELS', 'ATTRS{idVendor}', 'ATTRS{idProduct}', 'ATTRS{serial}']);
const ASSIGN_KEYS = new Set(['SYMLINK', 'GROUP', 'MODE', 'ENV{ID_MM_DEVICE_IGNORE}']);
const ADAPTERS = ['0403:6001', '067b:2303', '1a86:7523', '10c4:ea60'];

interface Assignment {
  key: string;
  op: string;
  value: string;
}

/** One rule line -> its assignments; throws when any part of the line is not KEY op "value". */
function parseRule(line: string): Assignment[] {
  const re = /\s*([A-Z_]+(?:\{[A-Za-z0-9_]+\})?)\s*(==|!=|\+=|-=|:=|=)\s*"([^"\\]*)"\s*(,|$)/y;
  const out: Assignment[] = [];
  let m: RegExpExecArray | null;
  while (re.lastIndex < line.length && (m = re.exec(line)) !== null) {
    out.push({ key: m[1]!, op: m[2]!, value: m[3]! });
    if (m[4] === '') break;
  }
  if (re.lastIndex !== line.length || out.length === 0) throw new Error(`cannot parse udev rule at column ${re.lastIndex + 1}: ${line}`);
  return out;
}

describe('udev rules', () => {
  const text = read('firmware-config/udev/99-pemda-terminals.rules');
  const loadRules = () =>
    text
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '' && !l.startsWith('#'))
      .map((line) => {
        if (line.endsWith('\\')) throw new Error(`one rule per line, no continuation: ${line}`);
        return { line, parts: parseRule(line) };
      });
  const get = (parts: Assignment[], key: string) => parts.find((p) => p.key === key);

  it('are lists of KEY==/KEY= assignments with known keys and operators', () => {
    const rules = loadRules();
    expect(rules.length).toBeGreaterThan(0);
    for (const { line, parts } of rules) {
      for (const p of parts) {
        if (MATCH_KEYS.has(p.key)) expect(p.op, `${p.key} in ${line}`).toBe('==');
        else if (ASSIGN_KEYS.has(p.key)) expect(['=', '+='], `${p.key} in ${line}`).toContain(p.op);
        else throw new Error(`unexpected key ${p.key} in: ${line}`);
      }
      expect(get(parts, 'SUBSYSTEM')?.value, line).toBe('tty');
      expect(get(parts, 'ATTRS{idVendor}')?.value, line).toMatch(/^[0-9a-f]{4}$/);
      expect(get(parts, 'ATTRS{idProduct}')?.value, line).toMatch(/^[0-9a-f]{4}$/);
      expect(get(parts, 'GROUP')?.value, line).toBe('dialout');
      expect(get(parts, 'MODE')?.value, line).toBe('0660');
    }
  });

  it('name adapters /dev/pemda-terminal-N by serial or USB port, for the common adapters', () => {
    const named = loadRules().filter(({ parts }) => get(parts, 'SYMLINK'));
    expect(named.length).toBeGreaterThanOrEqual(ADAPTERS.length);
    const links = named.map(({ parts }) => get(parts, 'SYMLINK')!);
    for (const l of links) {
      expect(l.op).toBe('+=');
      expect(l.value).toMatch(/^pemda-terminal-\d+$/);
    }
    expect(new Set(links.map((l) => l.value)).size, 'symlink names are unique').toBe(links.length);
    for (const { line, parts } of named) {
      const serial = get(parts, 'ATTRS{serial}');
      const port = get(parts, 'KERNELS');
      expect(serial !== undefined || port !== undefined, `${line}: needs ATTRS{serial} or KERNELS`).toBe(true);
      // All parent keys of a rule must match one device: the USB device, not its interface.
      if (port) expect(port.value, line).toMatch(/^\d+-[\d.]+$/);
    }
    const covered = new Set(named.map(({ parts }) => `${get(parts, 'ATTRS{idVendor}')!.value}:${get(parts, 'ATTRS{idProduct}')!.value}`));
    for (const id of ADAPTERS) expect(covered, id).toContain(id);
  });

  it('tell the technician how to find the serial', () => {
    expect(text).toMatch(/^#.*udevadm info .*--attribute-walk/m);
    expect(text).toMatch(/^#.*udevadm control --reload/m);
  });
});

// ------------------------------------------------------------------ terminal profiles

const Profile = z.strictObject({
  profile: z.string(),
  family: z.string().min(1),
  models: z.array(z.string().min(1)).min(1),
  driver: z.enum(['zk', 'adms', 'r30x', 'line-serial']),
  transport: z.enum(['tcp', 'udp', 'serial', 'http-push']),
  defaults: z.record(z.string(), z.union([z.string(), z.number()])),
  placeholders: z.record(z.string().regex(/^<[a-z-]+>$/), z.strictObject({ meaning: z.string().min(1), example: z.union([z.string(), z.number()]) })),
  gatewaySettings: z.record(z.string(), z.unknown()).optional(),
  notes: z.string().min(1),
  terminal: z.record(z.string(), z.unknown()),
});
type Profile = z.infer<typeof Profile>;

/** Replaces every string value that is a placeholder by its example; collects the ones used. */
function fill(value: unknown, placeholders: Profile['placeholders'], used: Set<string>): unknown {
  if (typeof value === 'string' && /^<[a-z-]+>$/.test(value)) {
    used.add(value);
    const p = placeholders[value];
    if (!p) throw new Error(`undeclared placeholder ${value}`);
    return p.example;
  }
  if (Array.isArray(value)) return value.map((v) => fill(v, placeholders, used));
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fill(v, placeholders, used)]));
  return value;
}

const EXPECTED_PROFILES: Record<string, { driver: string; transport: string; check: (t: TerminalConfig) => void }> = {
  'zk-x100c': { driver: 'zk', transport: 'tcp', check: (t) => expect(t).toMatchObject({ transport: 'tcp', port: 4370 }) },
  'zk-adms-push': { driver: 'adms', transport: 'http-push', check: (t) => expect(t.driver).toBe('adms') },
  'fingerspot-zk': { driver: 'zk', transport: 'tcp', check: (t) => expect(t).toMatchObject({ port: 4370 }) },
  'r30x-as608-kit': { driver: 'r30x', transport: 'serial', check: (t) => expect(t).toMatchObject({ baudRate: 57600 }) },
  'line-serial-printer': { driver: 'line-serial', transport: 'serial', check: (t) => expect(t).toMatchObject({ baudRate: 9600 }) },
};

describe('terminal profiles', () => {
  const dir = join(ROOT, 'firmware-config/profiles');
  const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));

  it('cover the expected terminal families', () => {
    expect(files.map((f) => basename(f, '.yaml')).sort()).toEqual(expect.arrayContaining(Object.keys(EXPECTED_PROFILES).sort()));
  });

  for (const file of files) {
    it(`${file}: its terminal block, placeholders filled, is a valid terminal and gateway entry`, () => {
      const profile = Profile.parse(parseYaml(readFileSync(join(dir, file), 'utf8')));
      const name = basename(file, '.yaml');
      expect(profile.profile).toBe(name);
      expect(profile.terminal.driver).toBe(profile.driver);

      // Unfilled, the block must not pass: placeholders cannot slip into production.
      expect(TerminalConfig.safeParse(profile.terminal).success).toBe(false);

      const used = new Set<string>();
      const filled = fill(profile.terminal, profile.placeholders, used);
      expect([...used].sort(), 'every declared placeholder is used').toEqual(Object.keys(profile.placeholders).sort());
      expect(JSON.stringify(filled)).not.toMatch(/<[a-z-]+>/);
      const parsed = TerminalConfig.safeParse(filled);
      expect(parsed.error?.issues ?? []).toEqual([]);
      const terminal = parsed.data!;
      if (terminal.driver === 'zk') expect(terminal.transport).toBe(profile.transport);
      EXPECTED_PROFILES[name]?.check(terminal);
      if (EXPECTED_PROFILES[name]) expect([profile.driver, profile.transport]).toEqual([EXPECTED_PROFILES[name].driver, EXPECTED_PROFILES[name].transport]);

      const gateway = stringifyYaml({ gateway: { id: 'gw-profile-test' }, ...profile.gatewaySettings, terminals: [filled] });
      expect(parseConfig(GatewayConfig, gateway, `${file} as gateway.yaml`).value.terminals).toHaveLength(1);
    });
  }
});

// ------------------------------------------------------------------ example configs

describe('example configs', () => {
  const examples = readdirSync(join(ROOT, 'firmware-config/examples')).filter((f) => f.endsWith('.yaml'));

  it('every example validates against its schema', () => {
    expect(examples).toEqual(expect.arrayContaining(['gateway-small-office.yaml', 'gateway-large-office.yaml', 'central.yaml', 'registry.yaml']));
    for (const f of examples) {
      const file = join(ROOT, 'firmware-config/examples', f);
      if (f.startsWith('gateway-')) loadConfigFile(GatewayConfig, file);
      else if (f.startsWith('central')) loadConfigFile(CentralConfig, file);
      else if (f.startsWith('registry')) loadConfigFile(RegistrySeed, file);
      else if (f.startsWith('holidays')) loadConfigFile(HolidayFile, file);
      else throw new Error(`no schema known for example ${f}`);
    }
  });

  it('the large office has several ZK terminals on TCP, one ADMS, one R30x and one line printer', () => {
    const { value } = loadConfigFile(GatewayConfig, join(ROOT, 'firmware-config/examples/gateway-large-office.yaml'));
    const count = (pred: (t: TerminalConfig) => boolean) => value.terminals.filter(pred).length;
    expect(count((t) => t.driver === 'zk' && t.transport === 'tcp')).toBeGreaterThanOrEqual(3);
    expect(count((t) => t.driver === 'adms')).toBe(1);
    expect(count((t) => t.driver === 'r30x')).toBe(1);
    expect(count((t) => t.driver === 'line-serial')).toBe(1);
  });

  it('the docker central config and its registry seed validate', () => {
    const { value } = loadConfigFile(CentralConfig, join(ROOT, 'docker/central.yaml'));
    expect(new URL(value.influx.url).hostname).toBe('influxdb');
    expect(value.registry.seed).toBeDefined();
    loadConfigFile(RegistrySeed, join(ROOT, 'docker', value.registry.seed!));
  });
});

// ------------------------------------------------------------------ docker

interface Instruction {
  op: string;
  args: string;
}

/** Dockerfile -> instructions (comments dropped, `\` continuations joined). */
function parseDockerfile(text: string): Instruction[] {
  const out: Instruction[] = [];
  let pending = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (pending === '' && (line === '' || line.startsWith('#'))) continue;
    if (line.startsWith('#')) continue; // comment inside a continuation
    pending += `${line.endsWith('\\') ? line.slice(0, -1) : line} `;
    if (line.endsWith('\\')) continue;
    const m = /^([A-Za-z]+)\s+(.*)$/.exec(pending.trim());
    if (!m) throw new Error(`not a Dockerfile instruction: ${pending}`);
    out.push({ op: m[1]!.toUpperCase(), args: m[2]!.trim() });
    pending = '';
  }
  return out;
}

/** Exec form (JSON array) or shell form -> words. */
function words(args: string): string[] {
  if (args.startsWith('[')) return z.array(z.string()).parse(JSON.parse(args));
  return args.split(/\s+/);
}

describe('docker', () => {
  for (const [file, program] of [
    ['Dockerfile.edge', 'dist/edge/main.js'],
    ['Dockerfile.central', 'dist/central/main.js'],
  ] as const) {
    it(`${file}: node:20-bookworm-slim, npm ci --omit=dev, non-root USER, runs ${program}`, () => {
      const ins = parseDockerfile(read(`docker/${file}`));
      const froms = ins.filter((i) => i.op === 'FROM').map((i) => i.args.split(/\s+/));
      expect(froms.length).toBeGreaterThan(0);
      expect(ins[0]?.op).toBe('FROM');
      const stages = new Set(froms.flatMap((f) => (f[1]?.toUpperCase() === 'AS' && f[2] ? [f[2]] : [])));
      for (const [image] of froms) expect(image === 'node:20-bookworm-slim' || stages.has(image!), `FROM ${image}`).toBe(true);
      expect(froms.at(-1)?.[0]).toBe('node:20-bookworm-slim');

      const lastFrom = ins.map((i) => i.op).lastIndexOf('FROM');
      const final = ins.slice(lastFrom);
      const user = final.filter((i) => i.op === 'USER').at(-1)?.args.split(':')[0];
      expect(user, 'a USER in the final stage').toBeDefined();
      expect(['root', '0']).not.toContain(user);

      const run = [...final.filter((i) => i.op === 'ENTRYPOINT'), ...final.filter((i) => i.op === 'CMD')].flatMap((i) => words(i.args));
      expect(run.some((w) => w.endsWith(program))).toBe(true);
      expect(ins.some((i) => i.op === 'RUN' && /\bnpm ci\b.*--omit=dev/.test(i.args))).toBe(true);

      // The build context is the repository root: every COPY source must exist there.
      for (const i of ins.filter((x) => (x.op === 'COPY' || x.op === 'ADD') && !x.args.startsWith('--from'))) {
        const parts = words(i.args).filter((w) => !w.startsWith('--'));
        for (const src of parts.slice(0, -1)) expect(existsSync(join(ROOT, src)), `${file}: COPY ${src}`).toBe(true);
      }
    });
  }

  // Debian's docker-compose (v1.29) validates against the Compose schema without an engine;
  // the file is kept valid for it and for `docker compose` v2.
  const composeBin = which('docker-compose', ['/usr/bin/docker-compose']);
  it.skipIf(!composeBin)('docker-compose config accepts the compose file with every profile', () => {
    const r = spawnSync(composeBin!, ['--profile', 'grafana', '--profile', 'mosquitto', 'config', '--services'], { cwd: join(ROOT, 'docker'), encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n').sort()).toEqual(['central', 'grafana', 'influxdb', 'mosquitto']);
  });

  it('docker-compose.yml parses and runs central with influxdb:1.8', () => {
    const compose = z
      .object({
        services: z.record(
          z.string(),
          z.object({
            image: z.string().optional(),
            build: z.object({ context: z.string(), dockerfile: z.string() }).optional(),
            depends_on: z.union([z.array(z.string()), z.record(z.string(), z.unknown())]).optional(),
            volumes: z.array(z.string()).optional(),
          }),
        ),
      })
      .parse(parseYaml(read('docker/docker-compose.yml')));
    expect(Object.keys(compose.services)).toEqual(expect.arrayContaining(['central', 'influxdb']));
    expect(compose.services.influxdb!.image).toMatch(/^influxdb:1\.8/);
    const central = compose.services.central!;
    expect(central.build).toBeDefined();
    expect(existsSync(join(ROOT, 'docker', central.build!.context, central.build!.dockerfile))).toBe(true);
    const deps = Array.isArray(central.depends_on) ? central.depends_on : Object.keys(central.depends_on ?? {});
    expect(deps).toContain('influxdb');
    const mounts = (central.volumes ?? []).map((v) => v.split(':'));
    expect(mounts.map((m) => m[1])).toContain('/etc/pemda/central.yaml');
    for (const [src] of mounts.filter(([s]) => s!.startsWith('.'))) expect(existsSync(join(ROOT, 'docker', src!)), `volume source ${src}`).toBe(true);
  });
});
