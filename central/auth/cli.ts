import { parseArgs } from 'node:util';
import { z } from 'zod';
import { generatePassword, hashPassword } from '../credentials.js';
import { Registry } from '../registry.js';
import { roleNeedsOpd, ROLES, type Role } from './roles.js';
import { NewPassword, OpdCode, UserError, UserStore, Username } from './store.js';
import { hashToken, newToken } from './tokens.js';

export const USER_USAGE = `usage: pemda-central user COMMAND --config FILE [options]
  add --username U --role admin|technician|operator [--password-stdin]
  add --username U --role opd --opd CODE [--password-stdin]
                           add a user; without --password-stdin a password is generated and printed once.
                           Role opd: staff of one OPD (its code in the registry), who see and handle only
                           that OPD's complaints
  list                     users, their roles and OPDs, sessions and API tokens
  passwd --username U [--password-stdin]
                           a new password (generated unless read from standard input); ends the user's sessions
  role --username U --role admin|technician|operator|opd [--opd CODE]
                           change the role (or an OPD user's OPD); ends the user's sessions
  disable --username U     refuse logins and end sessions (API tokens stop working too)
  enable --username U      allow logins again
  remove --username U      delete the user, its sessions and API tokens
  token --username U [--label TEXT]
                           a long-lived API token (Authorization: Bearer ...) with the user's role (and OPD), printed once
  tokens [--username U]    API tokens (ids, labels, last use), never the tokens themselves
  revoke-token --id N      delete an API token
--password-stdin reads the first line of standard input (echo ... | pemda-central user ...).
Exit codes: 0 ok, 1 the database could not be used, 2 bad usage.`;

/** How the command talks to the world; tests pass their own. */
export interface UserCliIo {
  readStdin?: () => Promise<string>;
  stdout?: (line: string) => void;
  stderr?: (line: string) => void;
}

class UsageError extends Error {}

const RoleName = z.enum(ROLES, { error: `one of ${ROLES.join(', ')}` });
const TokenId = z.coerce.number().int().positive();
const Label = z.string().trim().min(1).max(100, 'a label may have at most 100 characters');

/**
 * `pemda-central user ...`: command-room users in `dbFile` (the central's registry
 * database). The first admin comes from here: the central has no default password.
 */
export async function userMain(args: string[], dbFile: string, io: UserCliIo = {}): Promise<number> {
  const out = io.stdout ?? ((line: string) => console.log(line));
  const err = io.stderr ?? ((line: string) => console.error(line));
  let store: UserStore | undefined;
  try {
    const { command, values } = parseCommand(args);
    if (command === 'help') {
      out(USER_USAGE);
      return 0;
    }
    store = new UserStore(dbFile);
    const username = () => {
      if (values.username === undefined) throw new UsageError(`"user ${command}" needs --username U`);
      return values.username;
    };
    const role = () => parse(RoleName, values.role, '--role');
    // Checked before a password is read or hashed: a typo must not cost a generated password.
    const opdFor = (r: Role): string | undefined => {
      if (!roleNeedsOpd(r)) {
        if (values.opd !== undefined) throw new UsageError(`--opd is only for --role opd; role ${r} works for the whole command room`);
        return undefined;
      }
      if (values.opd === undefined) throw new UsageError(`--role ${r} needs --opd CODE: the user's OPD, by its code in the registry`);
      return knownOpd(parse(OpdCode, values.opd, '--opd'), dbFile);
    };
    const password = async (): Promise<{ text: string; generated: boolean }> => {
      if (!values['password-stdin']) return { text: generatePassword(), generated: true };
      const line = (await (io.readStdin ?? readStdin)()).split(/\r?\n/)[0] ?? '';
      return { text: parse(NewPassword, line, 'the password on standard input'), generated: false };
    };

    switch (command) {
      case 'add': {
        const name = parse(Username, username(), '--username');
        const newRole = role();
        const opd = opdFor(newRole);
        const pw = await password();
        store.addUser(name, newRole, await hashPassword(pw.text), opd);
        out(`added ${newRole} "${name}"${opd === undefined ? '' : ` of OPD ${opd}`}`);
        if (pw.generated) out(`password (shown once; "user passwd" sets a new one):\n${pw.text}`);
        return 0;
      }
      case 'passwd': {
        const name = username();
        if (!store.user(name)) throw new UserError(`no user "${name}"; "user list" shows the users`);
        const pw = await password();
        store.setPassword(name, await hashPassword(pw.text));
        out(`new password for "${name}"; its sessions are ended`);
        if (pw.generated) out(`password (shown once):\n${pw.text}`);
        return 0;
      }
      case 'role': {
        const name = username();
        const newRole = role();
        const opd = opdFor(newRole);
        store.setRole(name, newRole, opd);
        out(`"${name}" is now ${newRole}${opd === undefined ? '' : ` of OPD ${opd}`}; its sessions are ended`);
        return 0;
      }
      case 'disable':
      case 'enable': {
        const name = username();
        store.setDisabled(name, command === 'disable');
        out(command === 'disable' ? `"${name}" is disabled; its sessions are ended` : `"${name}" is enabled`);
        return 0;
      }
      case 'remove': {
        const name = username();
        store.removeUser(name);
        out(`removed "${name}" with its sessions and API tokens`);
        return 0;
      }
      case 'list': {
        const users = store.users();
        if (users.length === 0) out('no users yet; add the first admin with: pemda-central user add --config FILE --username NAME --role admin');
        else
          table(
            out,
            withOpd(['USERNAME', 'ROLE', 'STATUS', 'CREATED', 'SESSIONS', 'API TOKENS'], users),
            users.map((u) => withOpd([u.username, u.role, u.disabled ? 'disabled' : 'enabled', iso(u.createdAt), String(u.sessions), String(u.apiTokens)], users, u)),
          );
        return 0;
      }
      case 'token': {
        const name = username();
        const label = values.label === undefined ? `token for ${name}` : parse(Label, values.label, '--label');
        const token = newToken();
        const id = store.addApiToken(name, hashToken(token), label);
        const user = store.user(name);
        const scope = user?.opd ? `, OPD ${user.opd} only` : '';
        out(`API token ${id} for "${name}" (role ${user?.role ?? '?'}${scope}; shown once; send it as "Authorization: Bearer <token>"):\n${token}`);
        return 0;
      }
      case 'tokens': {
        const tokens = store.apiTokens(values.username);
        if (tokens.length === 0) out('no API tokens');
        else
          table(
            out,
            withOpd(['ID', 'USERNAME', 'ROLE', 'LABEL', 'CREATED', 'LAST USED'], tokens, undefined, 3),
            tokens.map((t) => withOpd([String(t.id), t.username, t.userDisabled ? `${t.role} (disabled)` : t.role, t.label, iso(t.createdAt), t.lastUsedAt === null ? 'never' : iso(t.lastUsedAt)], tokens, t, 3)),
          );
        return 0;
      }
      case 'revoke-token': {
        const id = parse(TokenId, values.id, '--id');
        store.revokeApiToken(id);
        out(`API token ${id} revoked`);
        return 0;
      }
      default: {
        const unhandled: never = command;
        throw new UsageError(`unknown command "${String(unhandled)}"`);
      }
    }
  } catch (e) {
    if (e instanceof UsageError || e instanceof UserError) {
      err(`pemda-central user: ${e.message}`);
      return 2;
    }
    err(`pemda-central user: cannot use ${dbFile}: ${(e as Error).message}`);
    return 1;
  } finally {
    store?.close();
  }
}

const COMMANDS = ['add', 'list', 'passwd', 'role', 'disable', 'enable', 'remove', 'token', 'tokens', 'revoke-token', 'help'] as const;

function parseCommand(args: string[]) {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      strict: true,
      allowPositionals: true,
      options: {
        // Read by main.ts to find the database; accepted here so it is not "unknown".
        config: { type: 'string', short: 'c' },
        username: { type: 'string', short: 'u' },
        role: { type: 'string' },
        opd: { type: 'string' },
        'password-stdin': { type: 'boolean' },
        label: { type: 'string' },
        id: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    // Node's message goes on about positionals after "--"; its first sentence is the point.
    throw new UsageError(`${(e as Error).message.split('. ')[0]} (pemda-central user --help)`);
  }
  const { values, positionals } = parsed;
  const name = values.help ? 'help' : positionals[0];
  const command = COMMANDS.find((c) => c === name);
  const known = COMMANDS.filter((c) => c !== 'help').join(', ');
  if (command === undefined) throw new UsageError(`${name === undefined ? 'missing command' : `unknown command "${name}"`}; one of ${known} (pemda-central user --help)`);
  if (positionals.length > 1) throw new UsageError(`unexpected argument "${positionals[1]}" (pemda-central user --help)`);
  return { command, values };
}

/**
 * `code` if the registry (the same database file) has that OPD. The registry is filled
 * from its seed when the central starts, so a fresh install may have none yet.
 */
function knownOpd(code: string, dbFile: string): string {
  const registry = new Registry(dbFile);
  try {
    const codes = registry.opds().map((o) => o.code);
    if (codes.includes(code)) return code;
    if (codes.length === 0) throw new UsageError(`--opd ${code}: the registry has no OPDs yet; start the central once (it loads the registry seed) or add the OPD on the Admin page, then try again`);
    throw new UsageError(`--opd ${code}: no such OPD in the registry; known codes: ${codes.join(', ')}`);
  } finally {
    registry.close();
  }
}

function parse<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  if (value === undefined) throw new UsageError(`${what} is required`);
  const result = schema.safeParse(value);
  if (!result.success) throw new UsageError(`${what}: ${result.error.issues[0]?.message ?? 'invalid'}`);
  return result.data;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * A row with an OPD column inserted at `at` (after the role) when any of `all` belongs
 * to an OPD: an installation without OPD users keeps the columns it always had.
 */
function withOpd(cells: string[], all: readonly { opd: string | null }[], row?: { opd: string | null }, at = 2): string[] {
  if (!all.some((x) => x.opd !== null)) return cells;
  return [...cells.slice(0, at), row === undefined ? 'OPD' : (row.opd ?? '-'), ...cells.slice(at)];
}

function table(out: (line: string) => void, header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]?.length ?? 0)));
  for (const row of [header, ...rows]) out(row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ').trimEnd());
}
