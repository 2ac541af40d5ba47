/**
 * Server → terminal commands (`GET /iclock/getrequest?SN=..` replies) and the
 * terminal's results (`POST /iclock/devicecmd?SN=..` bodies).
 *
 * Facts from ZKTeco "Attendance PUSH Communication Protocol" (doc V4.0):
 *  - section 12: reply `OK` when nothing is queued, else records `C:${CmdID}:${CmdDesc}`
 *    joined by LF; CmdID is server-chosen, digits and/or letters, at most 16 chars;
 *    DATA sub-commands carry HT-separated fields inside CmdDesc;
 *  - section 13: each result record is `ID=${CmdID}&Return=${n}&CMD=${CmdDesc}`, records
 *    joined by LF; example body "ID=info8487&Return=0&CMD=DATA"; a few commands add
 *    fields (VERIFY SUM: `&StartTime=..&EndTime=..&AttlogSum=..`) or, for INFO,
 *    follow the record with `Key=Value` lines; Return 0 = success, negative = error.
 * The V2.0.1 doc (2011) gives the same `C:ID:CMD` and `ID=&Return=&CMD=` forms.
 */
import { AdmsProtocolError } from './handshake.js';

export const COMMAND_ID_PATTERN = /^[A-Za-z0-9]{1,16}$/;

export interface AdmsCommand {
  readonly id: string;
  /** e.g. "REBOOT", "CHECK", "DATA UPDATE USERINFO PIN=1\tName=A". */
  readonly command: string;
}

function checkId(id: string, where: string): string {
  if (!COMMAND_ID_PATTERN.test(id)) {
    throw new AdmsProtocolError(`command id ${JSON.stringify(id.slice(0, 40))} is not 1-16 letters/digits`, where);
  }
  return id;
}

function checkCommand(command: string, where: string): string {
  // LF separates records, so CR/LF inside a command would forge extra commands.
  if (command.length === 0 || /[\r\n\0]/.test(command)) {
    throw new AdmsProtocolError('command is empty or contains CR/LF/NUL', where);
  }
  return command;
}

export function formatCommand(id: string, command: string): string {
  return `C:${checkId(id, 'argument id')}:${checkCommand(command, 'argument command')}`;
}

/** Full getrequest reply body: `OK` for an empty queue, else LF-joined records. */
export function formatCommands(commands: readonly AdmsCommand[]): string {
  if (commands.length === 0) return 'OK';
  return commands.map((c) => formatCommand(c.id, c.command)).join('\n');
}

/** Inverse of formatCommands, for device simulators and tests. */
export function parseGetRequestReply(text: string): AdmsCommand[] {
  const lines = text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  if (lines.length === 1 && lines[0] === 'OK') return [];
  if (lines.length === 0) throw new AdmsProtocolError('empty reply (expected OK or commands)', 'line 1');
  return lines.map((line, i) => {
    const where = `line ${i + 1}`;
    const m = /^C:([^:]*):(.*)$/.exec(line);
    if (!m) throw new AdmsProtocolError('expected "C:<id>:<command>"', where);
    return { id: checkId(m[1] ?? '', `${where}, field 1`), command: checkCommand(m[2] ?? '', `${where}, field 2`) };
  });
}

export interface DeviceCmdResult {
  readonly id: string;
  /** 0 success, negative error (doc appendix 1); GetFile/PutFile put a size here. */
  readonly returnCode: number;
  readonly cmd: string;
  /** Extra `&key=value` pairs after CMD (e.g. StartTime, AttlogSum). */
  readonly fields: Readonly<Record<string, string>>;
  /** `Key=Value` lines that followed the record (INFO replies). */
  readonly info: readonly string[];
}

const RETURN_CODE = /^-?\d{1,10}$/;

function parseRecord(line: string, where: string): DeviceCmdResult {
  const pairs = new Map<string, string>();
  line.split('&').forEach((part, i) => {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new AdmsProtocolError(`"${part.slice(0, 40)}" is not key=value`, `${where}, field ${i + 1}`);
    const key = part.slice(0, eq);
    if (pairs.has(key)) throw new AdmsProtocolError(`duplicate key ${key}`, `${where}, field ${i + 1}`);
    pairs.set(key, part.slice(eq + 1));
  });
  const id = pairs.get('ID');
  const ret = pairs.get('Return');
  const cmd = pairs.get('CMD');
  if (id === undefined) throw new AdmsProtocolError('missing ID', where);
  checkId(id, `${where}, ID`);
  if (ret === undefined || !RETURN_CODE.test(ret)) {
    throw new AdmsProtocolError(`Return ${JSON.stringify(ret ?? null)} is not an integer`, `${where}, Return`);
  }
  if (cmd === undefined || cmd === '') throw new AdmsProtocolError('missing CMD', `${where}, CMD`);
  const fields = Object.fromEntries([...pairs].filter(([k]) => k !== 'ID' && k !== 'Return' && k !== 'CMD'));
  return { id, returnCode: Number(ret), cmd, fields, info: [] };
}

/**
 * Parses a devicecmd body into its result records. Throws AdmsProtocolError
 * naming the line on anything malformed, since a result we cannot attribute to a
 * command id must not be guessed at. The LF-separated GetFile/Shell reply forms
 * ("ID=..\nSN=..\nReturn=..") are not supported and are rejected.
 */
export function parseDeviceCmdResult(body: string): DeviceCmdResult[] {
  const results: { record: DeviceCmdResult; info: string[] }[] = [];
  body.split('\n').forEach((raw, i) => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line === '') return;
    const where = `line ${i + 1}`;
    if (line.startsWith('ID=') && line.includes('&')) {
      results.push({ record: parseRecord(line, where), info: [] });
      return;
    }
    const last = results[results.length - 1];
    if (last === undefined || !/^[^=&]+=/.test(line)) {
      throw new AdmsProtocolError('expected "ID=..&Return=..&CMD=.." record', where);
    }
    last.info.push(line);
  });
  if (results.length === 0) throw new AdmsProtocolError('no command result records', 'line 1');
  return results.map(({ record, info }) => ({ ...record, info }));
}
