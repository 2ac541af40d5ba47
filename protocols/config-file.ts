import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { LineCounter, parseDocument, isMap, isSeq, isScalar, type Node } from 'yaml';
import { ConfigVersionError, migrateDocument, type Versioning } from './config-version.js';

/**
 * Reading a YAML settings file against its schema, for both programs. It lives in
 * `protocols/` because the file formats are a contract with the technicians and
 * operators who write them, and both programs must report mistakes the same way.
 */
export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly problems: readonly ConfigProblem[],
  ) {
    super(`${file}: ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n${problems.map((p) => `  ${formatProblem(file, p)}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export interface ConfigProblem {
  /** Dotted key path, e.g. `terminals[0].zone`; '' for the whole file. */
  key: string;
  /** 1-based line of the offending value (or of its parent when the key is missing). */
  line: number;
  column: number;
  message: string;
}

function formatProblem(file: string, p: ConfigProblem): string {
  return `${file}:${p.line}:${p.column} ${p.key === '' ? '' : `${p.key}: `}${p.message}`;
}

function formatKey(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) out += typeof key === 'number' ? `[${key}]` : out === '' ? String(key) : `.${String(key)}`;
  return out;
}

/** The deepest node of `path` that exists, so a missing key points at its parent. */
function nodeAt(root: Node | null, path: readonly PropertyKey[]): Node | null {
  let node = root;
  for (const key of path) {
    let next: unknown;
    if (isMap(node)) next = node.get(typeof key === 'number' ? key : String(key), true);
    else if (isSeq(node) && typeof key === 'number') next = node.get(key, true);
    if (!next || !(isMap(next) || isSeq(next) || isScalar(next))) break;
    node = next;
  }
  return node;
}

export interface LoadedConfig<T> {
  value: T;
  /** sha256 of the file's bytes: what a birth message reports as configHash. */
  hash: string;
  /** Format migrations applied while reading (the file itself is unchanged). */
  migrated: string[];
}

/** Parses YAML text and validates it; every problem is reported with its line. */
export function parseConfig<S extends z.ZodType>(schema: S, text: string, file: string, versioning?: Versioning): LoadedConfig<z.infer<S>> {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const hash = createHash('sha256').update(text).digest('hex');
  if (doc.errors.length > 0) {
    throw new ConfigError(
      file,
      doc.errors.map((e) => {
        const pos = lineCounter.linePos(e.pos[0]);
        return { key: '', line: pos.line, column: pos.col, message: `YAML syntax: ${e.message.split('\n')[0]}` };
      }),
    );
  }
  let migrated: string[] = [];
  if (versioning) {
    try {
      migrated = migrateDocument(doc, versioning);
    } catch (err) {
      if (!(err instanceof ConfigVersionError)) throw err;
      const pos = lineCounter.linePos(nodeAt(doc.contents, ['version'])?.range?.[0] ?? 0);
      throw new ConfigError(file, [{ key: 'version', line: pos.line, column: pos.col, message: err.message }]);
    }
  }
  const result = schema.safeParse(doc.toJS() ?? {});
  if (result.success) return { value: result.data, hash, migrated };
  throw new ConfigError(
    file,
    result.error.issues.map((issue) => {
      const node = nodeAt(doc.contents, issue.path);
      const pos = lineCounter.linePos(node?.range?.[0] ?? 0);
      return { key: formatKey(issue.path), line: pos.line, column: pos.col, message: issue.message };
    }),
  );
}

export function loadConfigFile<S extends z.ZodType>(schema: S, file: string, versioning?: Versioning): LoadedConfig<z.infer<S>> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(file, [{ key: '', line: 0, column: 0, message: `cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` }]);
  }
  return parseConfig(schema, text, file, versioning);
}

/** Shared field: an IANA zone name that this Node's ICU knows. */
export const IanaZone = z
  .string()
  .refine((zone) => {
    try {
      new Intl.DateTimeFormat('en', { timeZone: zone });
      return true;
    } catch {
      return false;
    }
  }, 'not a known IANA time zone (Indonesia: Asia/Jakarta WIB, Asia/Makassar WITA, Asia/Jayapura WIT)')
  .describe('IANA time zone name');
