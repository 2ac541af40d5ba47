/// <reference lib="dom" />
import type { ApiPermission } from './api-types.js';
import type { MessageKey } from './i18n.js';
import { parseRoute, routeHref } from './route.js';
import type { ViewContext } from './views/context.js';
import { renderAdmin, resetAdmin } from './views/admin.js';
import { renderAlerts } from './views/alerts.js';
import { renderAttendance } from './views/attendance.js';
import { resetComplaintFigures } from './views/complaint-figures.js';
import { renderComplaints, resetComplaints } from './views/complaints.js';
import { resetDatasetTiles } from './views/dataset-tiles.js';
import { renderDatasets, resetDatasets } from './views/datasets.js';
import { renderDevices, resetDevices } from './views/devices.js';
import { renderHealth } from './views/health.js';
import { resetPanicBanner } from './views/panic.js';
import { renderReports, resetReports } from './views/reports.js';
import { renderWall, wallReset } from './views/wall.js';
import { can, currentUser, userOpd } from './session.js';

/**
 * The app's pages: one view per address (#/wall, #/absensi, #/kesehatan, #/peringatan,
 * #/pengaduan[/id|baru|aturan], #/laporan[/kinerja], #/data, #/perangkat,
 * #/admin[/code], each with an optional ?opd=CODE filter), the permission each needs,
 * and what they keep that must not outlive a user. A user of one OPD has no filter (the
 * central shows them their OPD only) and starts on Pengaduan instead of the wall.
 */

export type View = 'wall' | 'absensi' | 'kesehatan' | 'peringatan' | 'pengaduan' | 'laporan' | 'data' | 'perangkat' | 'admin';

export interface ViewSpec {
  view: View;
  label: MessageKey;
  needs: ApiPermission;
  render: (root: HTMLElement, ctx: ViewContext) => void;
}

/** In the order of the tabs; the first is what an unknown address opens. */
export const VIEWS: readonly ViewSpec[] = [
  { view: 'wall', label: 'nav.wall', needs: 'view', render: renderWall },
  { view: 'absensi', label: 'nav.attendance', needs: 'view', render: renderAttendance },
  { view: 'kesehatan', label: 'nav.health', needs: 'view', render: renderHealth },
  { view: 'peringatan', label: 'nav.alerts', needs: 'view', render: renderAlerts },
  { view: 'pengaduan', label: 'nav.complaints', needs: 'complaints.handle', render: renderComplaints },
  { view: 'laporan', label: 'nav.reports', needs: 'reports.read', render: renderReports },
  { view: 'data', label: 'nav.datasets', needs: 'datasets.manage', render: renderDatasets },
  { view: 'perangkat', label: 'nav.devices', needs: 'devices.manage', render: renderDevices },
  { view: 'admin', label: 'nav.admin', needs: 'registry.manage', render: renderAdmin },
];

/** The page the address opens now. */
export function currentPage(): { spec: ViewSpec; sub: string | undefined; opd: string | undefined } {
  const { view, sub, opd } = parseRoute(location.hash);
  const named = VIEWS.find((v) => v.view === view);
  const spec = named === undefined || named === VIEWS[0] ? home() : named;
  // No filter for a user of one OPD: the central narrows every answer to their OPD (and
  // refuses another's), and an address they leave must not carry it to the next user.
  return { spec, sub, opd: userOpd() ? undefined : opd };
}

/**
 * The wall is where everyone starts (the address at start-up and after logout, the
 * "back" links). A logged-in user who may not view it (staff of one OPD) starts on
 * their first tab instead of on "Tidak berwenang". Logged out, the wall stays: the
 * login form (or a kiosk's anonymous view) follows from it.
 */
function home(): ViewSpec {
  const wall = VIEWS[0]!;
  if (!currentUser() || can(wall.needs)) return wall;
  return VIEWS.find((v) => can(v.needs)) ?? wall;
}

export function viewHref(view: View, opd: string | undefined): string {
  return routeHref(view, undefined, opd);
}

/** Another OPD filter on the same page (the wall starts again at its first page). */
export function setOpd(opd: string | undefined): void {
  wallReset();
  const { spec, sub } = currentPage();
  location.hash = routeHref(spec.view, sub, opd);
}

/** What a view kept of the last user (lists, drafts, a token on screen) goes. */
export function resetViews(): void {
  resetDevices();
  resetAdmin();
  resetReports();
  resetComplaints();
  resetComplaintFigures();
  resetDatasets();
  resetDatasetTiles();
  resetPanicBanner();
}
