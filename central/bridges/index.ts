import type { Logger } from 'pino';
import { ComplaintStore } from './complaint-store.js';
import type { ComplaintsSources } from './complaints-http.js';
import { DatasetStore } from './dataset-store.js';
import { DatasetBridge, type OpdSource, type PointSink, type RawQuery } from './datasets.js';
import { BridgeEvents } from './events.js';

// The module's public face: main.ts and http.ts import from here only.
export { complaintsPermission, complaintsRoute, type ComplaintsPermission, type ComplaintsSources } from './complaints-http.js';
export { datasetsPermission, datasetsRoute, type DatasetsPermission } from './datasets-http.js';
export { bridgesPermission, bridgesRoute, type BridgesPermission, type BridgesSources } from './routes.js';
export { COMPLAINT_BODY_LIMIT, JSON_BODY_LIMIT, ROWS_BODY_LIMIT, type Actor, type BridgesReply, type BridgesRequest } from './request.js';
export { ComplaintStore, type Complaint } from './complaint-store.js';
export { DatasetStore } from './dataset-store.js';
export { DatasetBridge, type DatasetLatest, type DatasetSummary, type IngestResult, type OpdSource, type PointSink, type RawQuery } from './datasets.js';
export { datasetSlugOfTopic, datasetTopicFilter, ingestMqttDatasetMessage } from './mqtt.js';
export { datasetMosquittoFiles, mosquittoDatasetUser } from './dataset-mosquitto.js';
export { BRIDGE_OPERATIONS } from './operations.js';
export { BridgeEvents, DATASET_COALESCE_MS, forwardBridgeEvents, type BridgeEventMap, type BridgeEventName, type ComplaintEvent, type DatasetEvent } from './events.js';

export interface BridgesOptions {
  /** The SQLite file; the registry's (config.registry.db) is fine: table names start with "complaint" and "dataset". */
  db: string;
  /** Where complaint photos are kept, e.g. next to the snapshots folder. */
  photoDir: string;
  /** Where dataset rows go: the central's InfluxWriter. */
  sink: PointSink;
  /** Where the latest values are read from: the central's influx client. */
  influx: RawQuery;
  /** OPD codes and zones: the Registry. */
  registry: OpdSource;
  log: Logger;
  clock?: () => number;
}

export interface Bridges {
  complaints: ComplaintsSources;
  datasets: DatasetBridge;
  /** Complaint and dataset changes, for the command room's event stream. */
  events: BridgeEvents;
  close(): void;
}

/** Opens both stores; close() when the central stops. */
export function openBridges(o: BridgesOptions): Bridges {
  const complaintStore = new ComplaintStore(o.db, o.photoDir);
  const datasetStore = new DatasetStore(o.db);
  const clock = o.clock ?? Date.now;
  const events = new BridgeEvents();
  return {
    complaints: { store: complaintStore, registry: o.registry, log: o.log.child({ part: 'complaints' }), clock, events },
    datasets: new DatasetBridge(datasetStore, o.sink, o.influx, o.registry, o.log.child({ part: 'datasets' }), clock, events),
    events,
    close: () => {
      events.close();
      complaintStore.close();
      datasetStore.close();
    },
  };
}
export { complaintFigures, complaintStats, type OpdComplaintStats } from './complaint-stats.js';
