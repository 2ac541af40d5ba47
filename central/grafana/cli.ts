import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError } from '../../protocols/config-file.js';
import { DatasetStore } from '../bridges/index.js';
import { loadCentralConfig } from '../config.js';
import { Registry } from '../registry.js';
import { allDashboards } from './dashboards.js';
import { DATA_OPD_UID, dataOpdDashboard, type DatasetSource } from './datasets.js';
import type { Dashboard } from './model.js';
import { COMPOSE_INFLUX_URL, DEFAULT_FOLDER, generatedFiles, packageRoot, writeFiles } from './provisioning.js';
import { push } from './push.js';

export const GRAFANA_USAGE = `pemda-central grafana: dashboards and the InfluxDB data source, generated from code

Usage:
  pemda-central grafana write [--out DIR] [--config FILE] [--datasource-url ${COMPOSE_INFLUX_URL}] [--database pemda] [--folder NAME]
      write the provisioning files and dashboards (default DIR: docker/grafana of this package)
  pemda-central grafana push --url URL --token TOKEN [--config FILE] [--folder "${DEFAULT_FOLDER}"]
                             [--datasource-url http://127.0.0.1:8086] [--database pemda]
      create or update folder, data source and dashboards through Grafana's HTTP API;
      TOKEN: a service account token with the Admin role (or set GRAFANA_TOKEN)

  --config FILE: the central's config; its registry database lists the registered datasets,
      which make the "Data OPD" dashboard (${DATA_OPD_UID}). Without it that dashboard is skipped.

Exit codes: 0 ok, 1 failed, 2 bad usage or bad config.`;

export interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
}

const consoleIo: Io = { out: (l) => console.log(l), err: (l) => console.error(l) };

class UsageError extends Error {}

function httpUrl(option: string, value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`--${option} "${value}" is not a URL (expected e.g. http://127.0.0.1:3000)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--${option} "${value}": only http:// and https:// URLs`);
  return url;
}

function nonEmpty(option: string, value: string | undefined, fallback: string): string {
  const v = value ?? fallback;
  if (v.trim() === '') throw new UsageError(`--${option} must not be empty`);
  return v;
}

const common = {
  folder: { type: 'string' },
  'datasource-url': { type: 'string' },
  database: { type: 'string' },
  config: { type: 'string' },
} as const;

/** The registered datasets, from the registry database named by the central's config. */
export function readDatasets(configFile: string): { db: string; datasets: DatasetSource[] } {
  const { value: config } = loadCentralConfig(configFile);
  const db = config.registry.db;
  // Opening a missing file would create an empty registry and a dashboard of nothing.
  if (!existsSync(db)) throw new UsageError(`--config ${configFile}: no registry database at ${db} (registry.db); run the central once, or check the file`);
  const store = new DatasetStore(db);
  const registry = new Registry(db);
  try {
    const names = new Map(registry.opds().map((o) => [o.code, o.name]));
    const datasets = store.all().map(({ slug, name, opd, fields }): DatasetSource => ({ slug, name, opd, fields, ...(names.has(opd) && { opdName: names.get(opd) }) }));
    return { db, datasets };
  } finally {
    registry.close();
    store.close();
  }
}

/** The Data OPD dashboard when --config names a registry, else why it is skipped (on stderr). */
function datasetDashboards(configFile: string | undefined, io: Io, verb: string): Dashboard[] {
  if (configFile === undefined) {
    io.err(`pemda-central grafana: datasets skipped: no --config, so the registry that lists them is unknown; the "Data OPD" dashboard (${DATA_OPD_UID}) is not ${verb}`);
    return [];
  }
  const { db, datasets } = readDatasets(configFile);
  io.out(`Data OPD: ${datasets.length} dataset(s) registered in ${db}${datasets.length > 0 ? `: ${datasets.map((d) => d.slug).join(', ')}` : ''}`);
  return [dataOpdDashboard(datasets)];
}

function write(args: string[], io: Io): number {
  const { values } = parseArgs({ args, options: { ...common, out: { type: 'string' } }, strict: true, allowPositionals: false });
  const url = httpUrl('datasource-url', values['datasource-url'] ?? COMPOSE_INFLUX_URL).href.replace(/\/$/, '');
  const database = nonEmpty('database', values.database, 'pemda');
  const folder = nonEmpty('folder', values.folder, DEFAULT_FOLDER);
  const out = values.out !== undefined ? resolve(values.out) : join(packageRoot(), 'docker', 'grafana');
  const extra = datasetDashboards(values.config, io, 'written (an existing file is left as it is)');
  const keep = new Set(extra.length === 0 ? [`dashboards/${DATA_OPD_UID}.json`] : []);
  for (const r of writeFiles(out, generatedFiles({ url, database }, folder, extra), keep)) io.out(`${r.action.padEnd(9)} ${r.path}`);
  return 0;
}

async function pushCommand(args: string[], io: Io): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { ...common, url: { type: 'string' }, token: { type: 'string' } },
    strict: true,
    allowPositionals: false,
  });
  if (values.url === undefined) throw new UsageError('push needs --url (Grafana, e.g. http://127.0.0.1:3000)');
  const url = httpUrl('url', values.url);
  const token = values.token ?? process.env.GRAFANA_TOKEN;
  if (token === undefined || token.trim() === '') throw new UsageError('push needs --token (or GRAFANA_TOKEN): a Grafana service account token');
  const datasourceUrl = httpUrl('datasource-url', values['datasource-url'] ?? 'http://127.0.0.1:8086').href.replace(/\/$/, '');
  const extra = datasetDashboards(values.config, io, 'pushed (one already in Grafana is left as it is)');
  await push({
    url,
    token: token.trim(),
    folder: nonEmpty('folder', values.folder, DEFAULT_FOLDER),
    datasource: { url: datasourceUrl, database: nonEmpty('database', values.database, 'pemda') },
    dashboards: [...allDashboards(), ...extra],
    log: io.out,
  });
  return 0;
}

/**
 * `pemda-central grafana ...`: `args` are the words after "grafana". Returns the exit
 * code: 0 ok, 1 failed (Grafana refused, unreachable, files not writable), 2 bad usage.
 */
export async function grafanaMain(args: string[], io: Io = consoleIo): Promise<number> {
  const [command, ...rest] = args;
  try {
    if (command === 'write') return write(rest, io);
    if (command === 'push') return await pushCommand(rest, io);
    if (command === '--help' || command === '-h' || command === 'help') {
      io.out(GRAFANA_USAGE);
      return 0;
    }
    throw new UsageError(command === undefined ? 'missing command: write or push' : `unknown command "${command}": write or push`);
  } catch (err) {
    const e = err as Error & { code?: string };
    if (err instanceof UsageError || (typeof e.code === 'string' && e.code.startsWith('ERR_PARSE_ARGS'))) {
      io.err(`pemda-central grafana: ${e.message}\n\n${GRAFANA_USAGE}`);
      return 2;
    }
    if (err instanceof ConfigError) {
      io.err(e.message);
      return 2;
    }
    // GrafanaError (refused, unreachable) or a file system error: the message says which.
    io.err(`pemda-central grafana ${command}: FAILED: ${e.message}`);
    return 1;
  }
}
