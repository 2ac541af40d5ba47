import type { z } from 'zod';
import { AckBody, AssignBody, CloseBody, NewComplaint, RoutingRules } from './complaint.js';
import { DatasetRegistration } from './dataset.js';
import type { BridgesPermission } from './routes.js';

/**
 * The bridge routes in the shape of central/openapi.ts's OPERATIONS, so the OpenAPI
 * document can list them from the same zod schemas the routes validate with.
 */
export interface BridgeOperation {
  method: 'get' | 'post' | 'put';
  path: string;
  summary: string;
  permission: BridgesPermission;
  body?: { type: 'application/json'; schema: z.ZodType } | { type: 'text/csv'; description: string };
  produces?: string;
  query?: Record<string, string>;
}

const period = { from: 'start, ISO 8601 (default: 30 days before to)', to: 'end, exclusive, ISO 8601 (default: now)' };

export const BRIDGE_OPERATIONS: readonly BridgeOperation[] = [
  { method: 'post', path: '/api/complaints', summary: 'file a complaint; routed to an OPD by its category', permission: 'complaints.submit', body: { type: 'application/json', schema: NewComplaint } },
  {
    method: 'get',
    path: '/api/complaints',
    summary: 'complaints, newest first',
    permission: 'complaints.handle',
    query: { state: 'open (default), all, received, routed, acknowledged or closed', opd: 'OPD code', category: 'category', limit: '1-1000, default 100', before: 'ids below this (next page)' },
  },
  { method: 'get', path: '/api/complaints/stats', summary: 'per OPD: received, open, median and p90 seconds to acknowledge and to close', permission: 'complaints.handle', query: { opd: 'OPD code', ...period } },
  { method: 'get', path: '/api/complaints/routing', summary: 'routing rules: category -> OPD ("*": the rest)', permission: 'complaints.handle' },
  { method: 'put', path: '/api/complaints/routing', summary: 'replace the routing rules', permission: 'registry.manage', body: { type: 'application/json', schema: RoutingRules } },
  { method: 'get', path: '/api/complaints/{id}', summary: 'one complaint with its history', permission: 'complaints.handle' },
  { method: 'get', path: '/api/complaints/{id}/photo', summary: 'the photo that came with it', permission: 'complaints.handle', produces: 'image/jpeg' },
  { method: 'post', path: '/api/complaints/{id}/assign', summary: 'route or reassign to an OPD', permission: 'complaints.handle', body: { type: 'application/json', schema: AssignBody } },
  { method: 'post', path: '/api/complaints/{id}/ack', summary: 'the OPD acknowledges', permission: 'complaints.handle', body: { type: 'application/json', schema: AckBody } },
  { method: 'post', path: '/api/complaints/{id}/close', summary: 'the OPD closes it with a note (acknowledges too if it had not)', permission: 'complaints.handle', body: { type: 'application/json', schema: CloseBody } },
  { method: 'get', path: '/api/datasets', summary: 'registered datasets with latest row time and stale flag', permission: 'view' },
  { method: 'post', path: '/api/datasets', summary: 'register a dataset; the push token is in the answer, once', permission: 'datasets.manage', body: { type: 'application/json', schema: DatasetRegistration } },
  { method: 'get', path: '/api/datasets/{slug}', summary: 'one dataset', permission: 'view' },
  { method: 'post', path: '/api/datasets/{slug}/token', summary: 'a new push token (the old one stops working)', permission: 'datasets.manage' },
  { method: 'get', path: '/api/datasets/{slug}/latest', summary: 'latest value per field and the newest rows', permission: 'view', query: { limit: 'rows, 1-1000, default 50' } },
  {
    method: 'post',
    path: '/api/datasets/{slug}/rows',
    summary: 'push rows (Authorization: Bearer <dataset token>); JSON [{...}] or {"rows": [...]} also accepted',
    permission: 'dataset-token',
    body: { type: 'text/csv', description: 'header row of field names and an optional time column; comma, semicolon or tab' },
  },
];
