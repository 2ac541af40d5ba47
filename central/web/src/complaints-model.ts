/**
 * The rules of the Pengaduan (complaints) pages without the DOM: what a state is
 * called, the filing form and the routing rules checked the way the central checks
 * them (central/bridges/complaint.ts), so a mistake is named before anything is sent,
 * and the order in which offices are judged. Tested in Node.
 */
import type { ApiComplaintAction, ApiComplaintState, ApiNewComplaint, ApiOpd, ApiOpdComplaintStats } from './api-types.js';
import { formatNumber, t, type MessageKey } from './i18n.js';
import { decimal, type Severity } from './model.js';
import { formatDuration } from './reports-model.js';

/** What the central accepts (photo.ts): a JPEG or PNG of at most 2 MB. */
export const PHOTO_MAX_BYTES = 2 * 1024 * 1024;
export const PHOTO_TYPES: readonly string[] = ['image/jpeg', 'image/png'];
export const TEXT_MAX = 5000;
export const ADDRESS_MAX = 500;
export const NOTE_MAX = 2000;
/** How many complaints one list shows (newest first); the central allows up to 1000. */
export const LIST_LIMIT = 200;

const CATEGORY = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/**
 * received: nobody is responsible yet (the command room must route it): red.
 * routed: waiting for the OPD: amber. acknowledged and closed: the OPD has it.
 */
export const COMPLAINT_STATE: Record<ApiComplaintState, { key: MessageKey; severity: Severity }> = {
  received: { key: 'cmp.state.received', severity: 'bad' },
  routed: { key: 'cmp.state.routed', severity: 'warn' },
  acknowledged: { key: 'cmp.state.acknowledged', severity: 'ok' },
  closed: { key: 'cmp.state.closed', severity: 'ok' },
};

export const HISTORY_ACTION: Record<ApiComplaintAction, MessageKey> = {
  received: 'cmp.action.received',
  routed: 'cmp.action.routed',
  reassigned: 'cmp.action.reassigned',
  acknowledged: 'cmp.action.acknowledged',
  closed: 'cmp.action.closed',
};

export type ListState = 'open' | 'all';

export function complaintsPath(state: ListState, opd: string | undefined): string {
  return `/api/complaints?state=${state}&limit=${LIST_LIMIT}${opd !== undefined ? `&opd=${encodeURIComponent(opd)}` : ''}`;
}

/** The OPD a complaint (or a figure) is routed to, by name; null: nobody is responsible yet. */
export function complaintOpdName(opds: readonly ApiOpd[], code: string | null): string {
  if (code === null) return t('cmp.unrouted');
  return opds.find((o) => o.code === code)?.name ?? code;
}

/** Who did a step: a user, or the routing rule of a category ("rule:sampah"). */
export function actorText(by: string): string {
  const rule = /^rule:(.+)$/.exec(by);
  return rule ? t('cmp.byRule', { category: rule[1] === '*' ? t('cmp.fallback') : rule[1]! }) : by;
}

/**
 * The central writes the note of an acknowledgement implied by closing in English
 * ("implicit: ..."); the page says it in its own language.
 */
export function noteText(note: string | null): string | null {
  if (note === null) return null;
  return /^implicit:/.test(note) ? t('cmp.implicitAck') : note;
}

/** Durations of days too: a complaint may wait longer than the alerts the reports time. */
export function formatWait(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '—';
  const s = Math.max(0, Math.round(seconds));
  if (s < 86_400) return formatDuration(s);
  const days = Math.floor(s / 86_400);
  const hours = Math.floor((s % 86_400) / 3600);
  return `${formatNumber(days)} ${t('unit.days')}${hours ? ` ${formatNumber(hours)} ${t('unit.hours')}` : ''}`;
}

/**
 * Offices judged by how fast they respond, slowest first, so the one to call is on top:
 * offices with open complaints none of which they acknowledged (longest wait first),
 * then by median time to acknowledge, then by open complaints. Complaints not routed
 * yet (opd null) are the command room's own and come last.
 */
export function slowestFirst(stats: readonly ApiOpdComplaintStats[]): ApiOpdComplaintStats[] {
  const silent = (s: ApiOpdComplaintStats) => s.open > 0 && s.acknowledge.count === 0;
  const since = (s: ApiOpdComplaintStats) => (s.oldestOpenSince ? Date.parse(s.oldestOpenSince) : Infinity);
  return [...stats].sort(
    (a, b) =>
      Number(a.opd === null) - Number(b.opd === null) ||
      Number(silent(b)) - Number(silent(a)) ||
      (silent(a) && silent(b) ? since(a) - since(b) : 0) ||
      (b.acknowledge.medianS ?? -1) - (a.acknowledge.medianS ?? -1) ||
      b.open - a.open ||
      (a.opd ?? '').localeCompare(b.opd ?? ''),
  );
}

// ---------------------------------------------------------------- filing a complaint

/** The filing form as typed. */
export interface ComplaintDraft {
  category: string;
  text: string;
  address: string;
  lat: string;
  lon: string;
}

export const emptyComplaintDraft = (): ComplaintDraft => ({ category: '', text: '', address: '', lat: '', lon: '' });

export type ComplaintDraftResult = { ok: true; body: ApiNewComplaint } | { ok: false; errors: MessageKey[] };

export function parseComplaintDraft(d: ComplaintDraft): ComplaintDraftResult {
  const errors: MessageKey[] = [];
  const category = d.category.trim().toLowerCase();
  if (!CATEGORY.test(category)) errors.push('cmp.errCategory');
  const text = d.text.trim();
  if (text === '' || text.length > TEXT_MAX) errors.push('cmp.errText');
  const address = d.address.trim();
  if (address.length > ADDRESS_MAX) errors.push('cmp.errAddress');
  const lat = decimal(d.lat);
  const lon = decimal(d.lon);
  let location: { lat: number; lon: number } | undefined;
  if ((lat === undefined) !== (lon === undefined)) errors.push('admin.errPair');
  else if (lat !== undefined && lon !== undefined) {
    if (!(Number.isFinite(lat) && lat >= -90 && lat <= 90)) errors.push('admin.errLat');
    if (!(Number.isFinite(lon) && lon >= -180 && lon <= 180)) errors.push('admin.errLon');
    location = { lat, lon };
  }
  if (address === '' && location === undefined && lat === undefined && lon === undefined) errors.push('cmp.errWhere');
  if (errors.length) return { ok: false, errors };
  return { ok: true, body: { category, text, ...(address !== '' && { address }), ...(location && { location }) } };
}

/** Why a chosen photo would be refused, before it is read and sent. */
export function photoProblem(file: { size: number; type: string }): MessageKey | undefined {
  if (!PHOTO_TYPES.includes(file.type)) return 'cmp.errPhotoType';
  if (file.size > PHOTO_MAX_BYTES) return 'cmp.errPhotoSize';
  return undefined;
}

// ---------------------------------------------------------------- routing rules

export interface RuleDraft {
  category: string;
  opd: string;
}

export type RulesDraftResult = { ok: true; rules: { category: string; opd: string }[] } | { ok: false; errors: { key: MessageKey; params: Record<string, string | number> }[] };

/** Rows left wholly empty are dropped; every other row must be a whole rule. Rows count from 1. */
export function parseRulesDraft(rows: readonly RuleDraft[], knownOpds: ReadonlySet<string>): RulesDraftResult {
  const errors: { key: MessageKey; params: Record<string, string | number> }[] = [];
  const rules: { category: string; opd: string }[] = [];
  const seen = new Set<string>();
  rows.forEach((row, i) => {
    const n = i + 1;
    const category = row.category.trim().toLowerCase();
    const opd = row.opd.trim();
    if (category === '' && opd === '') return;
    const categoryOk = category === '*' || CATEGORY.test(category);
    if (!categoryOk) errors.push({ key: 'cmp.errRuleCategory', params: { n } });
    if (!knownOpds.has(opd)) errors.push({ key: 'cmp.errRuleOpd', params: { n } });
    if (categoryOk && seen.has(category)) errors.push({ key: 'cmp.errRuleTwice', params: { n, category } });
    seen.add(category);
    rules.push({ category, opd });
  });
  return errors.length ? { ok: false, errors } : { ok: true, rules };
}
