import { complaintsPermission, complaintsRoute, type ComplaintsPermission, type ComplaintsSources } from './complaints-http.js';
import type { DatasetBridge } from './datasets.js';
import type { BridgeEvents } from './events.js';
import { datasetsPermission, datasetsRoute, type DatasetsPermission } from './datasets-http.js';
import type { BridgesReply, BridgesRequest } from './request.js';

/**
 * The complaint and data bridge routes as one mount point for central/http.ts:
 * bridgesPermission says what a request needs ('dataset-token': no user, the route
 * checks the dataset's token itself), bridgesRoute answers it.
 */

export interface BridgesSources {
  /** Absent: no complaint routes. */
  complaints?: ComplaintsSources | undefined;
  /** Absent: no dataset routes. */
  datasets?: DatasetBridge | undefined;
  /** Absent: complaints and datasets change without telling the event stream. */
  events?: BridgeEvents | undefined;
}

export type BridgesPermission = ComplaintsPermission | DatasetsPermission;

export function bridgesPermission(method: string, pathname: string): BridgesPermission | undefined {
  return complaintsPermission(method, pathname) ?? datasetsPermission(method, pathname);
}

/** The reply, or undefined when the path is not a bridge route (or its part is not configured). */
export async function bridgesRoute(sources: BridgesSources, req: BridgesRequest): Promise<BridgesReply | undefined> {
  const complaints = sources.complaints && (await complaintsRoute(sources.complaints, req));
  if (complaints) return complaints;
  return sources.datasets && datasetsRoute(sources.datasets, req);
}
