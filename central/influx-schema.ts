import type { InfluxDB } from 'influx';
import type { Logger } from 'pino';

/**
 * How long each kind of data is kept. Attendance and every status record are the
 * audit trail: years, in the default policy, so plain queries find them. Health
 * reports and snapshot metadata are operational: a month, in `ops`, with health
 * downsampled hourly into the default policy by a continuous query.
 */
export const RETENTION = {
  default: { name: 'autogen', duration: '3650d' },
  ops: { name: 'ops', duration: '30d' },
} as const;

const OPS_MEASUREMENTS: ReadonlySet<string> = new Set(['gateway_health', 'snapshot']);

/** The retention policy a measurement is written to. */
export function retentionPolicyFor(measurement: string): string {
  return OPS_MEASUREMENTS.has(measurement) ? RETENTION.ops.name : RETENTION.default.name;
}

const HOURLY_HEALTH_CQ = 'gateway_health_hourly';
const HOURLY_HEALTH_QUERY =
  `SELECT mean(outbox_depth) AS outbox_depth, max(outbox_depth) AS outbox_depth_max, mean(load1) AS load1, ` +
  `mean(rss_bytes) AS rss_bytes, min(disk_free_bytes) AS disk_free_bytes, max(dropped_health) AS dropped_health ` +
  `INTO "${RETENTION.default.name}"."gateway_health_hourly" FROM "${RETENTION.ops.name}"."gateway_health" GROUP BY time(1h), opd, gateway`;

/**
 * Creates or corrects the database, its retention policies and continuous queries.
 * Safe on every start: what exists is altered to match, nothing is dropped but a
 * continuous query whose text changed (recreated).
 */
export async function ensureInfluxSchema(influx: InfluxDB, database: string, log: Logger): Promise<void> {
  const names = await influx.getDatabaseNames();
  if (!names.includes(database)) {
    await influx.createDatabase(database);
    log.info({ database }, 'created InfluxDB database');
  }
  const existing = await influx.showRetentionPolicies(database);
  for (const [isDefault, rp] of [
    [true, RETENTION.default],
    [false, RETENTION.ops],
  ] as const) {
    const found = existing.find((p) => p.name === rp.name);
    const options = { database, duration: rp.duration, replication: 1, isDefault };
    if (!found) {
      await influx.createRetentionPolicy(rp.name, options);
      log.info({ database, policy: rp.name, duration: rp.duration }, 'created retention policy');
    } else if (found.duration !== normalizeDuration(rp.duration) || found.default !== isDefault) {
      await influx.alterRetentionPolicy(rp.name, options);
      log.info({ database, policy: rp.name, duration: rp.duration }, 'retention policy adjusted');
    }
  }
  const cqs = await influx.showContinousQueries(database);
  const cq = cqs.find((q) => q.name === HOURLY_HEALTH_CQ);
  if (cq && !cq.query.includes(`INTO "${RETENTION.default.name}"."gateway_health_hourly"`)) {
    await influx.dropContinuousQuery(HOURLY_HEALTH_CQ, database);
  }
  if (!cq || !cq.query.includes(`INTO "${RETENTION.default.name}"."gateway_health_hourly"`)) {
    await influx.createContinuousQuery(HOURLY_HEALTH_CQ, HOURLY_HEALTH_QUERY, database);
    log.info({ database, cq: HOURLY_HEALTH_CQ }, 'created continuous query');
  }
}

/** InfluxDB reports 3650d as "87600h0m0s". */
function normalizeDuration(duration: string): string {
  const days = /^(\d+)d$/.exec(duration);
  return days ? `${Number(days[1]) * 24}h0m0s` : duration;
}
