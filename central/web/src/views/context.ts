import type { ApiCamera, ApiState } from '../api-types.js';

/** What every view gets to render from. */
export interface ViewContext {
  state: ApiState;
  cameras: ApiCamera[];
  /** Now on the server's clock (ms). */
  nowMs: number;
  /** The OPD filter of the route (#/view?opd=code), undefined for all. */
  opd: string | undefined;
  setOpd(opd: string | undefined): void;
  /** Renders the current view again (after a local change such as paging). */
  rerender(): void;
}
