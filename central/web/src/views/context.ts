import type { ApiCamera, ApiState } from '../api-types.js';
import type { AlertBook } from '../alerts-model.js';

/** What every view gets to render from. */
export interface ViewContext {
  state: ApiState;
  cameras: ApiCamera[];
  /** Now on the server's clock (ms). */
  nowMs: number;
  /** The OPD filter of the route (#/view?opd=code), undefined for all. */
  opd: string | undefined;
  /** What follows the view in the route, e.g. "dinkes" in #/admin/dinkes. */
  sub: string | undefined;
  setOpd(opd: string | undefined): void;
  /** Renders the current view again (after a local change such as paging). */
  rerender(): void;
  alerts: AlertBook;
  /** Acknowledges an alert as the logged-in user; rejects with the central's reason. */
  acknowledge(id: number): Promise<void>;
  /** Shows the login form, coming back to this page afterwards (e.g. "log in to acknowledge"). */
  requestLogin(): void;
}
