import { z } from 'zod';
import { GeoPoint } from '../config.js';
import { PHOTO_BASE64_MAX_CHARS } from './photo.js';

/**
 * A citizen complaint (pengaduan) and its life in the command room:
 *
 *   received --(rule or operator assigns an OPD)--> routed --(OPD acknowledges)--> acknowledged --(OPD closes, note)--> closed
 *
 * - A complaint whose category has no routing rule stays `received` until an operator assigns it.
 * - Reassigning (a routed or acknowledged complaint to another OPD) makes it `routed` again:
 *   the new OPD has not acknowledged it yet. The earlier steps stay in the history.
 * - Closing a `routed` complaint is allowed and counts as acknowledging it at the same
 *   moment by the same person: an office that fixed the street lamp before clicking
 *   "acknowledge" must not be made to click twice, and its response time is then honestly
 *   the time to the fix.
 * - A closed complaint changes no more; `received` cannot be acknowledged or closed (nobody
 *   is responsible for it yet).
 * Pure: no I/O, no clock; the store applies what `advance` decides.
 */

export const COMPLAINT_STATES = ['received', 'routed', 'acknowledged', 'closed'] as const;
export type ComplaintState = (typeof COMPLAINT_STATES)[number];

export const OpdCode = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, 'an OPD code: lower-case letters, digits, "_" or "-" (max 32)');

export const Category = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'a category: letters, digits, "_" or "-" (max 64), e.g. "jalan-rusak"');

/** What a complaint app or an operator posts (POST /api/complaints). */
export const NewComplaint = z
  .strictObject({
    category: Category,
    text: z.string().trim().min(1, 'text is empty').max(5000, 'text: at most 5000 characters'),
    address: z.string().trim().min(1).max(500).optional().describe('street address or landmark, as the citizen wrote it'),
    location: GeoPoint.optional().describe('WGS84 coordinates'),
    photo: z
      .string()
      .max(PHOTO_BASE64_MAX_CHARS, 'photo: at most 2 MB (as base64)')
      .optional()
      .describe('a JPEG or PNG of at most 2 MB, base64 (a data: URL is accepted too)'),
    externalId: z.string().trim().min(1).max(128).optional().describe("the complaint app's own id: posting it again returns the first complaint instead of a duplicate"),
  })
  .refine((c) => c.address !== undefined || c.location !== undefined, { message: 'give a location {lat, lon}, an address, or both', path: ['location'] });
export type NewComplaint = z.output<typeof NewComplaint>;

export const AssignBody = z.strictObject({ opd: OpdCode, note: z.string().trim().min(1).max(2000).optional() });
export const AckBody = z.strictObject({ note: z.string().trim().min(1).max(2000).optional() });
export const CloseBody = z.strictObject({ note: z.string().trim().min(1, 'say what was done').max(2000) });

/** `*` is the fallback: categories without their own rule go to its OPD. */
export const RoutingRule = z.strictObject({ category: z.union([z.literal('*'), Category]), opd: OpdCode });
export type RoutingRule = z.output<typeof RoutingRule>;

export const RoutingRules = z
  .strictObject({ rules: z.array(RoutingRule).max(500) })
  .superRefine(({ rules }, ctx) => {
    const seen = new Set<string>();
    rules.forEach((r, i) => {
      if (seen.has(r.category)) ctx.addIssue({ code: 'custom', path: ['rules', i, 'category'], message: `category ${r.category} has two rules; keep one` });
      seen.add(r.category);
    });
  });

/** The rule that routes `category`: its own, else the fallback `*`, else none (an operator assigns). */
export function routeFor(rules: readonly RoutingRule[], category: string): RoutingRule | undefined {
  return rules.find((r) => r.category === category) ?? rules.find((r) => r.category === '*');
}

/** Who routed a complaint automatically, as the history shows it. */
export const ruleActor = (rule: RoutingRule): string => `rule:${rule.category}`;

/** Where a complaint stands; times are milliseconds since the epoch. */
export interface Progress {
  state: ComplaintState;
  opd: string | null;
  routedAt: number | null;
  routedBy: string | null;
  acknowledgedAt: number | null;
  acknowledgedBy: string | null;
  ackNote: string | null;
  closedAt: number | null;
  closedBy: string | null;
  closeNote: string | null;
}

export type Step = { action: 'assign'; opd: string; note?: string | undefined } | { action: 'ack'; note?: string | undefined } | { action: 'close'; note: string };

export const HISTORY_ACTIONS = ['received', 'routed', 'reassigned', 'acknowledged', 'closed'] as const;
export type HistoryAction = (typeof HISTORY_ACTIONS)[number];

export interface HistoryEntry {
  action: HistoryAction;
  at: number;
  by: string;
  opd: string | null;
  note: string | null;
}

/** A step that is not possible in the complaint's state; the message says what to do instead. */
export class ComplaintStateError extends Error {}

export const RECEIVED: Omit<Progress, 'state'> = {
  opd: null,
  routedAt: null,
  routedBy: null,
  acknowledgedAt: null,
  acknowledgedBy: null,
  ackNote: null,
  closedAt: null,
  closedBy: null,
  closeNote: null,
};

/**
 * The progress after `step`, and the history entries it adds (none: nothing changed,
 * e.g. a second acknowledgement, which keeps the first one like alerts do).
 */
export function advance(p: Progress, step: Step, at: number, by: string): { next: Progress; history: HistoryEntry[] } {
  const entry = (action: HistoryAction, opd: string | null, note: string | null): HistoryEntry => ({ action, at, by, opd, note });
  if (p.state === 'closed') throw new ComplaintStateError(`closed ${new Date(p.closedAt ?? at).toISOString()} by ${p.closedBy ?? '?'}: a closed complaint does not change; file a new one`);
  switch (step.action) {
    case 'assign': {
      if (p.opd === step.opd) return { next: p, history: [] };
      const next: Progress = { ...RECEIVED, state: 'routed', opd: step.opd, routedAt: at, routedBy: by };
      return { next, history: [entry(p.opd === null ? 'routed' : 'reassigned', step.opd, step.note ?? null)] };
    }
    case 'ack': {
      if (p.state === 'received') throw new ComplaintStateError('no OPD is responsible yet: assign it to an OPD first');
      if (p.state === 'acknowledged') return { next: p, history: [] };
      return { next: { ...p, state: 'acknowledged', acknowledgedAt: at, acknowledgedBy: by, ackNote: step.note ?? null }, history: [entry('acknowledged', p.opd, step.note ?? null)] };
    }
    case 'close': {
      if (p.state === 'received') throw new ComplaintStateError('no OPD is responsible yet: assign it to an OPD first');
      const history: HistoryEntry[] = [];
      let acked = p;
      if (p.state === 'routed') {
        acked = { ...p, state: 'acknowledged', acknowledgedAt: at, acknowledgedBy: by, ackNote: null };
        history.push(entry('acknowledged', p.opd, 'implicit: closed without a separate acknowledgement'));
      }
      history.push(entry('closed', p.opd, step.note));
      return { next: { ...acked, state: 'closed', closedAt: at, closedBy: by, closeNote: step.note }, history };
    }
  }
}
