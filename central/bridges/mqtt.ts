import { z } from 'zod';
import type { DatasetBridge, IngestResult } from './datasets.js';

/**
 * Dataset rows over MQTT, for systems that already speak it (docs/bridges.md):
 *   topic   {root}/$bridge/datasets/{slug}/rows          (root: mqtt.topicRoot, default pemda/v1)
 *   payload {"token": "<dataset token>", "rows": [...]}  or  {"token": "...", "csv": "time;pm25\n..."}
 * The token travels in the payload because the subscriber (the central) never sees the
 * publisher's MQTT password. The central's ingest subscribes to datasetTopicFilter(root)
 * (central/main.ts); the embedded broker's ACL lets `dataset:{slug}` publish only there
 * and subscribe to nothing (central/broker-acl.ts).
 */

export const datasetTopicFilter = (root: string): string => `${root}/$bridge/datasets/+/rows`;

/** The dataset slug of a rows topic, or undefined for any other topic. */
export function datasetSlugOfTopic(topic: string, root: string): string | undefined {
  const prefix = `${root}/$bridge/datasets/`;
  if (!topic.startsWith(prefix) || !topic.endsWith('/rows')) return undefined;
  const slug = topic.slice(prefix.length, -'/rows'.length);
  return /^[a-z0-9][a-z0-9_-]{0,47}$/.test(slug) ? slug : undefined;
}

export const MqttRowsMessage = z.union([
  z.strictObject({ token: z.string().min(1).max(128), rows: z.array(z.unknown()) }),
  z.strictObject({ token: z.string().min(1).max(128), csv: z.string() }),
]);

/** Checks and stores one MQTT message; undefined when the topic is not a dataset's. */
export async function ingestMqttDatasetMessage(bridge: DatasetBridge, topic: string, payload: Buffer, root: string): Promise<IngestResult | undefined> {
  const slug = datasetSlugOfTopic(topic, root);
  if (slug === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(payload.toString('utf8')) as unknown;
  } catch {
    return { status: 400, body: { error: `${topic}: the payload is not JSON {"token": "...", "rows": [...]}` } };
  }
  const message = MqttRowsMessage.safeParse(value);
  if (!message.success) return { status: 400, body: { error: `${topic}: ${z.prettifyError(message.error)}` } };
  const m = message.data;
  return 'rows' in m ? bridge.ingestDatasetPayload(slug, m.token, JSON.stringify(m.rows), 'application/json') : bridge.ingestDatasetPayload(slug, m.token, m.csv, 'text/csv');
}
