/**
 * The address of a page: #/view[/sub][?opd=CODE]. The address is all the app keeps of
 * where the user is, so a link, a reload or a login in between opens the same page.
 * Views build their links here, so every link reads the same way.
 */

export interface Route {
  /** The first segment (#/laporan -> "laporan"); undefined for an address that names none. */
  view: string | undefined;
  /** What follows the view, e.g. "dinkes" in #/admin/dinkes. */
  sub: string | undefined;
  /** The OPD filter; undefined for all (an empty ?opd= too). */
  opd: string | undefined;
}

export function parseRoute(hash: string): Route {
  const m = /^#\/([a-z]+)(?:\/([^?]*))?(?:\?(.*))?$/.exec(hash);
  const opd = new URLSearchParams(m?.[3] ?? '').get('opd') ?? undefined;
  return { view: m?.[1], sub: m?.[2] || undefined, opd: opd === '' ? undefined : opd };
}

export function routeHref(view: string, sub: string | undefined, opd: string | undefined): string {
  return `#/${view}${sub ? `/${sub}` : ''}${opd !== undefined ? `?opd=${encodeURIComponent(opd)}` : ''}`;
}
