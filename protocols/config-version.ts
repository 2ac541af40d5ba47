import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { isMap, parseDocument, type Document } from 'yaml';
import { z } from 'zod';

/**
 * Settings files carry a format `version`, so a release that changes a key can still
 * read the files technicians wrote for an older one. A migration rewrites one
 * version into the next on the parsed YAML document, which keeps the technician's
 * comments when `config migrate` writes the file back. A file without `version` is
 * version 1, the first format.
 */
export interface Migration {
  /** Turns version `from` into `from + 1`. */
  from: number;
  /** One line for the technician, e.g. "gateway.foo is now bar.foo". */
  describe: string;
  apply(doc: Document): void;
}

export interface Versioning {
  /** The newest format this release reads and writes. */
  current: number;
  /** from 1 up to current - 1, in order. */
  migrations: readonly Migration[];
  /** Who reads the file, for messages: "pemda-edge". */
  program: string;
}

/** The `version` key of a settings file, for the schema (one schema is the type and the docs). */
export function versionKey(v: Versioning) {
  return z
    .number()
    .int()
    .min(1)
    .max(v.current)
    .default(v.current)
    .describe(`format of this file; files without it are version 1 and are migrated when read (${v.program} config migrate FILE updates the file)`);
}

export class ConfigVersionError extends Error {}

/**
 * Brings `doc` to the current version in place and returns what changed (empty when
 * it already was). A file newer than this release is refused: guessing could lose a
 * setting silently.
 */
export function migrateDocument(doc: Document, v: Versioning): string[] {
  if (!isMap(doc.contents) && doc.contents !== null) return [];
  const raw: unknown = doc.get('version');
  const version = raw === undefined ? 1 : raw;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) {
    throw new ConfigVersionError(`version must be a whole number from 1 to ${v.current}`);
  }
  if (version > v.current) {
    throw new ConfigVersionError(`this file is format version ${version}, written for a newer ${v.program}; this one reads up to version ${v.current}: upgrade ${v.program}`);
  }
  const done: string[] = [];
  for (let at = version; at < v.current; at++) {
    const step = v.migrations.find((m) => m.from === at);
    if (!step) throw new ConfigVersionError(`no migration from format version ${at} (a packaging mistake: report it)`);
    step.apply(doc);
    done.push(`version ${at} -> ${at + 1}: ${step.describe}`);
  }
  if (done.length > 0) doc.set('version', v.current);
  return done;
}

/**
 * `config migrate FILE [--write]`: shows which migrations the file needs and, with
 * `write`, rewrites it in the current format (comments kept) after a FILE.bak copy.
 */
export function migrateConfigFile(file: string, v: Versioning, write: boolean): string[] {
  const text = readFileSync(file, 'utf8');
  const doc = parseDocument(text);
  if (doc.errors.length > 0) throw new ConfigVersionError(`${file}: YAML syntax: ${doc.errors[0]!.message.split('\n')[0]}`);
  const done = migrateDocument(doc, v);
  if (done.length === 0) {
    if (doc.get('version') === undefined && write) {
      // Stamping the version makes later migrations unambiguous.
      doc.set('version', v.current);
      copyFileSync(file, `${file}.bak`);
      writeFileSync(file, doc.toString());
      return [`${file}: already current; added version: ${v.current} (old file kept as ${file}.bak)`];
    }
    return [`${file}: already format version ${v.current}; nothing to do`];
  }
  if (!write) return [...done.map((d) => `${file}: ${d}`), `run again with --write to update the file (a copy is kept as ${file}.bak)`];
  copyFileSync(file, `${file}.bak`);
  writeFileSync(file, doc.toString());
  return [...done.map((d) => `${file}: ${d}`), `${file}: written as version ${v.current} (old file kept as ${file}.bak)`];
}
